/**
 * Detector time on the bench photo (dlib_faces/2008_002470.jpg stretched to 640×480, six faces, as npm run bench makes
 * it): YuNet, SCRFD-2.5G, SCRFD-500M (each with and without the coarse pass) and today's SSD, in one run.
 * The detectors take turns, one call each per round, so load from other processes hits them alike; each figure is the
 * median of --iterations rounds after a warm-up. Also the input preparation alone (both passes' tensors).
 *
 *   npx tsx scripts/detector-speed.ts [--threads 1,2] [--iterations 40] [--data DIR] [--models DIR] [--json]
 */
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Command } from 'commander';
import { SsdDetector } from '../src/detect/detector.js';
import { YuNetDetector, yunetInputSpec, YUNET_DEFAULT_MAX_SIDE } from '../src/detect/yunet.js';
import { ScrfdDetector, scrfdInputSpec, SCRFD_DEFAULT_MAX_SIDE } from '../src/detect/scrfd.js';
import { shrinkBox } from '../src/image/transform.js';
import { letterbox } from '../src/detect/letterbox.js';
import type { FaceDetector } from '../src/detect/types.js';
import { decodeImage } from '../src/image/decode.js';
import type { RgbImage } from '../src/image/types.js';

const opts = new Command()
  .option('--threads <list>', 'intra-op thread counts', '1,2')
  .option('--iterations <n>', 'timed rounds', '40')
  .option('--data <dir>', 'datasets folder', path.resolve('../shared/datasets'))
  .option('--models <dir>', 'models folder', process.env.FACENET_MODELS ?? path.resolve('../shared/models'))
  .option('--json', 'machine-readable output')
  .parse()
  .opts<{ threads: string; iterations: string; data: string; models: string; json?: boolean }>();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const buf = await sharp(path.join(opts.data, 'detection/dlib_faces/2008_002470.jpg'))
  .resize(640, 480, { fit: 'fill' })
  .jpeg({ quality: 92 })
  .toBuffer();
const photo: RgbImage = await decodeImage(buf);

async function detectors(threads: number): Promise<[string, FaceDetector][]> {
  const m = (f: string) => path.join(opts.models, f);
  return [
    ['yunet', await YuNetDetector.load({ modelPath: m('yunet/face_detection_yunet_2026may.onnx'), threads })],
    [
      'yunet, no coarse pass',
      await YuNetDetector.load({ modelPath: m('yunet/face_detection_yunet_2026may.onnx'), threads, coarseSide: 0 }),
    ],
    ['scrfd-2.5g', await ScrfdDetector.load({ modelPath: m('scrfd/scrfd_2.5g.onnx'), threads })],
    [
      'scrfd-2.5g, no coarse pass',
      await ScrfdDetector.load({ modelPath: m('scrfd/scrfd_2.5g.onnx'), threads, coarseSide: 0 }),
    ],
    ['scrfd-500m', await ScrfdDetector.load({ modelPath: m('scrfd/scrfd_500m.onnx'), threads })],
    ['ssd (today)', await SsdDetector.load({ threads })],
  ];
}

interface Row {
  threads: number;
  detector: string;
  faces: number;
  ms: number;
  msPerFace: number;
  relativeToSsd: number;
}

const rows: Row[] = [];
const n = Number(opts.iterations);
for (const threads of opts.threads.split(',').map(Number)) {
  const dets = await detectors(threads);
  const times = dets.map(() => [] as number[]);
  const faces = await Promise.all(dets.map(async ([, d]) => (await d.detect(photo)).length));
  for (let round = -3; round < n; round++) {
    for (const [i, [, d]] of dets.entries()) {
      const t0 = performance.now();
      await d.detect(photo);
      if (round >= 0) times[i].push(performance.now() - t0);
    }
  }
  const ssd = median(times[dets.length - 1]);
  for (const [i, [name]] of dets.entries()) {
    const ms = median(times[i]);
    rows.push({
      threads,
      detector: name,
      faces: faces[i],
      ms,
      msPerFace: ms / Math.max(1, faces[i]),
      relativeToSsd: ms / ssd,
    });
  }
  for (const [, d] of dets) await d.close();
}

// input preparation alone, as the detectors do it: the fine pass's letterbox, the coarse pass's 2× box shrink and
// letterbox
const prep = (spec: (s: number) => ReturnType<typeof yunetInputSpec>, maxSide: number) => {
  const ms: number[] = [];
  const scratch = [new Float32Array(3 * 1024 * 1024), new Float32Array(3 * 1024 * 1024)];
  for (let i = -3; i < n; i++) {
    const t0 = performance.now();
    const fine = letterbox(photo, spec(maxSide), scratch[0]);
    const small = shrinkBox(fine.fitted, 2);
    letterbox(small, spec(Math.max(small.width, small.height)), scratch[1]);
    if (i >= 0) ms.push(performance.now() - t0);
  }
  return median(ms);
};
const prepYunet = prep(yunetInputSpec, YUNET_DEFAULT_MAX_SIDE);
const prepScrfd = prep(scrfdInputSpec, SCRFD_DEFAULT_MAX_SIDE);

if (opts.json) console.log(JSON.stringify({ rows, prepYunet, prepScrfd, load: os.loadavg() }, null, 2));
else {
  console.log('| threads | detector | faces | ms / photo | ms / face | × SSD |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.threads} | ${r.detector} | ${r.faces} | ${r.ms.toFixed(1)} ` +
        `| ${r.msPerFace.toFixed(2)} | ${r.relativeToSsd.toFixed(2)} |`,
    );
  const loadAverage = os.loadavg().map((l) => l.toFixed(2));
  console.log(
    `input preparation (both passes): YuNet ${prepYunet.toFixed(2)} ms, SCRFD ${prepScrfd.toFixed(2)} ms; ` +
      `load average ${loadAverage.join(' ')}`,
  );
}
