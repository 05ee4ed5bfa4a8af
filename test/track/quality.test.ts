import { test } from 'node:test';
import assert from 'node:assert/strict';
import { faceQuality, frontality, sharpness } from '../../src/track/quality.js';
import type { RgbImage } from '../../src/image/types.js';

function checker(blur: number): RgbImage {
  const w = 96;
  const data = new Uint8Array(w * w * 3);
  for (let y = 0; y < w; y++)
    for (let x = 0; x < w; x++) {
      let v = 0;
      let n = 0;
      for (let dy = -blur; dy <= blur; dy++)
        for (let dx = -blur; dx <= blur; dx++) {
          v += ((((x + dx) >> 2) + ((y + dy) >> 2)) & 1) * 255;
          n++;
        }
      data.fill(v / n, 3 * (y * w + x), 3 * (y * w + x) + 3);
    }
  return { width: w, height: w, data };
}

test('sharpness: a sharp pattern scores higher than the same pattern blurred', () => {
  const box = { x: 0, y: 0, width: 96, height: 96 };
  const sharp = sharpness(checker(0), box);
  const blurred = sharpness(checker(3), box);
  assert.ok(sharp > 4 * blurred, `${sharp} vs ${blurred}`);
});

test('frontality: 1 for a frontal face, low for a turned one, 1 without points', () => {
  const frontal = [
    { x: 30, y: 40 },
    { x: 70, y: 40 },
    { x: 50, y: 60 },
    { x: 35, y: 80 },
    { x: 65, y: 80 },
  ];
  const turned = frontal.map((p, i) => (i === 2 ? { x: 68, y: 60 } : p));
  assert.ok(frontality(frontal) > 0.95);
  assert.ok(frontality(turned) < 0.2, String(frontality(turned)));
  assert.equal(frontality(undefined), 1);
});

test('quality: small, blurred or low-score views rank below a large sharp one', () => {
  const img = checker(0);
  const big = faceQuality(img, { x: 0, y: 0, width: 96, height: 96 }, 0.99).quality;
  const small = faceQuality(img, { x: 0, y: 0, width: 30, height: 30 }, 0.99).quality;
  const unsure = faceQuality(img, { x: 0, y: 0, width: 96, height: 96 }, 0.5).quality;
  const blurred = faceQuality(checker(3), { x: 0, y: 0, width: 96, height: 96 }, 0.99).quality;
  assert.ok(big > small && big > unsure && big > blurred, JSON.stringify({ big, small, unsure, blurred }));
});
