/**
 * npm run bench:video-memory — memory of an endless source: a clip made from LFW photos (the 6-face "group" scene by
 * default), looped forever by ffmpeg and watched as fast as it decodes, with a gallery; prints the process's RSS and
 * JS heap (after a forced GC) at intervals, and at the end the last RSS against the one at --baseline minutes.
 * The figure is one hour: --minutes 60 --baseline 5.
 * Options: --minutes N (default 10), --every S (seconds between samples, default 30), --baseline M (default 2),
 * --pack NAME, --models DIR, --scene NAME, --detect-every K, --data DIR, --json
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { DEFAULT_PACK } from '../src/pack/packs.js';
import { FaceRecognizer } from '../src/recognizer.js';
import { Gallery } from '../src/gallery/gallery.js';
import { lfwImage, makeClip, SCENARIOS } from '../src/eval/video-clips.js';
import { FileSource } from '../src/video/file-source.js';
import { watch } from '../src/video/watch.js';

const o = new Command()
  .option('--minutes <n>', 'how long to run', '10')
  .option('--every <s>', 'seconds between samples', '30')
  .option('--baseline <m>', 'minute whose RSS the last is compared with', '2')
  .option('--pack <name>', 'recognition pipeline', DEFAULT_PACK)
  .option('--models <dir>', "the packs' model files", process.env.FACENET_MODELS ?? path.resolve('../shared/models'))
  .option('--scene <name>', 'clip (src/eval/video-clips.ts scenario)', 'group')
  .option('--detect-every <k>', 'detection cadence', '1')
  .option('--data <dir>', 'datasets folder', path.resolve('../shared/datasets'))
  .option('--json', 'machine-readable output')
  .parse()
  .opts<{
    minutes: string;
    every: string;
    baseline: string;
    pack: string;
    models: string;
    scene: string;
    detectEvery: string;
    data: string;
    json?: boolean;
  }>();

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (b: number) => Math.round(b / 2 ** 20);
const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-video-memory-'));
try {
  const scene = SCENARIOS.find((s) => s.name === o.scene)!;
  const lfw = path.join(o.data, 'lfw');
  const clip = path.join(dir, 'loop.mp4');
  await makeClip(scene, lfw, clip);
  const fr = await FaceRecognizer.load({ pack: o.pack, models: o.models });
  const gallery = await Gallery.open({ location: ':memory:', recognizer: fr });
  await gallery.enroll('Colin Powell', [lfwImage(lfw, 'Colin_Powell', 3)]);
  const source = await FileSource.open(clip, { loop: true });
  const stopAt = performance.now() + Number(o.minutes) * 60_000;
  const samples: { minutes: number; video: number; frames: number; tracksEnded: number; rss: number; heap: number }[] =
    [];
  let next = performance.now();
  const t0 = performance.now();
  let ended = 0;
  const sample = (video: number, frames: number) => {
    gc?.();
    const m = process.memoryUsage();
    const s = {
      minutes: (performance.now() - t0) / 60_000,
      video,
      frames,
      tracksEnded: ended,
      rss: mb(m.rss),
      heap: mb(m.heapUsed),
    };
    samples.push(s);
    if (!o.json)
      console.log(
        `${s.minutes.toFixed(1).padStart(6)} min  video ${s.video.toFixed(0).padStart(6)} s  ` +
          `${String(frames).padStart(7)} frames  ${String(ended).padStart(5)} tracks ended  ` +
          `RSS ${String(s.rss).padStart(5)} MiB  heap ${String(s.heap).padStart(4)} MiB`,
      );
  };
  let frames = 0;
  let time = 0;
  for await (const e of watch(source, {
    recognizer: fr,
    gallery,
    detectEvery: Number(o.detectEvery),
    unknowns: false,
  })) {
    if (e.type === 'track-ended') ended++;
    if (e.type !== 'frame') continue;
    frames++;
    time = e.time;
    if (performance.now() >= next) {
      sample(time, frames);
      next += Number(o.every) * 1000;
    }
    if (performance.now() >= stopAt) await source.close();
  }
  sample(time, frames);
  const base = samples.find((s) => s.minutes >= Number(o.baseline)) ?? samples[0];
  const last = samples.at(-1)!;
  const growth = (last.rss - base.rss) / base.rss;
  if (o.json)
    console.log(JSON.stringify({ pack: o.pack, scene: o.scene, samples, baseline: base, last, growth }, null, 2));
  else
    console.log(
      `RSS at ${last.minutes.toFixed(1)} min ${last.rss} MiB vs ${base.rss} MiB at ${base.minutes.toFixed(1)} min: ` +
        `${(100 * growth).toFixed(1)} %; load average ${os.loadavg()[0].toFixed(2)}`,
    );
  await gallery.close();
  await fr.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
