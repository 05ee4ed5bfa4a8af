/**
 * The ONNX SSD graph against face-api's own SsdMobilenetv1 running on @tensorflow/tfjs (wasm backend, or
 * cpu where wasm cannot start): same 512×512 input → same decoded boxes and scores (face-api's
 * forwardInput outputs) to ≤ 1e-4, same preprocessing, and the same final boxes from locateFaces.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SsdDetector } from '../../src/detect/detector.js';
import { decodeBoxes, faceScores, toSsdInput, type SsdInput } from '../../src/detect/ssd-decode.js';
import { SSD_NUM_ANCHORS } from '../../src/detect/ssd-graph.js';
import { faceApiModelDir } from '../../src/engine/model-store.js';
import { decodeImage } from '../../src/image/decode.js';
import type { RgbImage } from '../../src/image/types.js';
import { DETECTION_DIR, needDataset } from '../helpers/datasets.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
let tf: any;
let faceapi: any;
let net: any;
let detector: SsdDetector;
let backend = '';

const PHOTO = path.join(DETECTION_DIR, 'dlib_faces', '2008_002506.jpg'); // 500×375: three faces

before(async () => {
  tf = require('@tensorflow/tfjs');
  faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend unavailable');
  } catch {
    await tf.setBackend('cpu');
  }
  await tf.ready();
  backend = tf.getBackend();
  const dir = faceApiModelDir();
  const manifest = JSON.parse(readFileSync(path.join(dir, 'ssd_mobilenetv1_model-weights_manifest.json'), 'utf8'));
  const specs = manifest.flatMap((g: any) => g.weights);
  const buf = Buffer.concat(manifest.flatMap((g: any) => g.paths.map((p: string) => readFileSync(path.join(dir, p)))));
  net = new faceapi.SsdMobilenetv1();
  net.loadFromWeightMap(tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), specs));
  detector = await SsdDetector.load({ threads: 1 });
});

after(async () => {
  await detector?.close();
});

/** face-api's forward pass on an NCHW 512×512 input we prepared: decoded boxes [5118·4] and scores [5118]. */
async function faceApiForward(input: SsdInput): Promise<{ boxes: Float32Array; scores: Float32Array }> {
  const plane = 512 * 512;
  const nhwc = new Float32Array(plane * 3);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) nhwc[p * 3 + c] = input.data[c * plane + p];
  const x = tf.tensor4d(nhwc, [1, 512, 512, 3]);
  // A 512×512 tensor needs no padding or resizing, so toBatchTensor passes it through unchanged.
  const netInput = await faceapi.toNetInput(x);
  const { boxes, scores } = net.forwardInput(netInput);
  const out = { boxes: boxes[0].dataSync() as Float32Array, scores: scores[0].dataSync() as Float32Array };
  tf.dispose([x, ...boxes, ...scores]);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function compareRaw(t: { diagnostic(msg: string): void }, img: RgbImage, label: string): Promise<void> {
  const input = toSsdInput(img, 512, 'bilinear');
  const ref = await faceApiForward(input);
  const [raw] = await detector.runRaw([input]);
  assert.equal(raw.boxEncodings.length, SSD_NUM_ANCHORS * 4);
  assert.equal(raw.classLogits.length, SSD_NUM_ANCHORS * 3);
  const boxes = decodeBoxes(raw.boxEncodings, detector.anchorBoxes);
  const scores = faceScores(raw.classLogits);
  const db = maxAbsDiff(boxes, ref.boxes);
  const ds = maxAbsDiff(scores, ref.scores);
  t.diagnostic(
    `${label} (tfjs-${backend}): max |Δbox| = ${db.toExponential(2)}, max |Δscore| = ${ds.toExponential(2)}`,
  );
  assert.ok(db <= 1e-4, `boxes differ by ${db}`);
  assert.ok(ds <= 1e-4, `scores differ by ${ds}`);
}

test('raw outputs equal face-api on tfjs for a synthetic image', async (t) => {
  // deterministic pseudo-random texture with smooth structure
  const w = 512;
  const data = new Uint8Array(w * w * 3);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const p = Math.floor(i / 3);
    data[i] = Math.round(0.5 * ((p % w) * 0.4 + Math.floor(p / w) * 0.1) + (s >>> 24) * 0.5) & 255;
  }
  await compareRaw(t, { width: w, height: w, data }, 'synthetic 512×512');
});

test(
  'raw outputs and final boxes equal face-api on tfjs for a photo',
  { skip: needDataset(DETECTION_DIR) },
  async (t) => {
    const img = await decodeImage(PHOTO);
    await compareRaw(t, img, path.basename(PHOTO));

    // Preprocessing: our pad + resize equals face-api's padToSquare + tf.image.resizeBilinear.
    const ours = toSsdInput(img, 512, 'bilinear');
    const theirs: Float32Array = tf.tidy(() => {
      const t3 = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
      const sq = faceapi.padToSquare(tf.expandDims(t3), false);
      return tf.image.resizeBilinear(sq, [512, 512], false, false).dataSync();
    });
    let dr = 0;
    for (let p = 0; p < 512 * 512; p++)
      for (let c = 0; c < 3; c++) dr = Math.max(dr, Math.abs(theirs[p * 3 + c] - ours.data[c * 512 * 512 + p]));
    t.diagnostic(`resize: max |Δpixel| = ${dr}`);
    assert.ok(dr <= 1e-3, `resized input differs by ${dr}`);

    // Final boxes: face-api's locateFaces vs ours with face-api's settings.
    const t3 = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
    const ref: any[] = await net.locateFaces(t3, { minConfidence: 0.5, maxResults: 100 });
    t3.dispose();
    const mine = await detector.detect(img, {
      minScore: 0.5,
      minFaceSize: 0,
      resample: 'bilinear',
      padFallback: false,
    });
    t.diagnostic(`faces: face-api ${ref.length}, ours ${mine.length}`);
    assert.ok(ref.length >= 3, 'face-api should find the three faces');
    assert.equal(mine.length, ref.length);
    for (let i = 0; i < ref.length; i++) {
      const r = ref[i].box;
      const m = mine[i].box;
      // 500×375 → 512×384 exactly, so face-api's rounding of the reshaped size does not enter.
      const d = Math.max(
        Math.abs(r.x - m.x),
        Math.abs(r.y - m.y),
        Math.abs(r.width - m.width),
        Math.abs(r.height - m.height),
      );
      assert.ok(d < 0.01, `face ${i}: box differs by ${d}px`);
      assert.ok(Math.abs(ref[i].score - mine[i].score) <= 1e-4, `face ${i}: score ${mine[i].score} vs ${ref[i].score}`);
    }
  },
);
