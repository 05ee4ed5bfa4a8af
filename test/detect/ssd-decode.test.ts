import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  anchorsForSize,
  decodeBoxes,
  faceScores,
  nonMaxSuppression,
  postprocess,
  toPixelBox,
  toSsdInput,
} from '../../src/detect/ssd-decode.js';
import { iou } from '../../src/detect/box.js';
import { ssdFeatureMapSizes, ssdNumAnchors } from '../../src/detect/ssd-graph.js';
import { padCanvas } from '../../src/detect/detector.js';
import type { RgbImage } from '../../src/image/types.js';

function solid(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, data };
}

test('toSsdInput: a 512×512 image passes through unchanged, NCHW', () => {
  const img: RgbImage = { width: 512, height: 512, data: new Uint8Array(512 * 512 * 3).map((_, i) => (i * 7) % 256) };
  const { data, side } = toSsdInput(img);
  assert.equal(side, 512);
  for (const [y, x, c] of [
    [0, 0, 0],
    [10, 300, 1],
    [511, 511, 2],
    [200, 17, 0],
  ])
    assert.equal(data[c * 512 * 512 + y * 512 + x], img.data[(y * 512 + x) * 3 + c]);
});

test('toSsdInput pads to a square with zeros at the bottom/right, for both resamplers', () => {
  for (const resample of ['bilinear', 'area'] as const) {
    const wide = toSsdInput(solid(1024, 512, [200, 100, 50]), 512, resample);
    assert.equal(wide.side, 1024);
    // the top half holds the image, the bottom half is padding
    assert.ok(Math.abs(wide.data[0 * 512 * 512 + 100 * 512 + 100] - 200) < 1e-3, resample);
    assert.ok(Math.abs(wide.data[2 * 512 * 512 + 100 * 512 + 100] - 50) < 1e-3, resample);
    assert.equal(wide.data[0 * 512 * 512 + 400 * 512 + 100], 0, resample);
    const tall = toSsdInput(solid(300, 600, [10, 20, 30]), 512, resample);
    assert.equal(tall.side, 600);
    assert.ok(Math.abs(tall.data[1 * 512 * 512 + 300 * 512 + 100] - 20) < 1e-3, resample);
    assert.equal(tall.data[1 * 512 * 512 + 300 * 512 + 400], 0, resample);
  }
});

test('area resampling averages, bilinear point-samples', () => {
  // 1024×1024 vertical stripes, 1 px black / 1 px white: area gives grey, tfjs bilinear (no half-pixel) hits the black
  // columns.
  const img: RgbImage = {
    width: 1024,
    height: 1024,
    data: new Uint8Array(1024 * 1024 * 3).map((_, i) => (Math.floor(i / 3) % 2 ? 255 : 0)),
  };
  const area = toSsdInput(img, 512, 'area');
  const bil = toSsdInput(img, 512, 'bilinear');
  assert.ok(Math.abs(area.data[256 * 512 + 256] - 127.5) < 1e-3);
  assert.equal(bil.data[256 * 512 + 256], 0);
});

test('decodeBoxes: zero encodings give back the anchors; scale factors 10/10/5/5', () => {
  const anchors = Float32Array.of(0.1, 0.2, 0.3, 0.6, 0, 0, 1, 1);
  const zero = decodeBoxes(new Float32Array(8), anchors, 2);
  for (let i = 0; i < 8; i++) assert.ok(Math.abs(zero[i] - anchors[i]) < 1e-6);
  // ty = 10 shifts the centre by one anchor height; th = 5·ln2 doubles the height
  const enc = Float32Array.of(10, 0, 5 * Math.LN2, 0, 0, 0, 0, 0);
  const b = decodeBoxes(enc, anchors, 2);
  assert.ok(Math.abs(b[0] - (0.4 - 0.2)) < 1e-6 && Math.abs(b[2] - (0.4 + 0.2)) < 1e-6, `got ${b[0]}, ${b[2]}`);
  assert.ok(Math.abs(b[1] - 0.2) < 1e-6 && Math.abs(b[3] - 0.6) < 1e-6);
});

test('faceScores is the sigmoid of the class-1 logit', () => {
  const s = faceScores(Float32Array.of(5, 0, -3, -9, 2, 9), 2);
  assert.ok(Math.abs(s[0] - 0.5) < 1e-7);
  assert.ok(Math.abs(s[1] - 1 / (1 + Math.exp(-2))) < 1e-7);
});

test('nonMaxSuppression: best first, overlaps above the IoU threshold dropped, score threshold strict', () => {
  // boxes (ymin, xmin, ymax, xmax)
  const boxes = Float32Array.of(
    0,
    0,
    1,
    1, // 0
    0,
    0.05,
    1,
    1.05, // 1: IoU with 0 ≈ 0.9
    0,
    2,
    1,
    3, // 2: disjoint
    0,
    0.6,
    1,
    1.6, // 3: IoU with 0 = 0.25
    5,
    5,
    6,
    6, // 4: score exactly at threshold
  );
  const scores = [0.9, 0.95, 0.6, 0.7, 0.5];
  assert.deepEqual(nonMaxSuppression(boxes, scores, 100, 0.5, 0.5), [1, 3, 2]);
  assert.deepEqual(nonMaxSuppression(boxes, scores, 2, 0.5, 0.5), [1, 3]);
  assert.deepEqual(nonMaxSuppression(boxes, scores, 100, 0.2, 0.5), [1, 2]);
});

test('toPixelBox maps the padded square to pixels and clips to the image', () => {
  const boxes = Float32Array.of(-0.1, 0.25, 0.9, 1.2);
  const b = toPixelBox(boxes, 0, 800, 800, 600);
  assert.deepEqual(b, { x: 200, y: 0, width: 600, height: 600 });
});

test('postprocess honours minFaceSize and maxFaces', () => {
  const n = 5118;
  const anchors = new Float32Array(n * 4);
  const logits = new Float32Array(n * 3).fill(-10);
  // three disjoint boxes, sizes 0.3, 0.2, 0.01 of a 1000 px side
  const set = (i: number, y: number, x: number, s: number, logit: number) => {
    anchors.set([y, x, y + s, x + s], i * 4);
    logits[i * 3 + 1] = logit;
  };
  set(0, 0, 0, 0.3, 5);
  set(1, 0.5, 0.5, 0.2, 4);
  set(2, 0.9, 0.9, 0.01, 6);
  const enc = new Float32Array(n * 4);
  const img = { width: 1000, height: 1000, side: 1000 };
  const all = postprocess(enc, logits, anchors, img, {
    minScore: 0.5,
    iouThreshold: 0.5,
    minFaceSize: 0,
    maxFaces: 100,
  });
  assert.equal(all.length, 3);
  assert.ok(all[0].score > all[1].score && all[1].score > all[2].score);
  const big = postprocess(enc, logits, anchors, img, {
    minScore: 0.5,
    iouThreshold: 0.5,
    minFaceSize: 20,
    maxFaces: 100,
  });
  assert.deepEqual(
    big.map((d) => Math.round(d.box.width)),
    [300, 200],
  );
  const one = postprocess(enc, logits, anchors, img, {
    minScore: 0.5,
    iouThreshold: 0.5,
    minFaceSize: 20,
    maxFaces: 1,
  });
  assert.equal(one.length, 1);
  assert.equal(Math.round(one[0].box.width), 300);
});

test('iou of pixel boxes', () => {
  assert.equal(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 0, y: 0, width: 10, height: 10 }), 1);
  assert.equal(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 0, width: 10, height: 10 }), 0);
  assert.ok(
    Math.abs(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 }) - 1 / 3) < 1e-12,
  );
});

test('padCanvas centres the image on a grey canvas', () => {
  const img = solid(4, 2, [255, 0, 0]);
  const { image, offsetX, offsetY } = padCanvas(img, 0.5, 128);
  assert.deepEqual([image.width, image.height, offsetX, offsetY], [8, 4, 2, 1]);
  assert.deepEqual([...image.data.subarray(0, 3)], [128, 128, 128]);
  const at = (x: number, y: number) => [...image.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3)];
  assert.deepEqual(at(2, 1), [255, 0, 0]);
  assert.deepEqual(at(5, 2), [255, 0, 0]);
  assert.deepEqual(at(6, 2), [128, 128, 128]);
  const edge = padCanvas(img, 0.5, 'edge');
  assert.deepEqual([...edge.image.data.subarray(0, 3)], [255, 0, 0]);
});

test('loadSsdAnchors reads Output/extra_dim exactly as the full weight loader does', async () => {
  const { loadSsdAnchors } = await import('../../src/detect/detector.js');
  const { loadTfjsWeights } = await import('../../src/engine/tfjs-weights.js');
  const { faceApiModelDir } = await import('../../src/engine/model-store.js');
  const anchors = await loadSsdAnchors();
  const full = (await loadTfjsWeights(`${faceApiModelDir()}/ssd_mobilenetv1_model-weights_manifest.json`)).get(
    'Output/extra_dim',
  );
  assert.deepEqual(full.shape, [1, 5118, 4]);
  assert.deepEqual(anchors, full.data);
  // first anchor: centre (0.5/32, 0.5/32), side 0.1
  assert.ok(Math.abs(anchors[2] - anchors[0] - 0.1) < 1e-6 && Math.abs((anchors[0] + anchors[2]) / 2 - 1 / 64) < 1e-6);
});

test('shrinkArea averages blocks and keeps flat colours', async () => {
  const { shrinkArea } = await import('../../src/detect/ssd-decode.js');
  const flat = shrinkArea(solid(300, 200, [10, 200, 77]), 97, 61);
  assert.equal(flat.data.length, 97 * 61 * 3);
  assert.ok(flat.data.every((v, i) => v === [10, 200, 77][i % 3]));
  // 2×2 checker of 0/255 halves to grey
  const img: RgbImage = {
    width: 4,
    height: 4,
    data: new Uint8Array(48).map((_, i) => (((Math.floor(i / 3) % 4) + Math.floor(i / 12)) % 2 ? 255 : 0)),
  };
  const half = shrinkArea(img, 2, 2);
  assert.deepEqual([...half.data], new Array(12).fill(128));
  assert.throws(() => shrinkArea(img, 5, 2));
});

test('toSsdInput without enlarging: a small image sits unscaled at the top-left of the canvas', () => {
  const img = solid(250, 200, [10, 20, 30]);
  const { data, side, size } = toSsdInput(img, 256, 'area', false);
  assert.equal(size, 256);
  assert.equal(side, 256, 'boxes map back with the canvas side: one input pixel per image pixel');
  const plane = 256 * 256;
  assert.deepEqual([data[0], data[plane], data[2 * plane]], [10, 20, 30]);
  assert.deepEqual([data[199 * 256 + 249], data[199 * 256 + 250], data[200 * 256 + 10]], [10, 0, 0]);
});

test("anchorsForSize keeps each feature map's first cells with their pixel geometry", async () => {
  const { loadSsdAnchors } = await import('../../src/detect/detector.js');
  const a512 = await loadSsdAnchors();
  assert.deepEqual(ssdFeatureMapSizes(512), [32, 16, 8, 4, 2, 1]);
  assert.equal(ssdNumAnchors(512), 5118);
  assert.equal(anchorsForSize(a512, 512), a512);
  assert.deepEqual(ssdFeatureMapSizes(256), [16, 8, 4, 2, 1, 1]);
  const a256 = anchorsForSize(a512, 256);
  assert.equal(a256.length, ssdNumAnchors(256) * 4);
  const px = (a: Float32Array, size: number, i: number) => Array.from(a.subarray(i * 4, i * 4 + 4), (v) => v * size);
  const close = (x: number[], y: number[]) => x.every((v, k) => Math.abs(v - y[k]) < 1e-3);
  // first anchor of the first map: same pixels
  assert.ok(close(px(a256, 256, 0), px(a512, 512, 0)));
  // cell (y=1, x=2) of the first map (3 anchors per cell): row 1 is cell 16 at 256, cell 32 at 512
  assert.ok(close(px(a256, 256, (1 * 16 + 2) * 3 + 1), px(a512, 512, (1 * 32 + 2) * 3 + 1)));
  // first anchor of the second map (6 per cell): after 16² · 3 at 256, 32² · 3 at 512
  assert.ok(close(px(a256, 256, 16 * 16 * 3), px(a512, 512, 32 * 32 * 3)));
  // an anchor's centre lies on its map's pixel stride: cell (3, 5) of the 16-px first map → centre (88, 56)
  const [y0, x0, y1, x1] = px(a256, 256, (3 * 16 + 5) * 3);
  assert.ok(Math.abs((x0 + x1) / 2 - 88) < 1e-3 && Math.abs((y0 + y1) / 2 - 56) < 1e-3);
});
