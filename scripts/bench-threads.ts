/**
 * npm run bench:threads — which onnxruntime threading is fastest when the machine is idle and when it is busy?
 *
 * Every setting is loaded once, then timed in interleaved rounds (one call of each setting per round, order rotated),
 * so a change in what else runs on a shared machine hits every setting alike; figures are medians over rounds and
 * each is also given relative to one thread in the same phase. Phase "busy" adds N busy-looping worker threads
 * (--load N, default: one per core) competing for the CPU.
 *   embed b1: one face chip through the 128-D net; end-to-end: a 640×480 photo with 6 faces, default pipeline.
 * Options: --rounds N (default 40), --load N, --json
 */
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Command } from 'commander';
import { FaceRecognizer } from '../src/recognizer.js';
import { createOrtEngine } from '../src/engine/ort.js';
import { decodeImage } from '../src/image/decode.js';
import { startCpuLoad } from './cpu-load.js';

const opts = new Command()
  .option('--rounds <n>', 'interleaved rounds per phase', '40')
  .option('--load <n>', 'busy threads in the busy phase (default: one per core)', String(os.availableParallelism()))
  .option('--data <dir>', 'datasets folder', path.resolve('../shared/datasets'))
  .option('--json', 'machine-readable output')
  .parse()
  .opts<{ rounds: string; load: string; data: string; json?: boolean }>();
const ROUNDS = Number(opts.rounds);
const LOAD = Number(opts.load);
if (!(ROUNDS >= 1) || !Number.isInteger(LOAD) || LOAD < 1 || LOAD > 16) throw new Error('--rounds ≥ 1, --load 1-16');

const settings: Record<string, () => Promise<FaceRecognizer>> = {
  default: () => FaceRecognizer.load(),
  'threads=1': () => FaceRecognizer.load({ threads: 1 }),
  'threads=2 spinning': () => FaceRecognizer.load({ threads: 2, engine: createOrtEngine({ spinning: true }) }),
  'threads=2 no spinning': () => FaceRecognizer.load({ threads: 2, engine: createOrtEngine({ spinning: false }) }),
};

const det = path.join(opts.data, 'detection/dlib_faces/2008_002470.jpg');
const photoPath = path.join(os.tmpdir(), 'facenet-bench-threads-640x480.jpg');
await sharp(det).resize(640, 480, { fit: 'fill' }).jpeg({ quality: 92 }).toFile(photoPath);
const recognizers = Object.fromEntries(await Promise.all(Object.entries(settings).map(async ([k, load]) => [k, await load()] as const)));
const chip = (await recognizers['threads=1'].embed(photoPath))[0].chip;

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[(s.length >> 1) - 1] + s[s.length >> 1]) / 2;
};
async function ms(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

type Phase = Record<string, { embedB1: number; endToEnd: number }>;
async function phase(): Promise<Phase> {
  const names = Object.keys(recognizers);
  for (const n of names) await recognizers[n].embed(photoPath); // warm-up
  const b1: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const e2e: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    for (const n of order) {
      const fr = recognizers[n];
      const five: number[] = [];
      for (let i = 0; i < 5; i++) five.push(await ms(() => fr.embedder.embedRaw([chip])));
      b1[n].push(median(five));
      e2e[n].push(await ms(() => fr.embed(photoPath)));
    }
  }
  return Object.fromEntries(names.map((n) => [n, { embedB1: median(b1[n]), endToEnd: median(e2e[n]) }]));
}

const before = os.loadavg();
const idle = await phase();
const load = startCpuLoad(LOAD);
let busy: Phase;
try {
  busy = await phase();
} finally {
  await load.stop();
}
for (const fr of Object.values(recognizers)) await fr.release();
const relative = (p: Phase) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, { embedB1: v.embedB1 / p['threads=1'].embedB1, endToEnd: v.endToEnd / p['threads=1'].endToEnd }]));
const result = { machine: `${os.availableParallelism()} × ${os.cpus()[0]?.model}`, rounds: ROUNDS, loadAverageBefore: before, loadAverageAfter: os.loadavg(), busyThreads: LOAD, idle, busy, idleRelative: relative(idle), busyRelative: relative(busy) };
if (opts.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`${result.machine}; ${ROUNDS} interleaved rounds; load average before ${before.map((v) => v.toFixed(2)).join(' ')}, after ${result.loadAverageAfter.map((v) => v.toFixed(2)).join(' ')}`);
  console.log(`${'setting'.padEnd(24)}${'embed b1 ms'.padStart(12)}${'vs 1 thr'.padStart(10)}${'e2e ms'.padStart(10)}${'vs 1 thr'.padStart(10)}   | + ${LOAD} busy threads:${'embed b1'.padStart(10)}${'vs 1'.padStart(7)}${'e2e'.padStart(9)}${'vs 1'.padStart(7)}`);
  for (const k of Object.keys(idle)) {
    const [a, ar, b, br] = [idle[k], result.idleRelative[k], busy[k], result.busyRelative[k]];
    console.log(`${k.padEnd(24)}${a.embedB1.toFixed(2).padStart(12)}${ar.embedB1.toFixed(2).padStart(10)}${a.endToEnd.toFixed(1).padStart(10)}${ar.endToEnd.toFixed(2).padStart(10)}   |${''.padStart(20)}${b.embedB1.toFixed(2).padStart(10)}${br.embedB1.toFixed(2).padStart(7)}${b.endToEnd.toFixed(1).padStart(9)}${br.endToEnd.toFixed(2).padStart(7)}`);
  }
}
