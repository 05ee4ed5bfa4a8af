/**
 * npm run bench:stream — live latency of the WebSocket /v1/stream: a real server (startServer, a gallery with one
 * person enrolled) and a client sending 640×480 JPEG frames of a clip made from LFW photos, as the page does: one
 * frame in flight, at most --fps a second. Latency = from sending a frame to its `faces` answer (boxes and names),
 * on the client's clock. Prints median, p95, p99 and max after --warmup frames, and the server's own time per frame.
 * With --minutes M the clip loops for M minutes (a looped live source) and the process's RSS (server, worker threads
 * and client) is sampled every --every seconds after a GC; the last sample is compared with the one at --baseline
 * minutes (the memory figure: --minutes 60 --baseline 5).
 * Options: --frames N (default 300), --fps F (15), --warmup N (20), --pack NAME, --models DIR, --scene NAME
 * (crossing: 2 faces; group: 6), --detect-every K, --minutes M, --every S (30), --baseline M (5), --data DIR, --json
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import WebSocket from 'ws';
import { FaceRecognizer } from '../src/recognizer.js';
import { Gallery } from '../src/gallery/gallery.js';
import { lfwImage, makeClip, SCENARIOS } from '../src/eval/video-clips.js';
import { startServer } from '../src/server/start.js';

const o = new Command()
  .option('--frames <n>', 'frames measured', '300')
  .option('--fps <f>', 'frames offered per second (one in flight)', '15')
  .option('--warmup <n>', 'frames before measuring', '20')
  .option('--pack <name>', 'recognition pipeline (default: the default pack)')
  .option('--models <dir>', "the packs' model files", process.env.FACENET_MODELS)
  .option('--scene <name>', 'clip (src/eval/video-clips.ts scenario)', 'crossing')
  .option('--detect-every <k>', 'detection cadence', '1')
  .option('--minutes <m>', 'loop the clip this long and sample memory (soak)')
  .option('--every <s>', 'seconds between memory samples', '30')
  .option('--baseline <m>', 'minute whose RSS the last sample is compared with', '5')
  .option('--data <dir>', 'datasets folder', path.resolve('../shared/datasets'))
  .option('--json', 'machine-readable output')
  .parse()
  .opts<{
    frames: string;
    fps: string;
    warmup: string;
    pack?: string;
    models?: string;
    scene: string;
    detectEvery: string;
    minutes?: string;
    every: string;
    baseline: string;
    data: string;
    json?: boolean;
  }>();

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (b: number) => Math.round(b / 2 ** 20);
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-bench-stream-'));
const recognizer = { ...(o.pack ? { pack: o.pack } : {}), ...(o.models ? { models: o.models } : {}) };
try {
  const scene = SCENARIOS.find((s) => s.name === o.scene);
  if (!scene) throw new Error(`no scene ${o.scene}: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const lfw = path.join(o.data, 'lfw');
  const clip = path.join(dir, 'clip.mp4');
  await makeClip(scene, lfw, clip);
  const r = spawnSync('ffmpeg', ['-loglevel', 'error', '-i', clip, '-q:v', '5', path.join(dir, 'f%04d.jpg')]);
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  const frames = readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => readFileSync(path.join(dir, f)));
  const file = path.join(dir, 'g.db');
  const fr = await FaceRecognizer.load(recognizer);
  const g = await Gallery.open({ location: file, recognizer: fr });
  await g.enroll('Colin Powell', [lfwImage(lfw, 'Colin_Powell', 3)]);
  await g.close();
  await fr.close();
  const server = await startServer({ port: 0, gallery: file, auth: false, workers: 1, recognizer, video: {} });
  const load = () => os.loadavg()[0].toFixed(1);
  const loadBefore = load();
  try {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/v1/stream`);
    await new Promise<void>((res, rej) => (ws.once('open', () => res()), ws.once('error', rej)));
    const pending = new Map<number, number>();
    const latencies: number[] = [];
    const serverMs: number[] = [];
    let named = 0;
    let answered = 0;
    let seq = 0;
    let onAnswer: (() => void) | undefined;
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { type: string; seq?: number; ms?: number; faces?: { person: string }[] };
      if (m.type === 'ready') onAnswer?.();
      if (m.seq === undefined) return;
      const sent = pending.get(m.seq);
      pending.delete(m.seq);
      answered++;
      if (m.type === 'faces' && sent !== undefined && m.seq > Number(o.warmup)) {
        latencies.push(performance.now() - sent);
        serverMs.push(m.ms ?? 0);
        if (m.faces!.some((f) => f.person !== 'unknown')) named++;
      }
      onAnswer?.();
    });
    const ready = new Promise<void>((res) => (onAnswer = res));
    ws.send(JSON.stringify({ type: 'hello', detectEvery: Number(o.detectEvery) }));
    await ready;
    const interval = 1000 / Number(o.fps);
    const soak = o.minutes ? Number(o.minutes) * 60_000 : 0;
    const total = soak ? Infinity : Number(o.warmup) + Number(o.frames);
    const t0 = performance.now();
    let cpu0 = process.cpuUsage();
    const samples: { minutes: number; frames: number; rss: number; heap: number }[] = [];
    let nextSample = t0;
    const sample = () => {
      gc?.();
      const m = process.memoryUsage();
      const s = { minutes: (performance.now() - t0) / 60_000, frames: seq, rss: mb(m.rss), heap: mb(m.heapUsed) };
      samples.push(s);
      if (!o.json)
        console.log(
          `${s.minutes.toFixed(1).padStart(6)} min  ${String(seq).padStart(7)} frames  ` +
            `RSS ${String(s.rss).padStart(5)} MiB  heap ${String(s.heap).padStart(4)} MiB  ` +
            `latency median ${q(latencies, 0.5)?.toFixed(1)} ms`,
        );
    };
    while (seq < total && (!soak || performance.now() - t0 < soak)) {
      const at = performance.now();
      if (seq === Number(o.warmup)) cpu0 = process.cpuUsage();
      pending.set(++seq, at);
      const answer = new Promise<void>((res) => (onAnswer = res));
      ws.send(frames[(seq - 1) % frames.length]);
      await answer;
      if (soak && performance.now() >= nextSample) {
        sample();
        nextSample += Number(o.every) * 1000;
      }
      const wait = interval - (performance.now() - at);
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    }
    if (soak) sample();
    const cpu = process.cpuUsage(cpu0);
    ws.close();
    const summary = {
      pack: server.pack.name,
      scene: scene.name,
      faces: scene.faces.length,
      frameSize: `${scene.width}x${scene.height}`,
      frames: latencies.length,
      answered,
      fpsOffered: Number(o.fps),
      medianMs: Number(q(latencies, 0.5).toFixed(1)),
      p95Ms: Number(q(latencies, 0.95).toFixed(1)),
      p99Ms: Number(q(latencies, 0.99).toFixed(1)),
      maxMs: Number(Math.max(...latencies).toFixed(1)),
      serverMedianMs: Number(q(serverMs, 0.5).toFixed(1)),
      serverP95Ms: Number(q(serverMs, 0.95).toFixed(1)),
      // CPU time of the whole process (server, its worker threads, the client) per frame: steadier than the wall
      // clock on a shared machine
      cpuMsPerFrame: Number(((cpu.user + cpu.system) / 1000 / Math.max(1, seq - Number(o.warmup))).toFixed(1)),
      namedFrames: named,
      loadAverage: { before: loadBefore, after: load() },
      ...(soak
        ? (() => {
            const base = samples.find((s) => s.minutes >= Number(o.baseline)) ?? samples[0];
            const last = samples[samples.length - 1];
            return { rssBaselineMiB: base.rss, rssLastMiB: last.rss, rssChange: (last.rss - base.rss) / base.rss };
          })()
        : {}),
    };
    if (o.json) console.log(JSON.stringify({ ...summary, samples }, null, 2));
    else
      console.log(
        `${summary.pack}, ${summary.scene} (${summary.faces} faces, ${summary.frameSize} JPEG), ${summary.frames} ` +
          `frames at up to ${o.fps} fps: latency median ${summary.medianMs} ms, p95 ${summary.p95Ms} ms, ` +
          `p99 ${summary.p99Ms} ms, max ${summary.maxMs} ms (server median ${summary.serverMedianMs}, ` +
          `p95 ${summary.serverP95Ms} ms); CPU ${summary.cpuMsPerFrame} ms per frame; ` +
          `a name in ${named} frames; load average ${loadBefore} → ${summary.loadAverage.after}` +
          (soak
            ? `\nRSS ${summary.rssBaselineMiB} MiB at ${o.baseline} min → ${summary.rssLastMiB} MiB at the end ` +
              `(${((summary.rssChange as number) * 100).toFixed(1)} %)`
            : ''),
      );
  } finally {
    await server.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
