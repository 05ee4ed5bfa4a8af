/** The 5-point detectors' decoding, letterbox input and merging on synthetic tensors: a decoding bug fails here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeYunet, yunetLevels, YUNET_STRIDES, type YunetLevel } from '../../src/detect/yunet-decode.js';
import { decodeScrfd, scrfdLevels, SCRFD_STRIDES, type ScrfdLevel } from '../../src/detect/scrfd-decode.js';
import {
  concatCandidates,
  finishDetections,
  keepLarge,
  toSourcePixels,
  type Candidates,
} from '../../src/detect/candidates.js';
import { fittedSize, letterbox } from '../../src/detect/letterbox.js';
import { checkInputCaps, coarseFactor } from '../../src/detect/five-point-detector.js';
import { shrinkBox } from '../../src/image/transform.js';
import { FaceError } from '../../src/errors.js';
import type { RgbImage } from '../../src/image/types.js';

/** An internal check that failed: FaceError INTERNAL (exit 3 / HTTP 500), never an untyped RangeError. */
const internal = (e: unknown) => e instanceof FaceError && e.code === 'INTERNAL';

const close = (a: number, b: number, eps = 1e-4) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

/** Empty YuNet outputs for a width×height canvas: every cell scores 0. */
function yunetZeros(width: number, height: number): YunetLevel[] {
  return YUNET_STRIDES.map((stride) => {
    const cells = (width / stride) * (height / stride);
    return {
      stride,
      cls: new Float32Array(cells),
      obj: new Float32Array(cells),
      bbox: new Float32Array(4 * cells),
      kps: new Float32Array(10 * cells),
    };
  });
}

test('decodeYunet: score √(cls·obj), box from the cell, exp sizes, points from the cell; row-major cells', () => {
  const W = 96;
  const H = 64;
  const levels = yunetZeros(W, H);
  // stride 16: 6 columns × 4 rows; cell (col 4, row 2) = index 2·6 + 4 = 16
  const l = levels[1];
  const i = 16;
  l.cls[i] = 0.81;
  l.obj[i] = 1;
  l.bbox.set([0.5, 0.25, Math.log(2), Math.log(3)], 4 * i);
  l.kps.set([0.1, 0.2, 0.9, 0.2, 0.5, 0.5, 0.2, 0.8, 0.8, 0.8], 10 * i);
  // a weak cell at stride 8 that a threshold of 0.5 drops (√(0.5·0.4) ≈ 0.447)
  levels[0].cls[3] = 0.5;
  levels[0].obj[3] = 0.4;
  const c = decodeYunet(levels, W, H, 0.5);
  assert.equal(c.count, 1);
  close(c.scores[0], 0.9);
  // centre ((4 + 0.5)·16, (2 + 0.25)·16) = (72, 36), size (2·16, 3·16) = (32, 48)
  assert.deepEqual(
    [...c.boxes].map((v) => Math.round(v * 1e4) / 1e4),
    [56, 12, 88, 60],
  );
  const want = [0.1, 0.2, 0.9, 0.2, 0.5, 0.5, 0.2, 0.8, 0.8, 0.8].map((v, k) => ((k % 2 ? 2 : 4) + v) * 16);
  for (let k = 0; k < 10; k++) close(c.points[k], want[k]);
  // the weak cell appears at a lower threshold, at stride 8: cell 3 = (col 3, row 0)
  const all = decodeYunet(levels, W, H, 0.3);
  assert.equal(all.count, 2);
  close(all.boxes[0], 3 * 8 - 4);
  close(all.boxes[1], 0 * 8 - 4);
});

test('decodeYunet clamps cls and obj to [0, 1] and refuses outputs of the wrong size', () => {
  const levels = yunetZeros(32, 32);
  levels[2].cls[0] = 1.7;
  levels[2].obj[0] = -0.2;
  assert.equal(decodeYunet(levels, 32, 32, 0.01).count, 0);
  levels[2].obj[0] = 1.3;
  const c = decodeYunet(levels, 32, 32, 0.5);
  close(c.scores[0], 1);
  assert.throws(() => decodeYunet(levels, 64, 32, 0.5), internal);
});

test('yunetLevels takes cls_8 … kps_32 by name and names a missing output', () => {
  const out: Record<string, { data: Float32Array }> = {};
  for (const s of YUNET_STRIDES)
    for (const k of ['cls', 'obj', 'bbox', 'kps']) out[`${k}_${s}`] = { data: Float32Array.of(s, k.length) };
  const levels = yunetLevels(out);
  assert.deepEqual(
    levels.map((l) => [l.stride, l.cls[0], l.bbox[1]]),
    [
      [8, 8, 4],
      [16, 16, 4],
      [32, 32, 4],
    ],
  );
  delete out.kps_16;
  assert.throws(() => yunetLevels(out), /kps_16/);
});

function scrfdZeros(width: number, height: number, anchors = 2): ScrfdLevel[] {
  return SCRFD_STRIDES.map((stride) => {
    const n = (width / stride) * (height / stride) * anchors;
    return { stride, scores: new Float32Array(n), boxes: new Float32Array(4 * n), kps: new Float32Array(10 * n) };
  });
}

test('decodeScrfd: anchors at cell corners, two per cell, distances and offsets in strides', () => {
  const W = 64;
  const H = 96;
  const levels = scrfdZeros(W, H);
  // stride 32: 2 columns × 3 rows × 2 anchors; anchor 9 = cell 4 (col 0, row 2), second anchor
  const l = levels[2];
  const i = 9;
  l.scores[i] = 0.7;
  l.boxes.set([0.5, 0.25, 1, 2], 4 * i);
  l.kps.set([-0.2, -0.4, 0.4, -0.4, 0.1, 0, -0.2, 0.5, 0.3, 0.5], 10 * i);
  l.scores[10] = 0.6; // dropped at 0.65
  const c = decodeScrfd(levels, W, H, 0.65);
  assert.equal(c.count, 1);
  close(c.scores[0], 0.7);
  // anchor (0, 64): box (0 − 16, 64 − 8, 0 + 32, 64 + 64)
  assert.deepEqual([...c.boxes], [-16, 56, 32, 128]);
  const want = [-0.2, -0.4, 0.4, -0.4, 0.1, 0, -0.2, 0.5, 0.3, 0.5].map((v, k) => (k % 2 ? 64 : 0) + v * 32);
  for (let k = 0; k < 10; k++) close(c.points[k], want[k]);
  // anchor 10 = cell 5 (col 1, row 2), first anchor
  const both = decodeScrfd(levels, W, H, 0.5);
  assert.equal(both.count, 2);
  close(both.boxes[4], 32);
  close(both.boxes[5], 64);
  assert.throws(() => decodeScrfd(levels, W, H, 0.5, 1), internal);
});

test('scrfdLevels tells the nine outputs apart by shape, whatever their order, and counts anchors per cell', () => {
  const levels = scrfdZeros(64, 32);
  levels.forEach((l, k) => l.scores.fill(k + 1));
  const tensors = levels.flatMap((l) => [
    { data: l.kps, dims: [l.scores.length, 10] },
    { data: l.scores, dims: [l.scores.length, 1] },
    { data: l.boxes, dims: [l.scores.length, 4] },
  ]);
  const { levels: got, anchorsPerCell } = scrfdLevels(tensors.reverse(), 64, 32);
  assert.equal(anchorsPerCell, 2);
  assert.deepEqual(
    got.map((l) => [l.stride, l.scores[0], l.boxes.length, l.kps.length]),
    [
      [8, 1, 4 * 64, 10 * 64],
      [16, 2, 4 * 16, 10 * 16],
      [32, 3, 4 * 4, 10 * 4],
    ],
  );
  assert.throws(() => scrfdLevels(tensors.slice(1), 64, 32), internal);
});

test('letterbox: channel order, normalisation, black padding to multiples of 32, no enlargement', () => {
  const img: RgbImage = { width: 40, height: 20, data: new Uint8Array(40 * 20 * 3) };
  for (let p = 0; p < 800; p++) img.data.set([10, 20, 30], 3 * p);
  img.data.set([200, 100, 50], 3 * (5 * 40 + 7)); // pixel (7, 5)
  const bgr = letterbox(img, { order: 'bgr', mean: 0, std: 1, multiple: 32, maxSide: 640 });
  assert.deepEqual([bgr.width, bgr.height, bgr.scaleX, bgr.scaleY], [64, 32, 1, 1]);
  const at = (t: typeof bgr, c: number, x: number, y: number) => t.data[c * t.width * t.height + y * t.width + x];
  assert.deepEqual([at(bgr, 0, 7, 5), at(bgr, 1, 7, 5), at(bgr, 2, 7, 5)], [50, 100, 200]);
  assert.deepEqual([at(bgr, 0, 0, 0), at(bgr, 2, 39, 19)], [30, 10]);
  assert.deepEqual([at(bgr, 0, 40, 0), at(bgr, 1, 0, 20), at(bgr, 2, 63, 31)], [0, 0, 0]);
  const rgb = letterbox(img, { order: 'rgb', mean: 127.5, std: 128, multiple: 32, maxSide: 640 });
  close(at(rgb, 0, 7, 5), (200 - 127.5) / 128);
  close(at(rgb, 2, 7, 5), (50 - 127.5) / 128);
  close(at(rgb, 1, 50, 25), -127.5 / 128);
});

test('letterbox shrinks a photo over the cap by area averaging and reports the scale', () => {
  const img: RgbImage = { width: 200, height: 100, data: new Uint8Array(200 * 100 * 3).fill(90) };
  const t = letterbox(img, { order: 'rgb', mean: 0, std: 1, multiple: 32, maxSide: 50 });
  assert.deepEqual([t.width, t.height, t.scaleX, t.scaleY], [64, 32, 0.25, 0.25]);
  close(t.data[10 * 64 + 10], 90);
  assert.equal(t.data[10 * 64 + 55], 0);
  assert.deepEqual(fittedSize(1986, 1545, 640), { width: 640, height: 498 });
  assert.deepEqual(fittedSize(300, 200, 640), { width: 300, height: 200 });
});

test('letterbox into a reused scratch array gives the same tensor; a small one is not used', () => {
  const img: RgbImage = { width: 70, height: 40, data: new Uint8Array(70 * 40 * 3).map((_, i) => (i * 13) % 256) };
  const spec = { order: 'rgb' as const, mean: 127.5, std: 128, multiple: 32, maxSide: 640 };
  const fresh = letterbox(img, spec);
  const scratch = new Float32Array(3 * 96 * 64 + 500).fill(42);
  const reused = letterbox(img, spec, scratch);
  assert.equal(reused.data.buffer, scratch.buffer);
  assert.deepEqual(reused.data, fresh.data);
  const small = new Float32Array(10);
  assert.notEqual(letterbox(img, spec, small).data.buffer, small.buffer);
});

function candidates(rows: { score: number; box: [number, number, number, number]; pts?: number[] }[]): Candidates {
  return {
    count: rows.length,
    scores: Float32Array.from(rows.map((r) => r.score)),
    boxes: Float32Array.from(rows.flatMap((r) => r.box)),
    points: Float32Array.from(rows.flatMap((r) => r.pts ?? Array.from({ length: 10 }, (_, k) => r.box[k % 2] + k))),
  };
}

test('finishDetections: NMS, best first, clipped boxes, unclipped points, size and count filters', () => {
  const c = candidates([
    { score: 0.7, box: [10, 10, 50, 50] },
    { score: 0.9, box: [12, 12, 52, 52] }, // overlaps the first: it wins
    { score: 0.8, box: [-10, 60, 30, 100] }, // partly outside: clipped to x = 0
    { score: 0.95, box: [70, 70, 80, 80] }, // 10 px: below minFaceSize 20
  ]);
  const opts = { minScore: 0.5, iouThreshold: 0.4, minFaceSize: 20, maxFaces: 10 };
  const d = finishDetections(c, 100, 90, opts);
  assert.deepEqual(
    d.map((x) => x.score.toFixed(2)),
    ['0.90', '0.80'],
  );
  assert.deepEqual(d[0].box, { x: 12, y: 12, width: 40, height: 40 });
  assert.deepEqual(d[1].box, { x: 0, y: 60, width: 30, height: 30 });
  assert.equal(d[1].points![0].x, -10);
  assert.equal(d[0].points!.length, 5);
  assert.equal(finishDetections(c, 100, 90, { ...opts, maxFaces: 1 }).length, 1);
  assert.equal(finishDetections(c, 100, 90, { ...opts, iouThreshold: 0.95 }).length, 3);
  assert.equal(finishDetections(c, 100, 90, { ...opts, minFaceSize: 0 }).length, 3);
  assert.deepEqual(
    finishDetections(c, 100, 90, { ...opts, minScore: 0.92, minFaceSize: 0 }).map((x) => x.score.toFixed(2)),
    ['0.95'],
  );
});

test('toSourcePixels, keepLarge and concatCandidates map and merge the passes', () => {
  const a = candidates([{ score: 0.9, box: [10, 20, 30, 40] }]);
  const s = toSourcePixels(a, 0.5, 0.25);
  assert.deepEqual([...s.boxes], [20, 80, 60, 160]);
  assert.deepEqual([s.points[0], s.points[1]], [a.points[0] / 0.5, a.points[1] / 0.25]);
  const b = candidates([
    { score: 0.8, box: [0, 0, 100, 100] },
    { score: 0.7, box: [0, 0, 10, 100] },
  ]);
  const large = keepLarge(b, 50);
  assert.deepEqual([large.count, large.scores[0]], [1, b.scores[0]]);
  const all = concatCandidates([s, large]);
  assert.equal(all.count, 2);
  assert.deepEqual([...all.boxes], [20, 80, 60, 160, 0, 0, 100, 100]);
  assert.equal(all.points.length, 20);
});

test('coarseFactor: a coarse pass only above its side, by the smallest whole factor; caps are checked', () => {
  assert.equal(coarseFactor(250, 250, 320), 1);
  assert.equal(coarseFactor(320, 200, 320), 1);
  assert.equal(coarseFactor(640, 480, 320), 2);
  assert.equal(coarseFactor(500, 332, 320), 2);
  assert.equal(coarseFactor(641, 480, 320), 3);
  assert.equal(coarseFactor(4000, 3000, 0), 1);
  // a smaller coarse canvas for photos above a separate size: YuNet's 160 above 320
  assert.equal(coarseFactor(320, 240, 160, 320), 1);
  assert.equal(coarseFactor(250, 250, 160, 320), 1);
  assert.equal(coarseFactor(321, 200, 160, 320), 3);
  assert.equal(coarseFactor(640, 480, 160, 320), 4);
  assert.equal(coarseFactor(1024, 768, 160, 320), 7);
  assert.equal(coarseFactor(200, 100, 160, 0), 2); // at least 2: a factor of 1 would repeat the fine pass
  assert.deepEqual(checkInputCaps(1024, 160, 320), { maxSide: 1024, coarseSide: 160, coarseAbove: 320 });
  assert.throws(() => checkInputCaps(1024, 160, -1), FaceError);
  assert.doesNotThrow(() => checkInputCaps(640, 320));
  for (const [m, c] of [
    [10, 0],
    [640, 700],
    [640.5, 320],
    [640, 8],
  ])
    assert.throws(() => checkInputCaps(m, c), FaceError);
});

test('shrinkBox averages k×k blocks, partial blocks at the edges', () => {
  // 5×3, one channel pattern: value = 10·x + y in every channel
  const img: RgbImage = { width: 5, height: 3, data: new Uint8Array(5 * 3 * 3) };
  for (let y = 0; y < 3; y++)
    for (let x = 0; x < 5; x++) img.data.fill(10 * x + y, 3 * (y * 5 + x), 3 * (y * 5 + x) + 3);
  const s = shrinkBox(img, 2);
  assert.deepEqual([s.width, s.height], [3, 2]);
  const at = (x: number, y: number) => s.data[3 * (y * 3 + x)];
  assert.equal(at(0, 0), Math.round((0 + 10 + 1 + 11) / 4)); // 5.5 → 6
  assert.equal(at(2, 0), Math.round((40 + 41) / 2)); // right edge: one column
  assert.equal(at(1, 1), Math.round((22 + 32) / 2)); // bottom edge: one row
  assert.equal(at(2, 1), 42); // corner: one pixel
  assert.equal(shrinkBox(img, 1), img);
  assert.throws(() => shrinkBox(img, 1.5), internal);
});
