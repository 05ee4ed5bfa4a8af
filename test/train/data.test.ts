/** Data side of training: identity folders, split, P×K sampling, augmentation, validation pairs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  byIdentity,
  fillBatch,
  listIdentities,
  loadChips,
  PKSampler,
  splitIdentities,
  type ChipSet,
} from '../../src/train/data.js';
import { makePairs, crossValidatedAccuracy, verificationStats } from '../../src/train/validate.js';
import { Rng } from '../../src/train/rng.js';
import { DETECTION_DIR, JOHNS_DIR, LFW_DIR, needDataset } from '../helpers/datasets.js';

/** Labels for identities of the given sizes. */
function labelsOf(sizes: number[]): Int32Array {
  return Int32Array.from(sizes.flatMap((n, id) => Array(n).fill(id)));
}

test('PKSampler: P identities × K images (distinct), singletons only as negatives, each identity once an epoch', () => {
  const sizes = [5, 2, 7, 1, 1, 3, 4, 1, 6, 2, 3];
  const labels = labelsOf(sizes);
  const groups = byIdentity(labels, sizes.length);
  const ids = sizes.map((_, i) => i);
  const s = new PKSampler(groups, ids, 3, 4, 2, new Rng(1));
  assert.equal(s.multi.length, 8);
  assert.deepEqual(s.singles, [3, 4, 7]);
  assert.equal(s.stepsPerEpoch, 3);
  const seen = new Set<number>();
  for (let step = 0; step < s.stepsPerEpoch - 1; step++) {
    const { indices, labels: ls } = s.next();
    const multi = [...new Set(ls.filter((l) => sizes[l] >= 2))];
    assert.equal(multi.length, 3);
    for (const id of multi) {
      const mine = indices.filter((_, k) => ls[k] === id);
      assert.equal(mine.length, Math.min(4, sizes[id]));
      assert.equal(new Set(mine).size, mine.length, 'images within an identity are distinct');
      for (const i of mine) assert.equal(labels[i], id);
      assert.ok(!seen.has(id), 'an identity comes back before the pass is over');
      seen.add(id);
    }
    const singles = ls.filter((l) => sizes[l] === 1);
    assert.equal(singles.length, 2);
  }
  // the last batch of the pass completes the set (and may start the next pass)
  s.next();
  assert.ok(s.epoch <= 1);
});

test('splitIdentities: validation identities have ≥ 2 images, disjoint from training, seeded', () => {
  const sizes = [5, 2, 7, 1, 1, 3, 4, 1, 6, 2, 3, 8, 2, 2];
  const labels = labelsOf(sizes);
  const a = splitIdentities(labels, sizes.length, new Rng(3), 0.3);
  const b = splitIdentities(labels, sizes.length, new Rng(3), 0.3);
  assert.deepEqual(a, b);
  assert.equal(a.val.length, 3); // 30 % of the 10 multi-image identities
  for (const v of a.val) assert.ok(sizes[v] >= 2);
  assert.equal(a.val.filter((v) => a.train.includes(v)).length, 0);
  assert.equal(a.train.length + a.val.length, sizes.length);
  assert.equal(
    splitIdentities(labels, sizes.length, new Rng(3), 0.3, 1).val.length,
    2,
    'one identity cannot make impostor pairs',
  );
  assert.equal(splitIdentities(labels, sizes.length, new Rng(3), 0.3, 0).val.length, 0);
});

function fakeChips(n: number, size: number): ChipSet {
  const rng = new Rng(5);
  const pixels = Uint8Array.from({ length: n * size * size * 3 }, () => rng.int(256));
  return { size, identities: ['a'], files: Array(n).fill('x'), labels: new Int32Array(n), pixels, missing: [] };
}

test('fillBatch copies chips exactly without augmentation, mirrors them with flip, and is seeded', () => {
  const S = 6;
  const chips = fakeChips(3, S);
  const out = new Float32Array(2 * S * S * 3);
  fillBatch(chips, [2, 0], out, new Rng(1));
  assert.deepEqual(
    Array.from(out.subarray(0, S * S * 3)),
    Array.from(chips.pixels.subarray(2 * S * S * 3, 3 * S * S * 3)),
  );
  // always flip: p = ½ per image, so draw until both kinds appear and check the mirror exactly
  const rng = new Rng(2);
  let flipped = 0;
  for (let r = 0; r < 20; r++) {
    fillBatch(chips, [1], out, rng, { flip: true, shift: 0, jitter: 0 });
    const src = chips.pixels.subarray(S * S * 3, 2 * S * S * 3);
    const isMirror = [...Array(S * S * 3).keys()].every((k) => {
      const c = k % 3;
      const x = Math.floor(k / 3) % S;
      const y = Math.floor(k / 3 / S);
      return out[k] === src[(y * S + (S - 1 - x)) * 3 + c];
    });
    const isSame = [...Array(S * S * 3).keys()].every((k) => out[k] === src[k]);
    assert.ok(isMirror || isSame);
    if (isMirror) flipped++;
  }
  assert.ok(flipped > 0 && flipped < 20);
  const o1 = new Float32Array(S * S * 3);
  const o2 = new Float32Array(S * S * 3);
  const aug = { flip: true, shift: 2, jitter: 0.2 };
  fillBatch(chips, [0], o1, new Rng(9), aug);
  fillBatch(chips, [0], o2, new Rng(9), aug);
  assert.deepEqual(o1, o2);
  assert.ok(o1.every((v) => v >= 0 && v <= 255));
});

test('makePairs: genuine pairs share identity, impostors do not, no duplicates, balanced', () => {
  const labels = labelsOf([4, 3, 5, 2]);
  const idx = [...labels.keys()];
  const pairs = makePairs(idx, labels, new Rng(1), 10);
  const same = pairs.filter((p) => p.same);
  assert.equal(same.length, 10);
  assert.equal(pairs.length, 20);
  for (const p of pairs) assert.equal(labels[p.i] === labels[p.j], p.same);
  assert.equal(new Set(pairs.map((p) => `${Math.min(p.i, p.j)},${Math.max(p.i, p.j)}`)).size, pairs.length);
});

test('verification stats: perfect separation gives accuracy 1, AUC 1; cross-validation uses held-out folds', () => {
  // 1-D embeddings: identity k at position k·10
  const labels = labelsOf([3, 3, 3]);
  const emb = Float32Array.from(labels, (l, i) => l * 10 + (i % 3) * 0.1);
  const pairs = makePairs([...labels.keys()], labels, new Rng(2), 9);
  const s = verificationStats(emb, 1, pairs, 3);
  assert.equal(s.accuracy, 1);
  assert.equal(s.auc, 1);
  // a threshold learned on other folds can be wrong on the held-out one
  const scored = [
    { distance: 1, same: true },
    { distance: 2, same: false },
    { distance: 3, same: true },
    { distance: 4, same: false },
  ];
  assert.ok(crossValidatedAccuracy(scored, 4).mean < 1);
});

test(
  'listIdentities / loadChips: identity folders, sorted; typed error for a missing or flat folder',
  { skip: needDataset(JOHNS_DIR) },
  async () => {
    const ids = await listIdentities(JOHNS_DIR);
    assert.equal(ids.length, 5);
    assert.ok(ids.every((i) => i.files.length === 11));
    const chips = await loadChips(JOHNS_DIR, { size: 24, include: new Set([ids[0].name, ids[1].name]) });
    assert.equal(chips.files.length, 22);
    assert.deepEqual(chips.identities, [ids[0].name, ids[1].name]);
    assert.equal(chips.pixels.length, 22 * 24 * 24 * 3);
    await assert.rejects(
      listIdentities('/nonexistent/dir'),
      (e: Error & { code?: string }) => e.code === 'DATASET_MISSING',
    );
    const flat = mkdtempSync(path.join(os.tmpdir(), 'facenet-flat-'));
    try {
      writeFileSync(path.join(flat, 'a.jpg'), '');
      mkdirSync(path.join(flat, 'only'));
      writeFileSync(path.join(flat, 'only', 'b.jpg'), '');
      await assert.rejects(listIdentities(flat), (e: Error & { code?: string }) => e.code === 'DATASET_MISSING');
    } finally {
      rmSync(flat, { recursive: true, force: true });
    }
  },
);

test('loadChips with a pipeline extractor caches chips as PNG and skips photos without a face', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-photos-'));
  const cache = mkdtempSync(path.join(os.tmpdir(), 'facenet-chipcache-'));
  try {
    const sharp = (await import('sharp')).default;
    for (const [p, files] of [
      ['ann', ['1.png', '2.png']],
      ['bob', ['1.png', 'noface.png']],
    ] as const) {
      mkdirSync(path.join(dir, p));
      for (const f of files)
        await sharp({
          create: { width: 200, height: 180, channels: 3, background: { r: f === '1.png' ? 10 : 200, g: 50, b: 90 } },
        })
          .png()
          .toFile(path.join(dir, p, f));
    }
    let calls = 0;
    const extractor = async (file: string) => {
      calls++;
      if (file.includes('noface')) return null;
      return { width: 150, height: 150, data: new Uint8Array(150 * 150 * 3).fill(file.includes('ann') ? 40 : 220) };
    };
    const a = await loadChips(dir, { size: 16, source: 'detect', chipCacheDir: cache, extractor });
    assert.equal(calls, 4);
    assert.equal(a.files.length, 3);
    assert.equal(a.missing.length, 1);
    assert.equal(a.pixels[0], 40);
    const b = await loadChips(dir, { size: 16, source: 'detect', chipCacheDir: cache, extractor });
    assert.equal(calls, 4, 'second load comes from the cache');
    assert.deepEqual(b.pixels, a.pixels);
    assert.deepEqual(b.missing, a.missing);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
});

test(
  'pipeline extractor: a photo without a face gives null, or a centre-box chip with the fallback',
  { skip: needDataset(DETECTION_DIR) || needDataset(LFW_DIR) },
  async () => {
    const { pipelineExtractor } = await import('../../src/train/data.js');
    const dog = path.join(DETECTION_DIR, 'no_faces', 'dog.jpg');
    const face = path.join(LFW_DIR, 'lfw', 'Aaron_Peirsol', 'Aaron_Peirsol_0001.jpg');
    const plain = await pipelineExtractor({ threads: 1 });
    const fb = await pipelineExtractor({ threads: 1, centreFallback: true });
    try {
      assert.equal(await plain.extract(dog), null);
      const chip = await fb.extract(dog);
      assert.equal(chip?.width, 150);
      const c = await plain.extract(face);
      assert.equal(c?.width, 150);
      assert.equal(c?.height, 150);
    } finally {
      await plain.close();
      await fb.close();
    }
  },
);
