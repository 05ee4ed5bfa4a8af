import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExactIndex } from '../../src/search/search-index.js';
import { distanceFromDot, normalisedMean } from '../../src/embed/vector.js';
import { indexPerson } from '../../src/gallery/templates.js';
import { FaceError } from '../../src/errors.js';
import { mulberry32, randomUnit } from '../gallery/fake-recognizer.js';

const dist = (a: Float32Array, b: Float32Array) => Math.hypot(...a.map((x, i) => x - b[i]));

/** Brute force: nearest entry per label, k nearest labels. */
function bruteForce(
  entries: Map<number, { label: number; v: Float32Array }>,
  q: Float32Array,
  k: number,
  exclude?: number,
) {
  const best = new Map<number, { key: number; distance: number }>();
  for (const [key, e] of entries) {
    if (e.label === exclude) continue;
    const d = dist(e.v, q);
    const cur = best.get(e.label);
    if (!cur || d < cur.distance) best.set(e.label, { key, distance: d });
  }
  return [...best.entries()]
    .map(([label, b]) => ({ key: b.key, label, distance: b.distance }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k);
}

test('exact top-k equals brute force through adds, removes and label removals', () => {
  const dim = 16; // small dim: close calls and near-ties are common
  const index = new ExactIndex(dim, 2); // tiny capacity: exercises growth
  const truth = new Map<number, { label: number; v: Float32Array }>();
  const r = mulberry32(42);
  let nextKey = 1;
  for (let step = 0; step < 600; step++) {
    const op = r();
    if (op < 0.7 || truth.size < 5) {
      const key = nextKey++;
      const label = Math.floor(r() * 40);
      const v = randomUnit(key * 31 + 5, dim);
      index.add(key, label, v);
      truth.set(key, { label, v });
    } else if (op < 0.9) {
      const keys = [...truth.keys()];
      const key = keys[Math.floor(r() * keys.length)];
      assert.equal(index.remove(key), true);
      truth.delete(key);
    } else {
      const label = Math.floor(r() * 40);
      const expected = [...truth.values()].filter((e) => e.label === label).length;
      assert.equal(index.removeLabel(label), expected);
      for (const [k, e] of truth) if (e.label === label) truth.delete(k);
    }
    assert.equal(index.size, truth.size);
    assert.equal(index.labels, new Set([...truth.values()].map((e) => e.label)).size);
    if (step % 10 === 0) {
      const q = randomUnit(100000 + step, dim);
      const k = 1 + (step % 7);
      const exclude = step % 20 === 0 ? Math.floor(r() * 40) : undefined;
      const got = index.search(q, k, { excludeLabel: exclude });
      const want = bruteForce(truth, q, k, exclude);
      assert.equal(got.length, want.length);
      for (let i = 0; i < got.length; i++) {
        assert.ok(
          Math.abs(got[i].distance - want[i].distance) < 1e-5,
          `rank ${i}: ${got[i].distance} vs ${want[i].distance}`,
        );
        // with ties the label may differ; without a tie it must match
        if (i + 1 >= want.length || want[i + 1].distance - want[i].distance > 1e-5) {
          assert.equal(got[i].label, want[i].label);
          assert.equal(got[i].key, want[i].key);
        }
      }
      if (exclude !== undefined) assert.ok(got.every((h) => h.label !== exclude));
    }
  }
  assert.equal(index.remove(-1), false);
});

test('one hit per label, nearest first; replace by key; dimension checks', () => {
  const index = new ExactIndex(3);
  const e = (x: number, y: number, z: number) => Float32Array.from([x, y, z].map((c) => c / Math.hypot(x, y, z)));
  index.add(1, 10, e(1, 0, 0));
  index.add(2, 10, e(0.9, 0.1, 0));
  index.add(3, 20, e(0, 1, 0));
  const hits = index.search(e(1, 0.05, 0), 5);
  assert.deepEqual(
    hits.map((h) => h.label),
    [10, 20],
  );
  assert.equal(hits[0].key, 1);
  assert.ok(Math.abs(hits[1].distance - dist(e(0, 1, 0), e(1, 0.05, 0))) < 1e-6);
  index.add(1, 20, e(0, 0, 1)); // same key: replaced, now label 20
  assert.equal(index.size, 3);
  assert.equal(index.search(e(1, 0, 0), 1)[0].key, 2);
  assert.throws(
    () => index.add(9, 1, new Float32Array(4)),
    (err: unknown) => err instanceof FaceError && err.code === 'INVALID_INPUT',
  );
  assert.throws(() => index.search(new Float32Array(2), 1), FaceError);
  assert.deepEqual(new ExactIndex(3).search(e(1, 0, 0), 3), []);
  assert.equal(distanceFromDot(1.0000001), 0, 'rounding above 1 clamps to 0');
});

test('template combinations: nearest keeps every template, centroid one normalised mean per person', () => {
  const a = randomUnit(1);
  const b = randomUnit(2);
  const nearest = new ExactIndex(128);
  indexPerson(nearest, 'nearest', 7, [
    { id: 1, embedding: a },
    { id: 2, embedding: b },
  ]);
  assert.equal(nearest.size, 2);
  assert.ok(nearest.search(a, 1)[0].distance < 1e-6);
  const centroid = new ExactIndex(128);
  indexPerson(centroid, 'centroid', 7, [
    { id: 1, embedding: a },
    { id: 2, embedding: b },
  ]);
  assert.equal(centroid.size, 1);
  const m = normalisedMean([a, b]);
  assert.ok(Math.abs(Math.hypot(...m) - 1) < 1e-6);
  assert.ok(centroid.search(m, 1)[0].distance < 1e-3);
  assert.equal(centroid.search(m, 1)[0].key, 7);
  // re-indexing a person replaces their entries
  indexPerson(centroid, 'centroid', 7, [{ id: 1, embedding: a }]);
  assert.ok(centroid.search(a, 1)[0].distance < 1e-3);
  indexPerson(nearest, 'nearest', 7, []);
  assert.equal(nearest.size, 0);
});
