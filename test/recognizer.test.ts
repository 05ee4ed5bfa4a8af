import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { FaceRecognizer, stagesOf } from '../src/recognizer.js';
import { centralFace } from '../src/detect/box.js';
import { unmirrorLandmarks } from '../src/align/landmark-mirror.js';
import { decodeImage } from '../src/image/decode.js';
import { flipHorizontal } from '../src/image/transform.js';
import { distance } from '../src/embed/vector.js';
import { readPairs, lfwImageRoot } from '../src/eval/lfw-pairs.js';
import { bestThreshold } from '../src/eval/roc.js';
import { LFW_THRESHOLD } from '../src/embed/calibrated-threshold.js';
import { DETECTION_DIR, JOHNS_DIR, LFW_DIR, needDataset } from './helpers/datasets.js';

const fr = await FaceRecognizer.load({ threads: 1 });

test(
  'one face on an LFW photo: box, landmarks inside it, chip 150×150, unit embedding',
  { skip: needDataset(LFW_DIR) },
  async () => {
    const file = path.join(LFW_DIR, 'lfw/Aaron_Peirsol/Aaron_Peirsol_0001.jpg');
    const faces = await fr.embed(file);
    assert.ok(faces.length >= 1);
    const f = centralFace(faces, 250, 250)!;
    assert.ok(f.score >= 0.5);
    const { x, y, width, height } = f.box;
    assert.ok(width > 50 && width < 200, `face width ${width}`);
    assert.equal(f.landmarks!.length, 68);
    const inside = f.landmarks!.filter(
      (p) => p.x >= x - 10 && p.x <= x + width + 10 && p.y >= y - 10 && p.y <= y + height + 10,
    ).length;
    assert.ok(inside >= 60, `${inside}/68 landmarks inside the box`);
    assert.equal(f.chip.width, 150);
    assert.equal(f.chip.height, 150);
    assert.ok(Math.abs(Math.hypot(...f.embedding) - 1) < 1e-5);
  },
);

test('aligned chips skip detection and equal embedChip', { skip: needDataset(JOHNS_DIR) }, async () => {
  const dir = path.join(JOHNS_DIR, 'John_Simm');
  const file = path.join(dir, readdirSync(dir).sort()[0]);
  const [face] = await fr.embed(file, { aligned: true });
  const chip = await decodeImage(file);
  assert.deepEqual(Array.from(face.embedding), Array.from(await stagesOf(fr).embedChip(chip)));
  // detected + re-aligned chip of the same photo stays close to the original alignment
  const [detected] = await fr.embed(file);
  assert.ok(detected, 'a face is found on a tight chip (padded-canvas retry)');
  assert.ok(
    distance(detected.embedding, face.embedding) < 0.3,
    `re-aligned distance ${distance(detected.embedding, face.embedding)}`,
  );
});

test('a photo without a face gives no face, not an error', { skip: needDataset(DETECTION_DIR) }, async () => {
  assert.deepEqual(await fr.embed(path.join(DETECTION_DIR, 'no_faces/giraffe.jpg')), []);
});

test('mirrored landmarks map back to the same points', async () => {
  const pts = Array.from({ length: 68 }, (_, i) => ({ x: 10 + i, y: 100 - i }));
  const mirrored = unmirrorLandmarks(unmirrorLandmarks(pts, 200), 200);
  assert.deepEqual(mirrored, pts);
  assert.equal(unmirrorLandmarks(pts, 200)[36].x, 200 - pts[45].x, 'left eye corner ↔ right eye corner');
});

test('flip TTA on landmarks finds the same face', { skip: needDataset(LFW_DIR) }, async () => {
  const img = await decodeImage(path.join(LFW_DIR, 'lfw/Aaron_Peirsol/Aaron_Peirsol_0002.jpg'));
  const [a] = await fr.detect(img);
  const [b] = await fr.detect(flipHorizontal(img));
  const back = unmirrorLandmarks(b.landmarks!, img.width);
  const err = a.landmarks!.reduce((s, p, i) => s + Math.hypot(p.x - back[i].x, p.y - back[i].y), 0) / 68;
  assert.ok(err < 4, `mean landmark disagreement between image and mirror: ${err.toFixed(2)} px`);
});

test(
  'LFW fixed subset: same-person pairs are closer, and the shipped τ separates them',
  { skip: needDataset(LFW_DIR) },
  async (t) => {
    // fold 1 of View 2: its first 25 same-person and first 25 different-person pairs
    const [fold] = readPairs(path.join(LFW_DIR, 'pairs.txt'), lfwImageRoot(LFW_DIR));
    const pairs = [...fold.slice(0, 25), ...fold.slice(300, 325)];
    const cache = new Map<string, Float32Array>();
    const emb = async (f: string) => {
      if (!cache.has(f)) {
        const img = await decodeImage(f);
        const faces = await fr.embed(img);
        cache.set(f, centralFace(faces, img.width, img.height)?.embedding ?? new Float32Array(128));
      }
      return cache.get(f)!;
    };
    const scored = [];
    for (const p of pairs) scored.push({ distance: distance(await emb(p.a), await emb(p.b)), same: p.same });
    const correct = scored.filter((s) => s.distance < LFW_THRESHOLD.flip === s.same).length;
    t.diagnostic(
      `${correct}/50 correct at τ=${LFW_THRESHOLD.flip}; best possible on the subset ${bestThreshold(scored).accuracy}`,
    );
    assert.ok(correct >= 47, `${correct}/50 correct at the shipped threshold`);
    const meanSame = scored.filter((s) => s.same).reduce((a, s) => a + s.distance, 0) / 25;
    const meanDiff = scored.filter((s) => !s.same).reduce((a, s) => a + s.distance, 0) / 25;
    assert.ok(meanSame + 0.3 < meanDiff, `mean same ${meanSame}, mean different ${meanDiff}`);
  },
);

test(
  'crop TTA: the embedding is the renormalised mean over the chips at each padding and their mirrors',
  { skip: needDataset(LFW_DIR) },
  async () => {
    const file = path.join(LFW_DIR, 'lfw/Aaron_Peirsol/Aaron_Peirsol_0001.jpg');
    const img = await decodeImage(file);
    assert.deepEqual(fr.ttaPaddings, [0.15, 0.35], 'crop TTA is on by default');
    const [face] = await fr.embed(img);
    const chips = stagesOf(fr).chipsFor(img, face.landmarks!);
    assert.equal(chips.length, 3);
    assert.deepEqual(
      Array.from(chips[0].data),
      Array.from(face.chip.data),
      'the first chip is the configured (0.25) chip',
    );
    const raw = await stagesOf(fr).embedder.embedRaw([...chips, ...chips.map(flipHorizontal)]);
    const unit = (v: Float32Array) => v.map((x) => x / Math.hypot(...v));
    const meanOf = (vs: Float32Array[]) =>
      unit(vs.map(unit).reduce((acc, v) => acc.map((x, i) => x + v[i]), new Float32Array(128)));
    // the plain chips' mean and the mirrored chips' mean, then the mean of the two
    const manual = meanOf([meanOf(raw.slice(0, 3)), meanOf(raw.slice(3))]);
    assert.ok(
      distance(manual, face.embedding) < 1e-5,
      `distance to the manual mean ${distance(manual, face.embedding)}`,
    );

    const single = await FaceRecognizer.load({ threads: 1, ttaPaddings: [] });
    const [one] = await single.embed(img);
    assert.ok(distance(one.embedding, face.embedding) > 1e-3, 'crops change the embedding');
    assert.ok(distance(one.embedding, face.embedding) < 0.2, 'but only a little');
    assert.notEqual(single.pipelineKey, fr.pipelineKey, 'caches keep the two apart');
    await single.close();
  },
);
