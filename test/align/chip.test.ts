import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import {
  alignToChip,
  chipTemplatePoints,
  chipTransform,
  mapToChip,
  DLIB_MEAN_FACE_X,
  type ChipOptions,
} from '../../src/align/chip.js';
import { applyAffine } from '../../src/align/resample.js';
import { applySimilarity, type Similarity } from '../../src/align/similarity.js';
import { Landmarker } from '../../src/align/landmarker.js';
import type { Point } from '../../src/align/types.js';
import type { RgbImage } from '../../src/image/types.js';
import { decodeImage } from '../../src/image/decode.js';
import { FaceError } from '../../src/errors.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';

const CACHE = process.env.FACENET_CACHE; // undefined: the default cache (built on first use)
const SIZE = 150;
const BLOBS = [36, 45, 33, 48, 54, 27];

const make = (scale: number, angle: number, tx: number, ty: number): Similarity => ({
  a: scale * Math.cos(angle),
  b: scale * Math.sin(angle),
  tx,
  ty,
});

/** 68 points in chip coordinates: jaw on an arc, then the mean face; the 5-point template's own points for dlib5. */
function chipPoints68(opts: ChipOptions = {}): Point[] {
  const { points } = chipTemplatePoints({ template: 'dlib68-all' });
  const jaw = Array.from({ length: 17 }, (_, i) => {
    const th = Math.PI * (1 - i / 16);
    return { x: 75 + 60 * Math.cos(th), y: 70 + 55 * Math.sin(th) };
  });
  const all = [...jaw, ...points];
  if (opts.template === 'dlib5') {
    const five = chipTemplatePoints({ template: 'dlib5' });
    five.indices.forEach((k, i) => (all[k] = five.points[i]));
  }
  return all;
}

/** Landmarks in the image: the chip points mapped by `t`, so that the template fit is exact. */
function syntheticLandmarks(t: Similarity, opts: ChipOptions = {}): Point[] {
  return chipPoints68(opts).map((p) => applySimilarity(t, p));
}

/** Black image with a white Gaussian blob (σ = 1.5 chip pixels) on each landmark in BLOBS. */
function blobImage(width: number, height: number, landmarks: Point[], scale: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  const sigma = 1.5 * scale;
  const r = Math.ceil(5 * sigma);
  for (const k of BLOBS) {
    const { x: cx, y: cy } = landmarks[k];
    for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(height - 1, Math.ceil(cy + r)); y++)
      for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(width - 1, Math.ceil(cx + r)); x++) {
        const v = 250 * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));
        const o = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) data[o + c] = Math.min(255, data[o + c] + Math.round(v));
      }
  }
  return { width, height, data };
}

/** Intensity centroid of the red channel within `radius` of (x, y). */
function centroid(img: RgbImage, x: number, y: number, radius = 5): Point {
  let sx = 0,
    sy = 0,
    sw = 0;
  for (let r = Math.round(y) - radius; r <= Math.round(y) + radius; r++)
    for (let c = Math.round(x) - radius; c <= Math.round(x) + radius; c++) {
      if (r < 0 || c < 0 || r >= img.height || c >= img.width) continue;
      const w = img.data[(r * img.width + c) * 3];
      sx += w * c;
      sy += w * r;
      sw += w;
    }
  assert.ok(sw > 0, `no blob near (${x.toFixed(1)}, ${y.toFixed(1)})`);
  return { x: sx / sw, y: sy / sw };
}

/** Where template point t (chip units) lands in dlib's chip geometry when the fit is exact with scale s. */
function dlibChipPosition(t: Point, s: number, n = SIZE): Point {
  const k = (n * s - 1) / (n - 1);
  return { x: (n - 1) / 2 + (s / k) * (t.x - n / 2), y: (n - 1) / 2 + (s / k) * (t.y - n / 2) };
}

const cases: { name: string; scale: number; angle: number; opts: ChipOptions }[] = [
  { name: 'upsampling ×1.25, similarity geometry', scale: 0.8, angle: 0.3, opts: { geometry: 'similarity' } },
  { name: 'upsampling ×1.25, dlib geometry', scale: 0.8, angle: 0.3, opts: {} },
  { name: 'downsampling ×1.6 (plain bilinear)', scale: 1.6, angle: -0.5, opts: {} },
  { name: 'downsampling ×3.3 (one pyramid level)', scale: 3.3, angle: 0.2, opts: {} },
  { name: 'downsampling ×5 (two pyramid levels)', scale: 5, angle: -0.1, opts: {} },
  { name: 'downsampling ×3.3, supersampling', scale: 3.3, angle: 0.2, opts: { antialias: 'supersample' } },
  { name: 'bicubic', scale: 1.2, angle: 0.7, opts: { interpolation: 'bicubic' } },
  { name: 'dlib5 template', scale: 1.1, angle: 0.15, opts: { template: 'dlib5' } },
];

for (const c of cases) {
  test(`synthetic warp puts template points where they belong: ${c.name}`, (tt) => {
    // face centre placed in the middle of an image big enough to hold the whole chip region
    const side = Math.ceil(SIZE * c.scale * 1.6);
    const center = { x: side / 2 + 3.3, y: side / 2 - 2.1 };
    const rot = make(c.scale, c.angle, 0, 0);
    const mid = applySimilarity(rot, { x: SIZE / 2, y: SIZE / 2 });
    const truth = { ...rot, tx: center.x - mid.x, ty: center.y - mid.y };
    const landmarks = syntheticLandmarks(truth, c.opts);
    const img = blobImage(side, side, landmarks, c.scale);
    const chip = alignToChip(img, landmarks, c.opts);
    assert.equal(chip.width, SIZE);
    assert.equal(chip.height, SIZE);
    const tform = chipTransform(landmarks, c.opts);
    assert.ok(Math.abs(tform.scale - c.scale) < 1e-9 && Math.abs(tform.angle - c.angle) < 1e-9);
    const points = chipPoints68(c.opts);
    let worst = 0;
    for (const k of BLOBS) {
      const t = points[k];
      const expected = c.opts.geometry === 'similarity' ? t : dlibChipPosition(t, c.scale);
      const found = centroid(chip, expected.x, expected.y);
      worst = Math.max(worst, Math.hypot(found.x - expected.x, found.y - expected.y));
      // and mapToChip agrees with the pixels
      const [m] = mapToChip(tform, [landmarks[k]]);
      assert.ok(Math.hypot(m.x - expected.x, m.y - expected.y) < 1e-6);
    }
    tt.diagnostic(`worst blob offset ${worst.toFixed(4)} chip px`);
    assert.ok(worst < 0.08, `blob centroid off by ${worst.toFixed(3)} chip px`);
  });
}

test('dlib geometry is dlib chip_details: corners of the centred rectangle of side size·scale − 1', () => {
  const truth = make(2, 0, 10, 20);
  const t = chipTransform(syntheticLandmarks(truth));
  // tform(size/2) = (160, 170); rect side 299 → corners at 160 ± 149.5
  const [x0, y0] = applyAffine(t.chipToImage, 0, 0);
  const [x1, y1] = applyAffine(t.chipToImage, SIZE - 1, SIZE - 1);
  assert.ok(Math.abs(x0 - 10.5) < 1e-9 && Math.abs(y0 - 20.5) < 1e-9, `${x0}, ${y0}`);
  assert.ok(Math.abs(x1 - 309.5) < 1e-9 && Math.abs(y1 - 319.5) < 1e-9, `${x1}, ${y1}`);
});

test('template variants and padding change the geometry as specified', () => {
  const a = chipTemplatePoints();
  const all = chipTemplatePoints({ template: 'dlib68-all' });
  const five = chipTemplatePoints({ template: 'dlib5' });
  assert.equal(a.points.length, 33); // 17..67 without eyebrows (17–26) and lower lip (55–59, 65–67)
  assert.ok(!a.indices.some((i) => i < 27 || (i >= 55 && i <= 59) || i >= 65));
  assert.equal(all.points.length, 51);
  assert.deepEqual(five.indices, [45, 42, 36, 39, 33]);
  // ((padding + t) / (2·padding + 1))·size
  assert.ok(Math.abs(all.points[0].x - ((0.25 + DLIB_MEAN_FACE_X[0]) / 1.5) * 150) < 1e-12);
  const p0 = chipTemplatePoints({ template: 'dlib68-all', padding: 0, size: 100 });
  assert.ok(Math.abs(p0.points[0].x - DLIB_MEAN_FACE_X[0] * 100) < 1e-12);
});

test('outside the image the chip is black (dlib) or edge-replicated', () => {
  // a face whose chip region hangs over the left/top border of a uniform grey image
  const img: RgbImage = { width: 200, height: 200, data: new Uint8Array(200 * 200 * 3).fill(200) };
  const landmarks = syntheticLandmarks(make(1, 0, -40, -30));
  const zero = alignToChip(img, landmarks);
  const rep = alignToChip(img, landmarks, { border: 'replicate' });
  assert.equal(zero.data[0], 0);
  assert.ok(rep.data[0] >= 199);
  const last = (SIZE * SIZE - 1) * 3;
  assert.ok(zero.data[last] >= 199 && rep.data[last] >= 199);
});

test('missing or degenerate landmarks give a typed error', () => {
  const img: RgbImage = { width: 50, height: 50, data: new Uint8Array(50 * 50 * 3) };
  const invalid = (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT';
  assert.throws(() => alignToChip(img, Array(68).fill({ x: 10, y: 10 })), invalid);
  assert.throws(() => alignToChip(img, Array(30).fill({ x: 10, y: 10 })), invalid);
  assert.throws(() => alignToChip(img, syntheticLandmarks(make(1, 0, 0, 0)), { size: 0 }), invalid);
});

test(
  'johns chips: landmarks on the whole chip, realigned, give nearly the identity',
  { skip: needDataset(JOHNS_DIR) },
  async (t) => {
    const files = readdirSync(JOHNS_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) =>
        readdirSync(path.join(JOHNS_DIR, d.name))
          .filter((f) => f.endsWith('.jpg'))
          .sort()
          .map((f) => path.join(JOHNS_DIR, d.name, f)),
      );
    assert.ok(files.length >= 10, `only ${files.length} johns chips`);
    const lm = await Landmarker.load({ cacheDir: CACHE, threads: 1 });
    let sumScale = 0,
      sumAngle = 0,
      sumDx = 0,
      sumDy = 0,
      sumCorner = 0,
      maxCorner = 0;
    for (const file of files) {
      const img = await decodeImage(file);
      assert.equal(img.width, SIZE);
      const [landmarks] = await lm.landmarks(img, [{ x: 0, y: 0, width: img.width, height: img.height }]);
      const tf = chipTransform(landmarks);
      sumScale += tf.scale;
      sumAngle += tf.angle;
      const [cx, cy] = applyAffine(tf.chipToImage, (SIZE - 1) / 2, (SIZE - 1) / 2);
      sumDx += cx - (SIZE - 1) / 2;
      sumDy += cy - (SIZE - 1) / 2;
      // residual: how far the realigned chip's corners land from where they were
      let corner = 0;
      for (const [x, y] of [
        [0, 0],
        [SIZE - 1, 0],
        [0, SIZE - 1],
        [SIZE - 1, SIZE - 1],
      ]) {
        const [u, v] = applyAffine(tf.chipToImage, x, y);
        corner = Math.max(corner, Math.hypot(u - x, v - y));
      }
      sumCorner += corner;
      maxCorner = Math.max(maxCorner, corner);
    }
    await lm.close();
    const n = files.length;
    const summary = {
      chips: n,
      meanScale: +(sumScale / n).toFixed(4),
      meanAngleDeg: +((sumAngle / n) * (180 / Math.PI)).toFixed(3),
      meanCentreShiftPx: [+(sumDx / n).toFixed(2), +(sumDy / n).toFixed(2)],
      meanMaxCornerPx: +(sumCorner / n).toFixed(2),
      worstCornerPx: +maxCorner.toFixed(2),
    };
    t.diagnostic(`johns identity residual: ${JSON.stringify(summary)}`);
    assert.ok(Math.abs(summary.meanScale - 1) < 0.02, JSON.stringify(summary));
    assert.ok(Math.abs(summary.meanAngleDeg) < 1, JSON.stringify(summary));
    assert.ok(Math.hypot(sumDx / n, sumDy / n) < 1.5, JSON.stringify(summary));
    assert.ok(summary.meanMaxCornerPx < 4.5, JSON.stringify(summary));
    assert.ok(summary.worstCornerPx < 12, JSON.stringify(summary));
  },
);
