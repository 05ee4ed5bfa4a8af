/**
 * npm run bench:video — video throughput: 640×480, 25 fps clips made from LFW photos (src/eval/video-clips.ts: the
 * 10 s "group" scene with 6 faces, the 6 s "crossing" scene with 2), run through `watch()` with a gallery of three of
 * the people (decisions included), per pack and detection cadence. Reports frames per second, the multiple of real
 * time (video seconds / wall seconds), and where the time goes (decode = waiting for ffmpeg, detect, track =
 * tracking and view quality, align = landmarks and chips of the views embedded, embed, decide).
 * "CPU s/s" is the CPU time (this process and ffmpeg) per second of video: on a shared machine a steadier figure than
 * the wall clock; below 1.0 the run would keep up with 2× real time on two otherwise idle cores if it spread over both.
 * Options: --packs dlib128,dlib128-yunet, --detect-every 1,2,3, --scenes group,crossing, --models DIR, --data DIR,
 * --json. Non-permissive packs need --accept-license.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { FaceRecognizer } from '../src/recognizer.js';
import { Gallery } from '../src/gallery/gallery.js';
import { lfwImage, makeClip, SCENARIOS } from '../src/eval/video-clips.js';
import { watchAll } from '../src/video/watch.js';

const o = new Command()
  .option('--packs <list>', 'packs to time', 'dlib128,dlib128-yunet')
  .option('--detect-every <list>', 'detection cadences', '1,2,3')
  .option('--scenes <list>', 'clips (src/eval/video-clips.ts scenarios)', 'group,crossing')
  .option('--models <dir>', "the packs' model files", process.env.FACENET_MODELS ?? path.resolve('../shared/models'))
  .option('--accept-license', 'include packs whose weights are not permissively licensed')
  .option('--data <dir>', 'datasets folder', path.resolve('../shared/datasets'))
  .option('--json', 'machine-readable output')
  .parse()
  .opts<{
    packs: string;
    detectEvery: string;
    scenes: string;
    models: string;
    acceptLicense?: boolean;
    data: string;
    json?: boolean;
  }>();

const lfw = path.join(o.data, 'lfw');

/**
 * CPU seconds used so far by this process and its finished children (ffmpeg), from /proc on Linux: on a shared
 * machine the wall clock measures the other jobs too, the CPU time much less so.
 */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    children = (Number(f[13]) + Number(f[14])) / 100; // cutime + cstime, clock ticks (100 Hz)
  } catch {
    // not Linux: the children's time is left out
  }
  return (own.user + own.system) / 1e6 + children;
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-bench-video-'));
const pct = (v: number, of: number) => `${((100 * v) / of).toFixed(0)}%`.padStart(4);
try {
  const scenes = SCENARIOS.filter((s) => o.scenes.split(',').includes(s.name));
  const clips = [];
  for (const s of scenes) {
    const file = path.join(dir, `${s.name}.mp4`);
    await makeClip(s, lfw, file);
    clips.push({ scene: s, file });
  }
  const rows = [];
  const load0 = os.loadavg()[0];
  for (const pack of o.packs.split(',')) {
    const fr = await FaceRecognizer.load({ pack, models: o.models, acceptLicense: o.acceptLicense });
    const gallery = await Gallery.open({ location: ':memory:', recognizer: fr });
    for (const p of ['Colin_Powell', 'Tony_Blair', 'Hugo_Chavez'])
      await gallery.enroll(p.replace('_', ' '), [lfwImage(lfw, p, 3)]);
    await watchAll(clips[0].file, { recognizer: fr, gallery, end: 1 }); // warm-up
    for (const { scene, file } of clips)
      for (const k of o.detectEvery.split(',').map(Number)) {
        const cpu0 = cpuSeconds();
        const r = await watchAll(file, { recognizer: fr, gallery, detectEvery: k, unknowns: false });
        const cpu = cpuSeconds() - cpu0;
        const video = scene.seconds;
        rows.push({
          pack,
          scene: scene.name,
          faces: scene.faces.length,
          detectEvery: k,
          frames: r.frames,
          seconds: r.seconds,
          fps: r.frames / r.seconds,
          realTime: video / r.seconds,
          cpuPerVideoSecond: cpu / video,
          tracks: r.tracks.length,
          recognised: r.tracks.filter((t) => t.person !== 'unknown').length,
          viewsPerTrack: r.tracks.reduce((n, t) => n + t.views, 0) / Math.max(1, r.tracks.length),
          times: r.times,
        });
      }
    await gallery.close();
    await fr.close();
  }
  const load1 = os.loadavg()[0];
  if (o.json) console.log(JSON.stringify({ loadAverage: [load0, load1], cpus: os.cpus().length, rows }, null, 2));
  else {
    console.log(`${os.cpus().length} cores; load average ${load0.toFixed(2)} before, ${load1.toFixed(2)} after`);
    console.log(
      'pack            scene     faces  detect every  fps     × real time  CPU s/s  tracks  known  views | ' +
        'decode detect track align embed decide',
    );
    for (const r of rows) {
      const t = r.times;
      const share = [t.decode, t.detect, t.track, t.align, t.embed, t.decide].map((v) => pct(v, r.seconds));
      console.log(
        [
          r.pack.padEnd(15),
          r.scene.padEnd(9),
          String(r.faces).padStart(5),
          String(r.detectEvery).padStart(12),
          r.fps.toFixed(1).padStart(6),
          r.realTime.toFixed(2).padStart(11),
          r.cpuPerVideoSecond.toFixed(2).padStart(8),
          String(r.tracks).padStart(6),
          String(r.recognised).padStart(5),
          `${r.viewsPerTrack.toFixed(1).padStart(5)} |`,
          ...share.map((x) => x.padStart(6)),
        ].join(' '),
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
