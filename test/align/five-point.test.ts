import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARCFACE_112_TEMPLATE, alignFivePoint, fivePointTransform, templateInBox } from '../../src/align/five-point.js';
import { mapToChip } from '../../src/align/chip.js';
import { FaceError } from '../../src/errors.js';
import type { RgbImage } from '../../src/image/types.js';

const SPEC = { size: 112, template: ARCFACE_112_TEMPLATE };

/** The template moved by a known similarity: scale s, angle a (radians), then translated. */
function placed(s: number, a: number, tx: number, ty: number) {
  return ARCFACE_112_TEMPLATE.map((p) => ({
    x: s * (Math.cos(a) * p.x - Math.sin(a) * p.y) + tx,
    y: s * (Math.sin(a) * p.x + Math.cos(a) * p.y) + ty,
  }));
}

test('five known points land on the ArcFace template to 0.01 px', () => {
  for (const [s, a, tx, ty] of [
    [1, 0, 0, 0],
    [2.7, 0.35, 140, 80],
    [0.6, -0.8, 300.5, 20.25],
    [4, Math.PI * 0.9, 900, 700],
  ]) {
    const t = fivePointTransform(placed(s, a, tx, ty), SPEC);
    const back = mapToChip(t, placed(s, a, tx, ty));
    back.forEach((p, i) => {
      assert.ok(
        Math.abs(p.x - ARCFACE_112_TEMPLATE[i].x) < 0.01 && Math.abs(p.y - ARCFACE_112_TEMPLATE[i].y) < 0.01,
        `point ${i}: ${p.x},${p.y}`,
      );
    });
    assert.ok(Math.abs(t.scale - s) < 1e-9, `scale ${t.scale}`); // image pixels per chip pixel
  }
});

test('the chip samples the image at the template: marked points appear at the template pixels', () => {
  const w = 400,
    h = 300;
  const img: RgbImage = { width: w, height: h, data: new Uint8Array(w * h * 3) };
  const pts = placed(1.5, 0.2, 120, 40).map((p) => ({ x: Math.round(p.x), y: Math.round(p.y) }));
  for (const p of pts)
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++)
        img.data.fill(255, ((p.y + dy) * w + p.x + dx) * 3, ((p.y + dy) * w + p.x + dx) * 3 + 3);
  const chip = alignFivePoint(img, pts, SPEC);
  assert.equal(chip.width, 112);
  const t = fivePointTransform(pts, SPEC);
  for (const q of mapToChip(t, pts)) {
    const v = chip.data[(Math.round(q.y) * 112 + Math.round(q.x)) * 3];
    assert.ok(v > 200, `marked point at chip (${q.x.toFixed(1)}, ${q.y.toFixed(1)}) reads ${v}`);
  }
  // outside the image is black
  const edge = alignFivePoint(img, placed(1.5, 0, -60, -60), SPEC);
  assert.equal(edge.data[0], 0);
});

test('five-point alignment refuses the wrong point count; faces without points use the template in their box', () => {
  const img: RgbImage = { width: 10, height: 10, data: new Uint8Array(300) };
  assert.throws(
    () => alignFivePoint(img, ARCFACE_112_TEMPLATE.slice(0, 4), SPEC),
    (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
  );
  const inBox = templateInBox({ x: 10, y: 20, width: 224, height: 224 }, SPEC);
  assert.ok(Math.abs(inBox[0].x - (10 + 2 * 38.2946)) < 1e-9 && Math.abs(inBox[0].y - (20 + 2 * 51.6963)) < 1e-9);
});
