import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveIndex, ADAPTIVE_DEFAULT_THRESHOLD } from '../../src/search/adaptive-index.js';
import { ExactIndex, type SearchHit } from '../../src/search/search-index.js';
import { FaceError } from '../../src/errors.js';
import { row, syntheticGallery, syntheticQueries } from '../../scripts/search-data.js';
import { mulberry32, randomUnit } from '../gallery/fake-recognizer.js';

const g = syntheticGallery(2400, { seed: 21 });
// one insertion thread: usearch's parallel inserts build a different graph, so a different recall, on every run
const hnsw = { threads: 1 };
const qs = syntheticQueries(g, 200);

/** Top-1 keys equal for ≥ minRecall of the queries; where equal, distances equal ExactIndex's (exact re-scoring). */
function compare(got: (q: Float32Array) => SearchHit[], want: ExactIndex, minRecall: number, what: string): void {
  let same = 0;
  for (let q = 0; q < qs.count; q++) {
    const a = got(row(qs, q));
    const b = want.search(row(qs, q), 3);
    assert.equal(a.length, b.length, what);
    assert.equal(new Set(a.map((h) => h.label)).size, a.length, `${what}: one hit per label`);
    if (a[0].key === b[0].key) {
      same++;
      assert.ok(Math.abs(a[0].distance - b[0].distance) < 1e-6, `${what}: ${a[0].distance} vs ${b[0].distance}`);
    }
  }
  assert.ok(same / qs.count >= minRecall, `${what}: recall@1 ${same / qs.count}`);
}

/** Same keys and labels; distances equal up to float rounding (SIMD and JS sum in different orders). */
function sameHits(a: SearchHit[], b: SearchHit[]): void {
  assert.deepEqual(
    a.map((h) => [h.key, h.label]),
    b.map((h) => [h.key, h.label]),
  );
  a.forEach((h, i) => assert.ok(Math.abs(h.distance - b[i].distance) < 1e-6));
}

test('exact up to the threshold, HNSW above it, results kept through the switch', () => {
  const threshold = 1000;
  const index = new AdaptiveIndex(g.dim, { threshold, chunk: 256, hnsw });
  const ref = new ExactIndex(g.dim);
  const modes: string[] = [];
  for (let i = 0; i < g.count; i++) {
    index.add(g.keys[i], g.labels[i], row(g, i));
    ref.add(g.keys[i], g.labels[i], row(g, i));
    if (modes.at(-1) !== index.mode) modes.push(index.mode);
    if (i === threshold - 1) {
      assert.equal(index.mode, 'exact');
      // exact mode: identical to ExactIndex (ties aside)
      compare((q) => index.search(q, 3), ref, 1, 'exact mode');
    }
  }
  assert.deepEqual(modes, ['exact', 'building', 'hnsw']);
  assert.equal(index.size, ref.size);
  assert.equal(index.labels, ref.labels);
  compare((q) => index.search(q, 3), ref, 0.99, 'hnsw mode');
  compare((q) => index.exactSearch(q, 3), ref, 1, 'exactSearch');
  const batch = index.searchBatch(qs.vectors.subarray(0, 20 * g.dim), 3);
  for (let q = 0; q < 20; q++) assert.deepEqual(batch[q], index.search(row(qs, q), 3));
});

test('searches while HNSW is catching up are exact, each drains a chunk; build() finishes at once', () => {
  const ref = new ExactIndex(g.dim);
  for (let i = 0; i < 2000; i++) ref.add(g.keys[i], g.labels[i], row(g, i));
  const index = new AdaptiveIndex(g.dim, { threshold: 1000, chunk: 128, hnsw });
  for (let i = 0; i <= 1000; i++) index.add(g.keys[i], g.labels[i], row(g, i));
  // crossed: 1001 entries queued, one chunk inserted
  assert.equal(index.mode, 'building');
  const part = new ExactIndex(g.dim);
  for (let i = 0; i <= 1000; i++) part.add(g.keys[i], g.labels[i], row(g, i));
  for (let q = 0; index.mode === 'building'; q++) {
    assert.ok(q < 8, 'a chunk per search');
    sameHits(index.search(row(qs, q), 3), part.search(row(qs, q), 3));
  }
  assert.equal(index.mode, 'hnsw');
  // bulk: 2000 adds with a big chunk, then build()
  const big = new AdaptiveIndex(g.dim, { threshold: 1000, chunk: 4096, hnsw });
  for (let i = 0; i < 2000; i++) big.add(g.keys[i], g.labels[i], row(g, i));
  assert.equal(big.mode, 'hnsw'); // the crossing add flushed the whole (< chunk) backlog
  big.build();
  compare((q) => big.search(q, 3), ref, 0.99, 'after build');
});

test('HNSW mode: fresh adds visible at once, removed keys never returned, back to exact below threshold/2', () => {
  const threshold = 800;
  const index = new AdaptiveIndex(g.dim, { threshold, chunk: 64, hnsw });
  const ref = new ExactIndex(g.dim);
  for (let i = 0; i < 2000; i++) {
    index.add(g.keys[i], g.labels[i], row(g, i));
    ref.add(g.keys[i], g.labels[i], row(g, i));
  }
  index.build();
  assert.equal(index.mode, 'hnsw');
  // a new person, far from everyone: found right away although fewer than `chunk` adds are queued
  const stranger = randomUnit(4242, g.dim);
  index.add(99_999, 77_777, stranger);
  ref.add(99_999, 77_777, stranger);
  sameHits(index.search(stranger, 1), ref.search(stranger, 1));
  // replace a key: old vector gone
  index.add(0, 88_888, randomUnit(4343, g.dim));
  ref.add(0, 88_888, randomUnit(4343, g.dim));
  assert.equal(index.search(randomUnit(4343, g.dim), 1)[0].key, 0);
  const r = mulberry32(5);
  const removed = new Set<number>();
  const removedLabels = new Set<number>();
  while (index.size > threshold / 2 + 50) {
    if (r() < 0.5) {
      const key = Math.floor(r() * 2000);
      assert.equal(index.remove(key), ref.remove(key));
      removed.add(key);
    } else {
      const label = Math.floor(r() * g.labels[1999]);
      assert.equal(index.removeLabel(label), ref.removeLabel(label));
      removedLabels.add(label);
    }
  }
  assert.equal(index.mode, 'hnsw');
  assert.equal(index.size, ref.size);
  assert.equal(index.labels, ref.labels);
  for (let q = 0; q < qs.count; q++) {
    for (const h of index.search(row(qs, q), 5)) {
      assert.ok(!removed.has(h.key) && !removedLabels.has(h.label), `removed ${h.key}/${h.label} returned`);
    }
  }
  compare((q) => index.search(q, 3), ref, 0.97, 'after removals');
  // shrink below threshold/2: exact again, and exact answers
  while (index.size >= threshold / 2) {
    const key = Math.floor(r() * 2000);
    index.remove(key);
    ref.remove(key);
  }
  assert.equal(index.mode, 'exact');
  compare((q) => index.search(q, 3), ref, 1, 'exact again');
  // and up again
  for (let i = 0; i < 2000; i++) {
    index.add(g.keys[i], g.labels[i], row(g, i));
    ref.add(g.keys[i], g.labels[i], row(g, i));
  }
  assert.notEqual(index.mode, 'exact');
  compare((q) => index.search(q, 3), ref, 0.99, 'hnsw again');
});

test('excludeLabel and k larger than the number of labels, in both modes', () => {
  for (const threshold of [100_000, 300]) {
    const index = new AdaptiveIndex(g.dim, { threshold, hnsw });
    const ref = new ExactIndex(g.dim);
    for (let i = 0; i < 1200; i++) {
      index.add(g.keys[i], g.labels[i], row(g, i));
      ref.add(g.keys[i], g.labels[i], row(g, i));
    }
    index.build();
    for (let q = 0; q < 50; q++) {
      const own = qs.labels[q];
      const hits = index.search(row(qs, q), 4, { excludeLabel: own });
      assert.equal(hits.length, 4);
      assert.ok(hits.every((h) => h.label !== own));
    }
    const all = index.search(row(qs, 0), 10_000);
    assert.equal(all.length, ref.labels);
  }
  assert.ok(ADAPTIVE_DEFAULT_THRESHOLD > 1000);
  assert.throws(
    () => new AdaptiveIndex(8, { threshold: 0 }),
    (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
  );
  assert.throws(() => new AdaptiveIndex(8).search(new Float32Array(3), 1), FaceError);
});
