/** The geometry of the aligned-chip face check (the models' part is in test/reliability/chips.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chipTemplatePoints } from '../../src/align/chip.js';
import { isChipFace, landmarkResidual, padChip } from '../../src/align/chip-face.js';
import type { Landmarks68 } from '../../src/align/types.js';

test('landmarkResidual: 0 on the template itself, a fraction of the side when shifted', () => {
  const template = chipTemplatePoints({ size: 150 });
  const found = Array.from({ length: 68 }, () => ({ x: 0, y: 0 }));
  template.indices.forEach((i, k) => (found[i] = { ...template.points[k] }));
  assert.equal(landmarkResidual(found as Landmarks68, template, 150), 0);
  const shifted = found.map((p) => ({ x: p.x + 15, y: p.y }));
  assert.ok(Math.abs(landmarkResidual(shifted as Landmarks68, template, 150) - 0.1) < 1e-9);
});

test('padChip centres the chip on grey; isChipFace wants a wide box on the middle half', () => {
  const chip = { width: 4, height: 4, data: new Uint8Array(48).fill(7) };
  const { canvas, offset } = padChip(chip);
  assert.equal(offset, 2);
  assert.equal(canvas.width, 8);
  assert.equal(canvas.data[3 * (2 * 8 + 2)], 7);
  assert.equal(canvas.data[0], 128);
  const side = { width: 100, height: 100 };
  assert.ok(isChipFace({ x: 10, y: 5, width: 80, height: 90 }, side));
  assert.ok(!isChipFace({ x: 10, y: 5, width: 30, height: 30 }, side), 'too small');
  assert.ok(!isChipFace({ x: 60, y: 0, width: 60, height: 60 }, side), 'off centre');
  assert.ok(isChipFace({ x: 60, y: 55, width: 80, height: 90 }, side, 50), 'on the padded canvas');
});
