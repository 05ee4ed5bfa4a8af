/**
 * The per-pixel kernels of the 5-point pipeline (letterbox, shrinkBox, chip tensors, the bilinear chip warp) were
 * rewritten for speed (docs/packs.md, "Where the time goes"). They must give exactly what the plain formulas give,
 * byte for byte and float for float: these tests hold them to straightforward reference code on random images of
 * awkward sizes (odd sides, partial blocks, padding on both sides, sides below the canvas multiple).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { letterbox, type LetterboxSpec } from '../../src/detect/letterbox.js';
import { shrinkBox } from '../../src/image/transform.js';
import { chipsToTensor, type EmbedderInputSpec } from '../../src/embed/input-spec.js';
import { alignFivePoint, ARCFACE_112_TEMPLATE } from '../../src/align/five-point.js';
import { EDGEFACE_INPUT } from '../../src/pack/packs.js';
import type { RgbImage } from '../../src/image/types.js';

let seed = 12345;
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
function randomImage(width: number, height: number): RgbImage {
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => (rnd() * 256) | 0) };
}
const SIZES: [number, number][] = [
  [1, 1],
  [5, 3],
  [37, 53],
  [64, 32],
  [97, 71],
  [130, 200],
];

/** The plain formula: every canvas value (pixel − mean) / std in the spec's channel order, black elsewhere. */
function referenceLetterbox(img: RgbImage, spec: LetterboxSpec): Float32Array {
  const width = Math.ceil(img.width / spec.multiple) * spec.multiple;
  const height = Math.ceil(img.height / spec.multiple) * spec.multiple;
  const out = new Float32Array(3 * width * height).fill((0 - spec.mean) * (1 / spec.std));
  const order = spec.order === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < img.height; y++)
      for (let x = 0; x < img.width; x++)
        out[c * width * height + y * width + x] =
          (img.data[3 * (y * img.width + x) + order[c]] - spec.mean) * (1 / spec.std);
  return out;
}

test('letterbox equals the plain per-pixel formula, float for float, for both channel orders and any padding', () => {
  for (const [w, h] of SIZES)
    for (const spec of [
      { order: 'bgr', mean: 0, std: 1, multiple: 32, maxSide: 4096 },
      { order: 'rgb', mean: 127.5, std: 128, multiple: 32, maxSide: 4096 },
      { order: 'rgb', mean: 127.5, std: 127.5, multiple: 8, maxSide: 4096 },
    ] as LetterboxSpec[]) {
      const img = randomImage(w, h);
      const scratch = new Float32Array(3 * 256 * 256).fill(7); // stale values must all be overwritten
      assert.deepEqual(letterbox(img, spec, scratch).data, referenceLetterbox(img, spec), `${w}×${h} ${spec.order}`);
    }
});

test('shrinkBox equals Math.round of each k×k block mean (partial blocks at the edges), byte for byte', () => {
  for (const [w, h] of SIZES)
    for (const k of [2, 3, 4, 7]) {
      const img = randomImage(w, h);
      const got = shrinkBox(img, k);
      const ow = Math.ceil(w / k),
        oh = Math.ceil(h / k);
      assert.deepEqual([got.width, got.height], [ow, oh]);
      const want = new Uint8Array(ow * oh * 3);
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++)
          for (let c = 0; c < 3; c++) {
            let sum = 0,
              n = 0;
            for (let y = oy * k; y < Math.min(h, oy * k + k); y++)
              for (let x = ox * k; x < Math.min(w, ox * k + k); x++, n++) sum += img.data[3 * (y * w + x) + c];
            want[3 * (oy * ow + ox) + c] = Math.round(sum / n);
          }
      assert.deepEqual(got.data, want, `${w}×${h} k=${k}`);
    }
  // every rounding case of a 2×2 block: sums 0…1020, halves rounded up
  const img: RgbImage = { width: 2, height: 2, data: new Uint8Array(12) };
  for (let sum = 0; sum <= 1020; sum++) {
    const q = Math.floor(sum / 4),
      r = sum % 4;
    img.data.set([q + (r > 0 ? 1 : 0), q + (r > 1 ? 1 : 0), q + (r > 2 ? 1 : 0), q].flatMap((v) => [v, v, v]));
    assert.equal(shrinkBox(img, 2).data[0], Math.round(sum / 4), `sum ${sum}`);
  }
});

test('chipsToTensor equals (pixel − mean) / std per value, in NCHW and NHWC, RGB and BGR', () => {
  const chips = [randomImage(112, 112), randomImage(112, 112), randomImage(112, 112)];
  for (const spec of [
    EDGEFACE_INPUT,
    { ...EDGEFACE_INPUT, channels: 'bgr', layout: 'nhwc', mean: 0, std: 1 },
    { ...EDGEFACE_INPUT, mean: 91.4953, std: 1 / 0.0078125 },
  ] as EmbedderInputSpec[]) {
    const t = chipsToTensor(chips, spec);
    const plane = 112 * 112;
    const want = new Float32Array(3 * 3 * plane);
    const order = spec.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
    chips.forEach((chip, n) => {
      for (let i = 0; i < plane; i++)
        for (let c = 0; c < 3; c++)
          want[spec.layout === 'nchw' ? (n * 3 + c) * plane + i : (n * plane + i) * 3 + c] =
            (chip.data[3 * i + order[c]] - spec.mean) * (1 / spec.std);
    });
    assert.deepEqual(t.data, want, `${spec.channels} ${spec.layout} ${spec.mean}`);
    // into a reused array holding stale values: the same tensor, in that array; a small one is not used
    const scratch = new Float32Array(want.length + 100).fill(42);
    const reused = chipsToTensor(chips, spec, scratch);
    assert.equal(reused.data.buffer, scratch.buffer);
    assert.deepEqual(reused.data, want);
    assert.notEqual(chipsToTensor(chips, spec, new Float32Array(10)).data.length, 10);
  }
});

test('the five-point chip equals a plain bilinear warp of the image (zero outside, rounded)', () => {
  const img = randomImage(97, 71);
  for (const [s, a, tx, ty] of [
    [0.5, 0.3, 20, -5],
    [0.9, -0.2, -10, 10],
    [1.7, 1.0, 60, -30],
  ]) {
    const points = ARCFACE_112_TEMPLATE.map((p) => ({
      x: s * (Math.cos(a) * p.x - Math.sin(a) * p.y) + tx,
      y: s * (Math.sin(a) * p.x + Math.cos(a) * p.y) + ty,
    }));
    const chip = alignFivePoint(img, points, { size: 112, template: ARCFACE_112_TEMPLATE });
    // the template was moved by an exact similarity, so chip pixel (c, r) samples the image at that similarity
    // of (c, r)
    const want = new Uint8Array(112 * 112 * 3);
    for (let r = 0; r < 112; r++)
      for (let c = 0; c < 112; c++) {
        const x = s * (Math.cos(a) * c - Math.sin(a) * r) + tx,
          y = s * (Math.sin(a) * c + Math.cos(a) * r) + ty;
        const x0 = Math.floor(x),
          y0 = Math.floor(y);
        if (x0 < 0 || y0 < 0 || x0 + 1 >= img.width || y0 + 1 >= img.height) continue;
        const fx = x - x0,
          fy = y - y0;
        for (let k = 0; k < 3; k++) {
          const at = (xx: number, yy: number) => img.data[3 * (yy * img.width + xx) + k];
          const v =
            (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
            fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
          want[3 * (r * 112 + c) + k] = Math.min(255, Math.max(0, Math.round(v)));
        }
      }
    // the least-squares fit recovers the similarity to ~1e-12, so a sample can land on the other side of a rounding
    // edge
    let off = 0,
      farOff = 0;
    for (let i = 0; i < want.length; i++) {
      if (chip.data[i] !== want[i]) off++;
      if (Math.abs(chip.data[i] - want[i]) > 1) farOff++;
    }
    assert.equal(farOff, 0, `s=${s}: ${farOff} values off by more than 1`);
    assert.ok(off <= 3, `s=${s}: ${off} of ${want.length} values differ`);
  }
});
