import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { SsdDetector, DEFAULT_MIN_SCORE } from '../../src/detect/detector.js';
import { iou } from '../../src/detect/box.js';
import type { Box, Detection } from '../../src/detect/types.js';
import { decodeImage } from '../../src/image/decode.js';
import type { RgbImage } from '../../src/image/types.js';
import { FaceError } from '../../src/errors.js';
import { JOHNS_DIR, LFW_DIR, needDataset } from '../helpers/datasets.js';
import { DLIB_FACES as DLIB, NO_FACES, dlibFacesLabelled, matchBoxes } from '../helpers/detection-data.js';

let detector: SsdDetector;
before(async () => {
  detector = await SsdDetector.load({ threads: 1 });
});
after(async () => {
  await detector?.close();
});

/** Matched detections: greedy one-to-one, best IoU first. */
function countMatches(truth: Box[], found: Detection[], minIou: number): number {
  return matchBoxes(truth, found, minIou).length;
}

function assertInside(img: RgbImage, dets: Detection[]): void {
  for (const d of dets) {
    const { x, y, width, height } = d.box;
    assert.ok(
      x >= 0 && y >= 0 && width > 0 && height > 0 && x + width <= img.width + 1e-9 && y + height <= img.height + 1e-9,
      `box outside image: ${JSON.stringify(d.box)}`,
    );
    assert.ok(d.score >= 0 && d.score <= 1);
  }
}

test(
  'recall ≥ 0.9 at IoU ≥ 0.5 on the dlib_faces boxes at the default threshold',
  { skip: needDataset(DLIB) },
  async (t) => {
    const labelled = dlibFacesLabelled().map((p) => ({
      file: p.file,
      boxes: p.faces.map((f) => f.box),
      ignored: p.ignored,
    }));
    let total = 0;
    let hit = 0;
    let extra = 0;
    for (const item of labelled) {
      const img = await decodeImage(path.join(DLIB, item.file));
      const dets = await detector.detect(img);
      assertInside(img, dets);
      const matched = countMatches(item.boxes, dets, 0.5);
      // detections on boxes marked ignore are neither hits nor false positives
      const onIgnored = countMatches(item.ignored, dets, 0.5);
      total += item.boxes.length;
      hit += matched;
      extra += dets.length - matched - onIgnored;
    }
    const recall = hit / total;
    t.diagnostic(
      `recall ${hit}/${total} = ${recall.toFixed(3)} at IoU ≥ 0.5, ` +
        `minScore ${DEFAULT_MIN_SCORE}; ${extra} unmatched detections`,
    );
    assert.equal(total, 43, 'the dlib_faces XML files should hold 43 boxes');
    assert.ok(recall >= 0.9, `recall ${recall}`);
  },
);

test('no face on any no_faces image at the default threshold', { skip: needDataset(NO_FACES) }, async (t) => {
  const files = readdirSync(NO_FACES)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort();
  assert.ok(files.length > 0, 'no images in no_faces/');
  for (const f of files) {
    const img = await decodeImage(path.join(NO_FACES, f));
    const dets = await detector.detect(img);
    t.diagnostic(
      `${f}: ${dets.length} faces${dets.length ? ` (scores ${dets.map((d) => d.score.toFixed(3)).join(', ')})` : ''}`,
    );
    assert.equal(dets.length, 0, `${f}: ${JSON.stringify(dets)}`);
  }
});

test('tight face crops (johns chips) are found via the padded canvas', { skip: needDataset(JOHNS_DIR) }, async (t) => {
  const files = readdirSync(JOHNS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(path.join(JOHNS_DIR, d.name))
        .filter((f) => f.endsWith('.jpg'))
        .map((f) => path.join(JOHNS_DIR, d.name, f)),
    )
    .sort();
  assert.ok(files.length > 0);
  let found = 0;
  let padded = 0;
  for (const f of files) {
    const img = await decodeImage(f);
    const dets = await detector.detect(img);
    assertInside(img, dets);
    if (dets.length > 0) {
      found++;
      if (dets[0].padded) padded++;
      // a chip is a face: the box covers most of it
      assert.ok(
        Math.min(dets[0].box.width, dets[0].box.height) >= 0.5 * Math.min(img.width, img.height),
        `${f}: small box ${JSON.stringify(dets[0].box)}`,
      );
    }
  }
  const withoutFallback = found - padded; // the padded pass runs only when the first pass finds nothing
  t.diagnostic(
    `johns: face found in ${found}/${files.length} chips (${padded} via the padded pass); ` +
      `${withoutFallback}/${files.length} without the fallback`,
  );
  assert.ok(found / files.length >= 0.95, `only ${found}/${files.length} chips have a face`);
  assert.ok(found > withoutFallback, 'the padded pass should add faces');
});

test(
  'a large tight crop goes through the shrunk padded canvas and maps back',
  { skip: needDataset(JOHNS_DIR) },
  async () => {
    const files = readdirSync(JOHNS_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) =>
        readdirSync(path.join(JOHNS_DIR, d.name))
          .filter((f) => f.endsWith('.jpg'))
          .map((f) => path.join(JOHNS_DIR, d.name, f)),
      )
      .sort();
    let checked = 0;
    for (const file of files) {
      const small = await decodeImage(file);
      const { data, info } = await sharp(file)
        .resize(small.width * 8, small.height * 8)
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const big: RgbImage = {
        width: info.width,
        height: info.height,
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      };
      // only chips the first pass misses at 1200 px exercise the shrink + pad path
      if ((await detector.detect(big, { padFallback: false })).length > 0) continue;
      const [a] = await detector.detect(small);
      const [b] = await detector.detect(big);
      assert.ok(a && b, `${file}: face found at both sizes`);
      assert.equal(b.padded, true);
      assertInside(big, [b]);
      const scaled = { x: a.box.x * 8, y: a.box.y * 8, width: a.box.width * 8, height: a.box.height * 8 };
      assert.ok(
        iou(scaled, b.box) > 0.8,
        `${file}: boxes disagree: ${JSON.stringify(scaled)} vs ${JSON.stringify(b.box)}`,
      );
      if (++checked === 2) break;
    }
    assert.equal(checked, 2, 'expected chips that need the padded pass at 1200 px');
  },
);

test('options: maxFaces, minFaceSize, minScore, validation', { skip: needDataset(DLIB) }, async () => {
  const img = await decodeImage(path.join(DLIB, '2008_007676.jpg')); // seven faces, ~37–53 px
  const all = await detector.detect(img);
  assert.ok(all.length >= 5, `expected several faces, got ${all.length}`);
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].score >= all[i].score, 'sorted by score');
  const two = await detector.detect(img, { maxFaces: 2 });
  assert.deepEqual(two, all.slice(0, 2));
  const big = await detector.detect(img, { minFaceSize: 50, padFallback: false });
  assert.ok(big.length < all.length);
  for (const d of big) assert.ok(Math.min(d.box.width, d.box.height) >= 50);
  const loose = await detector.detect(img, { minScore: 0.3 });
  assert.ok(loose.length >= all.length);
  for (const d of loose) assert.ok(d.score > 0.3);
  await assert.rejects(
    detector.detect(img, { minScore: 1.5 }),
    (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
  );
  await assert.rejects(
    detector.detect(img, { maxFaces: -1 }),
    (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
  );
});

test('a blank image has no face, with or without the fallback', async () => {
  const img: RgbImage = { width: 320, height: 240, data: new Uint8Array(320 * 240 * 3).fill(90) };
  assert.deepEqual(await detector.detect(img), []);
  assert.deepEqual(await detector.detect(img, { padFallback: false, minScore: 0.3 }), []);
});

test('modelId names the network and its weights', () => {
  assert.match(detector.modelId, /^ssd-mobilenetv1@[0-9a-f]{12}$/);
});

test(
  'enlarge: false runs small photos at their own size and finds the same faces',
  { skip: needDataset(LFW_DIR) || needDataset(DLIB) },
  async (t) => {
    const { ssdInputSizeFor } = await import('../../src/detect/detector.js');
    assert.deepEqual([100, 128, 129, 250, 500, 512, 4000].map(ssdInputSizeFor), [128, 128, 192, 256, 512, 512, 512]);
    const root = path.join(LFW_DIR, 'lfw');
    const people = readdirSync(root)
      .sort()
      .filter((_, i) => i % 500 === 0);
    let worst = 1;
    for (const p of people) {
      const file = path.join(root, p, readdirSync(path.join(root, p)).sort()[0]);
      const img = await decodeImage(file);
      const big = await detector.detect(img, { minScore: 0.5 });
      const native = await detector.detect(img, { minScore: 0.5, enlarge: false });
      assertInside(img, native);
      // the face covering the centre (LFW's labelled face) is found both ways, in nearly the same place
      const central = (ds: Detection[]) =>
        ds.find((d) => d.box.x < 125 && d.box.x + d.box.width > 125 && d.box.y < 125 && d.box.y + d.box.height > 125);
      const a = central(big);
      const b = central(native);
      assert.ok(a && b, `${p}: central face ${a ? '' : 'not '}found enlarged, ${b ? '' : 'not '}found native`);
      worst = Math.min(worst, iou(a.box, b.box));
    }
    t.diagnostic(`${people.length} LFW photos (250×250 → 256 input): worst IoU native vs enlarged ${worst.toFixed(3)}`);
    assert.ok(worst > 0.6, `IoU ${worst}`);
    // a photo larger than the network input is shrunk to 512 either way: identical detections
    const img = await decodeImage(await sharp(path.join(DLIB, '2008_002470.jpg')).resize(800).jpeg().toBuffer());
    const dets = await detector.detect(img);
    assert.ok(dets.length > 0);
    assert.deepEqual(await detector.detect(img, { enlarge: false }), dets);
  },
);

test(
  'a large photo: the tiled pass finds the face the whole-photo pass scores 0.24 (bald_guys.jpg, 24 faces)',
  { skip: needDataset(DLIB) },
  async () => {
    const img = await decodeImage(path.join(DLIB, 'bald_guys.jpg'));
    // the largest face by eye (Jason Statham, lower left), as the tiles box it
    const face = { x: 393, y: 761, width: 226, height: 310 };
    const whole = await detector.detect(img, { tile: false });
    assert.ok(!whole.some((d) => iou(d.box, face) > 0.5), 'the whole-photo pass alone misses it (why the tiles exist)');
    const dets = await detector.detect(img);
    assertInside(img, dets);
    const found = dets.find((d) => iou(d.box, face) > 0.5);
    assert.ok(found && found.score > DEFAULT_MIN_SCORE, `found: ${JSON.stringify(found)}`);
    assert.equal(dets.length, 24, 'the 24 faces of the collage, each once');
  },
);
