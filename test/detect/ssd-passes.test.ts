/** The SSD's tiled pass: 2 × 2 overlapping tiles, cut faces at inner tile edges dropped, passes merged by NMS. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cropRgb, fromTile, mergeDetections, TILE_OVERLAP, tileRects } from '../../src/detect/ssd-passes.js';

test('tileRects: four tiles covering the photo, overlapping by TILE_OVERLAP of each side', () => {
  const tiles = tileRects(2000, 1500);
  assert.equal(tiles.length, 4);
  assert.deepEqual(tiles[0], { x: 0, y: 0, width: 1200, height: 900 });
  assert.deepEqual(tiles[3], { x: 800, y: 600, width: 1200, height: 900 });
  for (const t of tiles) assert.ok(t.x >= 0 && t.y >= 0 && t.x + t.width <= 2000 && t.y + t.height <= 1500);
  assert.equal(tiles[0].width - tiles[1].x, 2000 * TILE_OVERLAP, 'the overlap');
});

test('cropRgb copies the rows of the rectangle', () => {
  const img = { width: 4, height: 3, data: Uint8Array.from({ length: 36 }, (_, i) => i) };
  const c = cropRgb(img, { x: 1, y: 1, width: 2, height: 2 });
  assert.deepEqual([...c.data], [15, 16, 17, 18, 19, 20, 27, 28, 29, 30, 31, 32]);
});

test('fromTile: boxes move to photo pixels; a box cut by an inner tile edge goes, one at the photo edge stays', () => {
  const photo = { width: 2000, height: 1500 };
  const tile = { x: 800, y: 0, width: 1200, height: 900 }; // top right: inner edges left and bottom
  const d = (x: number, y: number) => ({ box: { x, y, width: 100, height: 100 }, score: 0.9 });
  const out = fromTile([d(500, 0), d(0, 300), d(500, 800), d(1100, 300)], tile, photo);
  assert.deepEqual(
    out.map((o) => o.box),
    [
      { x: 1300, y: 0, width: 100, height: 100 },
      { x: 1900, y: 300, width: 100, height: 100 },
    ],
  );
});

test('mergeDetections keeps the best of overlapping boxes from several passes', () => {
  const box = (x: number) => ({ x, y: 0, width: 100, height: 100 });
  const merged = mergeDetections(
    [
      [{ box: box(0), score: 0.6 }],
      [
        { box: box(10), score: 0.95 },
        { box: box(500), score: 0.9 },
      ],
    ],
    0.5,
  );
  assert.deepEqual(
    merged.map((m) => m.score),
    [0.95, 0.9],
  );
});
