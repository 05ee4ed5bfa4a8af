import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cropRect, resizeCropBgr } from '../../src/liveness/crop.js';
import { mapLivenessBox } from '../../src/liveness/check.js';
import type { RgbImage } from '../../src/image/types.js';

const W = 640;
const H = 480;
const width = (r: { left: number; right: number }) => r.right - r.left + 1;
const height = (r: { top: number; bottom: number }) => r.bottom - r.top + 1;

test('a box in the middle: the crop is s times the box around its centre, corners truncated', () => {
  const r = cropRect(W, H, { x: 300, y: 200, width: 40, height: 50 }, 2.7);
  // centre (320, 225); 108 × 135 → left 266, top 157.5 → 157, right 374, bottom 292.5 → 292
  assert.deepEqual(r, { left: 266, top: 157, right: 374, bottom: 292 });
});

test('s′ = min(s, (H−1)/h, (W−1)/w): a box too large for s fills the photo along its limiting side', () => {
  const r = cropRect(W, H, { x: 200, y: 100, width: 200, height: 300 }, 4);
  // (H−1)/h = 479/300 = 1.597 < 4: the crop is 319.3 × 479, the full height
  assert.equal(r.top, 0);
  assert.equal(r.bottom, H - 1);
  assert.ok(Math.abs(width(r) - 320) <= 1, `width ${width(r)}`);
});

test('near the left and top edges the crop is shifted inside, not clipped: its size is kept', () => {
  const box = { x: 5, y: 3, width: 40, height: 40 };
  const inside = cropRect(W, H, { ...box, x: 300, y: 200 }, 2.7);
  const r = cropRect(W, H, box, 2.7);
  assert.equal(r.left, 0);
  assert.equal(r.top, 0);
  assert.equal(width(r), width(inside));
  assert.equal(height(r), height(inside));
});

test('at the bottom-right corner the crop is shifted up and left, ending on the last row and column', () => {
  const r = cropRect(W, H, { x: W - 30, y: H - 25, width: 40, height: 40 }, 4);
  assert.equal(r.right, W - 1);
  assert.equal(r.bottom, H - 1);
  assert.ok(r.left >= 0 && r.top >= 0);
  assert.ok(Math.abs(width(r) - 160) <= 1 && Math.abs(height(r) - 160) <= 1, JSON.stringify(r));
});

test('a detector box sticking out of the photo still gives a crop inside it', () => {
  for (const box of [
    { x: -20, y: -30, width: 60, height: 70 },
    { x: W - 10, y: H - 10, width: 50, height: 50 },
    { x: -5, y: H - 40, width: 30, height: 80 },
  ]) {
    const r = cropRect(W, H, box, 2.7);
    assert.ok(r.left >= 0 && r.top >= 0 && r.right <= W - 1 && r.bottom <= H - 1, JSON.stringify({ box, r }));
    assert.ok(r.left <= r.right && r.top <= r.bottom);
  }
});

test('tiny photos and tiny faces: a 1×1 photo crops its one pixel; a 2-px face at a corner stays inside', () => {
  assert.deepEqual(cropRect(1, 1, { x: 0, y: 0, width: 1, height: 1 }, 4), { left: 0, top: 0, right: 0, bottom: 0 });
  const r = cropRect(W, H, { x: 0, y: 0, width: 2, height: 2 }, 4);
  assert.deepEqual(r, { left: 0, top: 0, right: 8, bottom: 8 });
});

test('YuNet-style mapping: a square of side 1.16·w centred 0.056·h lower', () => {
  const b = mapLivenessBox({ x: 100, y: 100, width: 100, height: 133 }, { side: 1.16, dx: 0, dy: 0.056 });
  assert.ok(Math.abs(b.width - 116) < 1e-9 && Math.abs(b.height - 116) < 1e-9);
  assert.ok(Math.abs(b.x + b.width / 2 - 150) < 1e-9);
  assert.ok(Math.abs(b.y + b.height / 2 - (166.5 + 0.056 * 133)) < 1e-9);
});

function image(w: number, h: number, px: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(px(x, y), (y * w + x) * 3);
  return { width: w, height: h, data };
}

test('resize: BGR planes of raw 0–255; an 80×80 region comes out unchanged', () => {
  const img = image(100, 90, (x, y) => [x, y, (x + y) % 256]);
  const out = new Float32Array(3 * 80 * 80);
  resizeCropBgr(img, { left: 10, top: 5, right: 89, bottom: 84 }, 80, out);
  const plane = 80 * 80;
  for (const [x, y] of [
    [0, 0],
    [79, 0],
    [33, 61],
    [79, 79],
  ]) {
    const [r, g, b] = [x + 10, y + 5, (x + 10 + y + 5) % 256];
    assert.deepEqual([out[y * 80 + x], out[plane + y * 80 + x], out[2 * plane + y * 80 + x]], [b, g, r]);
  }
});

test('resize: exactly half size averages each 2×2 block, rounding half up, as OpenCV does', () => {
  const img = image(160, 160, (x, y) => [((x % 2) + (y % 2)) * 3 + 1, x % 2 ? 255 : 0, y % 2 ? 10 : 11]);
  const out = new Float32Array(3 * 80 * 80);
  resizeCropBgr(img, { left: 0, top: 0, right: 159, bottom: 159 }, 80, out);
  const plane = 80 * 80;
  // red: (1 + 4 + 4 + 7) / 4 = 4; green: (0 + 255 + 0 + 255) / 4 = 127.5 → 128;
  // blue: (11 + 11 + 10 + 10) / 4 = 10.5 → 11
  assert.equal(out[2 * plane + 7], 4);
  assert.equal(out[plane + 7], 128);
  assert.equal(out[7], 11);
});

test('resize: a constant region stays constant when enlarged or shrunk by any factor', () => {
  const img = image(300, 200, () => [200, 100, 50]);
  for (const rect of [
    { left: 0, top: 0, right: 0, bottom: 0 },
    { left: 3, top: 7, right: 33, bottom: 19 },
    { left: 0, top: 0, right: 299, bottom: 199 },
  ]) {
    const out = new Float32Array(3 * 80 * 80);
    resizeCropBgr(img, rect, 80, out);
    const plane = 80 * 80;
    assert.ok(out.subarray(0, plane).every((v) => v === 50));
    assert.ok(out.subarray(plane, 2 * plane).every((v) => v === 100));
    assert.ok(out.subarray(2 * plane).every((v) => v === 200));
  }
});

test('resize: enlarging a 2×1 region interpolates with half-pixel centres and replicates the edges', () => {
  const img = image(2, 1, (x) => [x ? 200 : 0, 0, 0]);
  const out = new Float32Array(3 * 4 * 4);
  resizeCropBgr(img, { left: 0, top: 0, right: 1, bottom: 0 }, 4, out);
  // red plane (index 2), first row: source x = (d + 0.5)·0.5 − 0.5 = −0.25 (edge), 0.25, 0.75, 1.25 (edge)
  assert.deepEqual(Array.from(out.subarray(2 * 16, 2 * 16 + 4)), [0, 50, 150, 200]);
});
