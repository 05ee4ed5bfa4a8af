/**
 * `facenet eval cfp` on a tiny CFP-shaped folder built at run time from cfp-dev photos (6 people × 3 frontal + 2
 * profile photos, two identity-disjoint folds), and the CFP reader and metrics on synthetic data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cfpIdentity, kFold, ratesAtThreshold, readCfp } from '../../src/eval/cfp.js';
import { evaluateCfpIdentify } from '../../src/eval/cfp-identify.js';
import { isFaceError } from '../../src/errors.js';
import { facenet } from '../helpers/cli.js';
import { CFP_DIR, needDataset } from '../helpers/datasets.js';

interface Layout {
  people: string[];
  frontal: number;
  profile: number;
}

/** A CFP-layout folder: Data/Images/ID/{frontal,profile}/NN.jpg, the two pair lists and 2 folds of FF and FP. */
function buildCfp(dir: string, layout: Layout, photo: (id: string, side: string, n: number) => string): void {
  const F: string[] = [];
  const P: string[] = [];
  for (const id of layout.people)
    for (const [side, count, list] of [
      ['frontal', layout.frontal, F],
      ['profile', layout.profile, P],
    ] as const) {
      mkdirSync(path.join(dir, 'Data', 'Images', id, side), { recursive: true });
      for (let n = 1; n <= count; n++) {
        const rel = `Data/Images/${id}/${side}/${String(n).padStart(2, '0')}.jpg`;
        copyFileSync(photo(id, side, n), path.join(dir, rel));
        list.push(`../${rel}`);
      }
    }
  const proto = path.join(dir, 'Protocol');
  mkdirSync(proto, { recursive: true });
  writeFileSync(path.join(proto, 'Pair_list_F.txt'), F.map((f, i) => `${i + 1} ${f}`).join('\n') + '\n');
  writeFileSync(path.join(proto, 'Pair_list_P.txt'), P.map((f, i) => `${i + 1} ${f}`).join('\n') + '\n');
  const half = layout.people.length / 2;
  const fIdx = (p: number, n: number) => p * layout.frontal + n + 1;
  const pIdx = (p: number, n: number) => p * layout.profile + n + 1;
  for (const [fold, people] of [
    ['01', [0, 1, 2].slice(0, half)],
    ['02', [3, 4, 5].slice(0, half)],
  ] as const) {
    const ff = { same: [] as string[], diff: [] as string[] };
    const fp = { same: [] as string[], diff: [] as string[] };
    for (const p of people) {
      ff.same.push(`${fIdx(p, 0)},${fIdx(p, 1)}`, `${fIdx(p, 1)},${fIdx(p, 2)}`);
      fp.same.push(`${fIdx(p, 0)},${pIdx(p, 0)}`, `${fIdx(p, 2)},${pIdx(p, 1)}`);
      for (const q of people)
        if (q > p) {
          ff.diff.push(`${fIdx(p, 0)},${fIdx(q, 0)}`, `${fIdx(p, 2)},${fIdx(q, 1)}`);
          fp.diff.push(`${fIdx(p, 0)},${pIdx(q, 0)}`, `${fIdx(q, 1)},${pIdx(p, 1)}`);
        }
    }
    for (const [name, lists] of [
      ['FF', ff],
      ['FP', fp],
    ] as const) {
      const d = path.join(proto, 'Split', name, fold);
      mkdirSync(d, { recursive: true });
      writeFileSync(path.join(d, 'same.txt'), lists.same.join('\n') + '\n');
      writeFileSync(path.join(d, 'diff.txt'), lists.diff.join('\n') + '\n');
    }
  }
}

const PEOPLE = ['001', '002', '003', '051', '052', '053'];
const cfpPhoto = (id: string, side: string, n: number) =>
  path.join(CFP_DIR, 'Data', 'Images', id, side, `${String(n).padStart(2, '0')}.jpg`);

test('readCfp: lists, folds and people of a CFP-layout folder; broken folders are typed errors', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-cfp-read-'));
  try {
    const src = path.join(dir, 'x.jpg');
    writeFileSync(src, 'not read by readCfp');
    buildCfp(path.join(dir, 'cfp'), { people: PEOPLE, frontal: 3, profile: 2 }, () => src);
    const data = readCfp(path.join(dir, 'cfp'));
    assert.equal(data.frontal.length, 18);
    assert.equal(data.profile.length, 12);
    assert.equal(data.folds.FF.length, 2);
    assert.equal(data.folds.FP.length, 2);
    assert.deepEqual(
      data.people.map((p) => p.id),
      PEOPLE,
    );
    for (const pair of data.folds.FP.flat()) {
      assert.match(pair.a, /frontal/);
      assert.match(pair.b, /profile/);
      assert.equal(cfpIdentity(pair.a) === cfpIdentity(pair.b), pair.same);
    }
    writeFileSync(path.join(dir, 'cfp', 'Protocol', 'Split', 'FP', '02', 'same.txt'), '1,99\n');
    assert.throws(
      () => readCfp(path.join(dir, 'cfp')),
      (e) => isFaceError(e) && e.code === 'INVALID_INPUT',
    );
    assert.throws(
      () => readCfp(dir),
      (e) => isFaceError(e) && e.code === 'DATASET_MISSING',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kFold and ratesAtThreshold on synthetic distances', () => {
  const fold = (gap: number) => [
    ...Array.from({ length: 10 }, (_, i) => ({ distance: 0.2 + 0.01 * i, same: true })),
    ...Array.from({ length: 10 }, (_, i) => ({ distance: 0.2 + gap + 0.01 * i, same: false })),
  ];
  const r = kFold([fold(0.5), fold(0.5)]);
  assert.equal(r.accuracy, 1);
  assert.equal(r.auc, 1);
  assert.equal(r.eer, 0);
  assert.equal(r.tarAtFar1e2, 1);
  const overlap = kFold([fold(0.05), fold(0.05)]);
  assert.ok(overlap.eer > 0 && overlap.accuracy < 1);

  // two people: frontal photos identical per person, the profile photo of each a little off
  const v = (x: number, y: number) => Float32Array.from([x, y].map((c) => c / Math.hypot(x, y)));
  const emb = new Map([
    ['/d/Data/Images/001/frontal/01.jpg', v(1, 0)],
    ['/d/Data/Images/001/frontal/02.jpg', v(1, 0)],
    ['/d/Data/Images/002/frontal/01.jpg', v(0, 1)],
    ['/d/Data/Images/001/profile/01.jpg', v(1, 0.3)],
    ['/d/Data/Images/002/profile/01.jpg', v(1, 1)],
  ]);
  const files = [...emb.keys()];
  const rates = ratesAtThreshold({ frontal: files.slice(0, 3), profile: files.slice(3) }, (f) => emb.get(f)!, 0.5);
  assert.deepEqual(rates.FF, { genuinePairs: 1, impostorPairs: 2, far: 0, tar: 1 });
  // FP: 001's profile is 0.29 from 001's frontals (accepted); 002's profile, at 45°, is 0.77 from everyone (rejected)
  assert.deepEqual(rates.FP, { genuinePairs: 3, impostorPairs: 3, far: 0, tar: 2 / 3 });
});

test('identification of turned faces: enrolled half, strangers, several photos and poses', () => {
  const people = ['a', 'b', 'c', 'd'].map((id, k) => ({
    id,
    frontal: [0, 1, 2].map((n) => `${id}/f${n}`),
    profile: [0, 1].map((n) => `${id}/p${n}`),
    k,
  }));
  // person k's photos point along axis k, profiles a little off it
  const emb = (f: string) => {
    const k = 'abcd'.indexOf(f[0]);
    const e = new Float32Array(5);
    e[k] = 1;
    if (f.includes('/p')) e[4] = 0.5;
    const n = Math.hypot(...e);
    return e.map((x) => x / n);
  };
  const r = evaluateCfpIdentify(people, emb, { fars: [0.01], frontalCounts: [1, 3] });
  assert.equal(r.enrolledPeople, 2);
  assert.equal(r.strangers, 2);
  assert.equal(r.knownProbes, 4);
  assert.equal(r.unknownProbes, 4);
  assert.equal(r.oneFrontal.rank1, 1);
  assert.deepEqual(
    r.frontalPhotos.rows.map((x) => x.templates),
    [1, 1, 1, 3, 3, 3],
  );
  assert.equal(r.acrossPoses.length, 2, '1 frontal (+ 1 profile) and all frontal (+ 1 profile)');
  assert.equal(r.acrossPoses[0].probes, 2);
});

test(
  'facenet eval cfp on a tiny CFP folder built from cfp-dev photos: FF, FP, faces per side, --identify',
  { skip: needDataset(CFP_DIR), timeout: 600_000 },
  () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-cfp-'));
    try {
      buildCfp(dir, { people: PEOPLE, frontal: 3, profile: 2 }, cfpPhoto);
      const cache = path.join(dir, 'cache.db');
      const r = facenet(
        ['eval', 'cfp', '--data', dir, '--identify', '--workers', '0', '--cache', cache, '--json'],
        600_000,
      );
      assert.equal(r.code, 0, r.stderr);
      const j = r.json;
      assert.equal(j.pack, 'dlib128-yunet', 'the default pack');
      assert.equal(j.facePolicy, 'largest');
      assert.equal(j.folds, 2);
      assert.equal(j.images, 30);
      for (const p of ['FF', 'FP'] as const) {
        assert.equal(j[p].pairs, 24);
        assert.equal(j[p].foldAccuracies.length, 2);
        for (const k of ['accuracy', 'std', 'auc', 'tarAtFar1e3', 'tarAtFar1e2', 'eer'])
          assert.equal(typeof j[p][k], 'number', `${p}.${k}`);
        assert.ok(j[p].accuracy > 0.5, `${p} accuracy ${j[p].accuracy}`);
      }
      assert.ok(j.FF.accuracy >= j.FP.accuracy - 0.05, 'frontal pairs are not much harder than frontal–profile');
      for (const side of ['frontal', 'profile'] as const) {
        const f = j.faces[side];
        assert.equal(f.single + f.pickedOfSeveral + f.noFace, side === 'frontal' ? 18 : 12);
      }
      assert.equal(j.faces.frontal.noFace, 0);
      assert.ok(j.calibrationTransfer.threshold > 0);
      assert.equal(j.calibrationTransfer.FP.genuinePairs, 6 * 3 * 2);
      assert.equal(j.identify.enrolledPeople, 3);
      assert.equal(j.identify.knownProbes, 6);
      assert.ok(j.identify.oneFrontal.rank1 > 0.5, `rank-1 ${j.identify.oneFrontal.rank1}`);

      // a second run reads every embedding from the cache; another face policy is another cache key
      const again = facenet(['eval', 'cfp', '--data', dir, '--workers', '0', '--cache', cache, '--json'], 600_000);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual([again.json.embeddingsComputed, again.json.FP.accuracy], [0, j.FP.accuracy]);
      const bad = facenet(['eval', 'cfp', '--data', dir, '--face', 'middle', '--json']);
      assert.equal(bad.code, 2);
      assert.match(bad.json.error.message, /--face expects one of centre, nearest, largest/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
