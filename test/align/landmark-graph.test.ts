/**
 * The ONNX landmark graph (and the crop in front of it) against face-api's own FaceLandmark68Net on tfjs-cpu.
 * tfjs is slow, so only a few crops are compared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Landmarker, fillLandmarkInput, landmarkCrop } from '../../src/align/landmarker.js';
import { LANDMARK_INPUT_SIZE } from '../../src/align/landmark-graph.js';
import { decodeImage } from '../../src/image/decode.js';
import { FaceError } from '../../src/errors.js';
import type { RgbImage } from '../../src/image/types.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import { loadFaceApi } from '../helpers/face-api-reference.js';

/** face-api's own FaceLandmark68Net on tfjs (the shared reference helper), its tf instance and the library. */
async function loadFaceApiLandmarkNet() {
  const faceapi = await loadFaceApi(['faceLandmark68Net']);
  return { tf: faceapi.tf, faceapi, net: faceapi.nets.faceLandmark68Net };
}

const CACHE = process.env.FACENET_CACHE; // undefined: the default cache (built on first use)
const S = LANDMARK_INPUT_SIZE;
const TOL = 1e-4;

let landmarker: Promise<Landmarker> | undefined;
const getLandmarker = () => (landmarker ??= Landmarker.load({ cacheDir: CACHE, threads: 1 }));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A smooth synthetic "photo": gradients plus a bright ellipse, deterministic. */
function syntheticImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const e = ((x - width * 0.5) / (width * 0.3)) ** 2 + ((y - height * 0.45) / (height * 0.4)) ** 2 < 1 ? 90 : 0;
      data[o] = Math.min(255, (x * 255) / width + e);
      data[o + 1] = Math.min(255, ((y * 255) / height) * 0.7 + e);
      data[o + 2] = (x * 7 + y * 13) % 256;
    }
  return { width, height, data };
}

/** face-api's path on a tensor input: extractFaceTensors → toNetInput → runNet (raw [1, 136]). */
async function faceApiRaw(
  img: RgbImage,
  box: { x: number; y: number; width: number; height: number },
): Promise<Float32Array> {
  const { tf, faceapi, net } = await loadFaceApiLandmarkNet();
  const t = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
  const [face] = await faceapi.extractFaceTensors(t, [new faceapi.Rect(box.x, box.y, box.width, box.height)]);
  const input = await faceapi.toNetInput(face);
  const out = net.runNet(input);
  const raw = Float32Array.from(out.dataSync() as Float32Array);
  tf.dispose([t, face, out]);
  return raw;
}

test('landmark graph equals face-api FaceLandmark68Net on the same 112×112 input (batch of 2)', async (t) => {
  const { tf, faceapi, net } = await loadFaceApiLandmarkNet();
  const lm = await getLandmarker();
  // two different inputs, batched: a synthetic image and its mirror with noise
  const nhwc = new Float32Array(2 * S * S * 3);
  const img = syntheticImage(S, S);
  let seed = 7;
  for (let i = 0; i < S * S * 3; i++) {
    nhwc[i] = img.data[i];
    seed = (seed * 1103515245 + 12345) >>> 0;
    nhwc[S * S * 3 + i] = (img.data[S * S * 3 - 1 - i] + (seed >>> 24)) % 256;
  }
  const tensors = [0, 1].map((n) => tf.tensor3d(nhwc.subarray(n * S * S * 3, (n + 1) * S * S * 3), [S, S, 3]));
  const out = net.runNet(await faceapi.toNetInput(tensors));
  const ref = out.dataSync() as Float32Array;
  tf.dispose([...tensors, out]);

  const nchw = new Float32Array(nhwc.length);
  for (let n = 0; n < 2; n++)
    for (let p = 0; p < S * S; p++)
      for (let k = 0; k < 3; k++) nchw[(n * 3 + k) * S * S + p] = nhwc[(n * S * S + p) * 3 + k];
  const raw = await lm.runRaw(nchw, 2);
  assert.equal(raw.length, 2 * 136);
  const diff = maxAbsDiff(raw, ref);
  t.diagnostic(`max |onnx − tfjs| = ${diff.toExponential(2)}`);
  assert.ok(diff <= TOL, `max |onnx − tfjs| = ${diff}`);
  // the two faces must give different outputs (batching does not mix them up)
  assert.ok(maxAbsDiff(raw.subarray(0, 136), raw.subarray(136)) > 1e-3);
});

test(
  'crop + resize + graph equal face-api on a real face chip (odd and even square padding)',
  { skip: needDataset(JOHNS_DIR) },
  async (t) => {
    const dir = path.join(JOHNS_DIR, 'John_Salley');
    const img = await decodeImage(path.join(dir, readdirSync(dir).sort()[0]));
    const lm = await getLandmarker();
    // box 1: floors to 111×120 (pad 9: 4 before, 5 after); box 2 reaches past the left border and is clipped
    const boxes = [
      { x: 20.6, y: 15.3, width: 111.2, height: 120.7 },
      { x: -20, y: 30, width: 200, height: 160 },
    ];
    const input = new Float32Array(boxes.length * 3 * S * S);
    const crops = boxes.map((b) => landmarkCrop(img, b));
    crops.forEach((c, i) => fillLandmarkInput(img, c, input, i * 3 * S * S));
    const raw = await lm.runRaw(input, boxes.length);
    for (let i = 0; i < boxes.length; i++) {
      const ref = await faceApiRaw(img, boxes[i]);
      const diff = maxAbsDiff(raw.subarray(i * 136, (i + 1) * 136), ref);
      t.diagnostic(`box ${i}: max |onnx − tfjs| = ${diff.toExponential(2)}`);
      assert.ok(diff <= TOL, `box ${i}: max |onnx − tfjs| = ${diff}`);
    }
  },
);

test('landmarks() maps points back to source pixels as face-api does', { skip: needDataset(JOHNS_DIR) }, async () => {
  const dir = path.join(JOHNS_DIR, 'John_Savage');
  const img = await decodeImage(path.join(dir, readdirSync(dir).sort()[0]));
  const lm = await getLandmarker();
  const { tf, faceapi, net } = await loadFaceApiLandmarkNet();
  // even width/height difference, so face-api's symmetric-padding assumption is exact
  const box = { x: 10, y: 5, width: 130, height: 110 };
  const [mine] = await lm.landmarks(img, [box]);
  const t = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
  const [face] = await faceapi.extractFaceTensors(t, [new faceapi.Rect(box.x, box.y, box.width, box.height)]);
  const ref = await net.detectLandmarks(face);
  tf.dispose([t, face]);
  assert.equal(mine.length, 68);
  let diff = 0;
  ref.positions.forEach((p: { x: number; y: number }, i: number) => {
    diff = Math.max(diff, Math.abs(p.x + box.x - mine[i].x), Math.abs(p.y + box.y - mine[i].y));
  });
  // raw tolerance 1e-4 × 130-pixel square
  assert.ok(diff <= 0.02, `max point difference ${diff} px`);
  // and the points are plausibly a face inside the box: eyes above the mouth
  assert.ok(mine[36].y < mine[48].y && mine[45].y < mine[54].y && mine[36].x < mine[45].x);
});

test('landmarkCrop follows face-api: clip, floor, centred square padding', () => {
  const img = { width: 100, height: 80 };
  const c = landmarkCrop(img, { x: -5.5, y: 10.7, width: 50.9, height: 40 });
  // clipped x 0, width (-5.5 + 50.9) − 0 = 45.4 → 45; y 10.7 → 10, height 40 → 40
  assert.deepEqual(c, { x: 0, y: 10, width: 45, height: 40, side: 45, padX: 0, padY: 2 });
  const tall = landmarkCrop(img, { x: 10, y: 0, width: 20, height: 29 });
  // diff 9: round(4.5) = 5 after, 4 before
  assert.equal(tall.padX, 4);
  assert.equal(tall.side, 29);
  const grown = landmarkCrop(img, { x: 40, y: 30, width: 20, height: 20 }, 1.5);
  assert.deepEqual([grown.x, grown.y, grown.width, grown.height], [35, 25, 30, 30]);
});

test('landmarks() rejects boxes outside the image or malformed, with a typed error', async () => {
  const lm = await getLandmarker();
  const img = syntheticImage(64, 48);
  for (const box of [
    { x: 100, y: 10, width: 20, height: 20 },
    { x: 0, y: 0, width: 0, height: 10 },
    { x: Number.NaN, y: 0, width: 10, height: 10 },
  ]) {
    await assert.rejects(
      lm.landmarks(img, [box]),
      (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
    );
  }
  assert.deepEqual(await lm.landmarks(img, []), []);
});

test('batched landmarks equal one-at-a-time landmarks', async () => {
  const lm = await getLandmarker();
  const img = syntheticImage(160, 120);
  const boxes = [
    { x: 10, y: 10, width: 90, height: 100 },
    { x: 50, y: 5, width: 100, height: 80 },
    { x: 30, y: 20, width: 70, height: 70 },
  ];
  const together = await lm.landmarks(img, boxes);
  for (let i = 0; i < boxes.length; i++) {
    const [alone] = await lm.landmarks(img, [boxes[i]]);
    for (let k = 0; k < 68; k++) {
      assert.ok(
        Math.abs(alone[k].x - together[i][k].x) < 1e-3 && Math.abs(alone[k].y - together[i][k].y) < 1e-3,
        `box ${i} point ${k}`,
      );
    }
  }
  assert.notDeepEqual(together[0], together[1]);
});
