import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExactIndex, type SearchHit, type VectorIndex } from '../../src/search/search-index.js';
import { HnswIndex, usearchDotScan } from '../../src/search/hnsw-index.js';
import { FaceError } from '../../src/errors.js';
import { row, syntheticGallery, syntheticQueries, type SyntheticGallery } from '../../scripts/search-data.js';
import { mulberry32, randomUnit } from '../gallery/fake-recognizer.js';

const isGalleryError = (e: unknown) => e instanceof FaceError && e.code === 'GALLERY_ERROR';

function fill(index: VectorIndex, g: SyntheticGallery): void {
  for (let i = 0; i < g.count; i++) index.add(g.keys[i], g.labels[i], row(g, i));
}

function exactOf(g: SyntheticGallery): ExactIndex {
  const e = new ExactIndex(g.dim, g.count);
  fill(e, g);
  return e;
}

/** Built on one thread: a parallel build's insertion order (and so its recall) varies with the machine's load. */
function hnswOf(g: SyntheticGallery, opts: ConstructorParameters<typeof HnswIndex>[1] = {}): HnswIndex {
  const h = new HnswIndex(g.dim, { threads: 1, ...opts });
  h.addMany(g.keys, g.labels, g.vectors);
  return h;
}

function assertOnePerLabelNearestFirst(hits: SearchHit[]): void {
  assert.equal(new Set(hits.map((h) => h.label)).size, hits.length, 'one hit per label');
  for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].distance <= hits[i].distance, 'nearest first');
}

const gallery = syntheticGallery(4000, { seed: 11 });
const queries = syntheticQueries(gallery, 300);
const exact = exactOf(gallery);
const hnsw = hnswOf(gallery);

test('recall@1 against ExactIndex ≥ 0.99 on a clustered gallery; distances match for the same key', () => {
  assert.equal(hnsw.size, gallery.count);
  assert.equal(hnsw.labels, exact.labels);
  let same = 0;
  for (let q = 0; q < queries.count; q++) {
    const want = exact.search(row(queries, q), 1)[0];
    const got = hnsw.search(row(queries, q), 1)[0];
    if (got.key === want.key) {
      same++;
      assert.ok(Math.abs(got.distance - want.distance) < 1e-5, `${got.distance} vs ${want.distance}`);
    }
  }
  assert.ok(same / queries.count >= 0.99, `recall@1 ${same / queries.count}`);
});

test('k hits: one per label, nearest first, mostly the exact labels; searchBatch answers like search', () => {
  let overlap = 0;
  const k = 10;
  const batch = hnsw.searchBatch(queries.vectors.subarray(0, 50 * gallery.dim), k);
  for (let q = 0; q < 50; q++) {
    const got = hnsw.search(row(queries, q), k);
    assert.equal(got.length, k);
    assertOnePerLabelNearestFirst(got);
    assert.deepEqual(batch[q], got);
    const want = new Set(exact.search(row(queries, q), k).map((h) => h.label));
    overlap += got.filter((h) => want.has(h.label)).length;
  }
  assert.ok(overlap / (50 * k) >= 0.95, `recall@10 ${overlap / (50 * k)}`);
});

test('excludeLabel is honoured and the rest still matches exact', () => {
  let same = 0;
  for (let q = 0; q < 100; q++) {
    const own = queries.labels[q];
    const got = hnsw.search(row(queries, q), 3, { excludeLabel: own });
    assert.equal(got.length, 3);
    assert.ok(got.every((h) => h.label !== own));
    assertOnePerLabelNearestFirst(got);
    if (got[0].key === exact.search(row(queries, q), 1, { excludeLabel: own })[0].key) same++;
  }
  assert.ok(same >= 95, `recall@1 with exclusion ${same}/100`);
});

test('widens until k distinct labels are found: a crowd of one label near the query, tiny ef', () => {
  const dim = 32;
  const index = new HnswIndex(dim, { expansionSearch: 4 });
  const r = mulberry32(3);
  const q = randomUnit(1, dim);
  // 400 near copies of the query, all label 0, then 40 other labels farther away
  for (let i = 0; i < 400; i++) index.add(i, 0, unitNoise(q, 0.05, r));
  for (let i = 0; i < 40; i++) index.add(1000 + i, 1 + i, unitNoise(q, 1.5, r));
  const hits = index.search(q, 5);
  assert.equal(hits.length, 5);
  assert.equal(hits[0].label, 0);
  assertOnePerLabelNearestFirst(hits);
  const ex = index.search(q, 5, { excludeLabel: 0 });
  assert.equal(ex.length, 5);
  assert.ok(ex.every((h) => h.label !== 0));
  // more labels asked than exist: all of them
  assert.equal(index.search(q, 100).length, 41);
  assert.equal(index.search(q, 100, { excludeLabel: 0 }).length, 40);
});

function unitNoise(v: Float32Array, noise: number, r: () => number): Float32Array {
  const out = v.map((x) => x + (noise / Math.sqrt(v.length)) * (r() * 2 - 1) * Math.sqrt(3));
  const n = Math.hypot(...out);
  return out.map((x) => x / n);
}

test('remove / removeLabel / replace: removed keys never come back, counts stay right', () => {
  const g = syntheticGallery(1500, { seed: 5 });
  const index = hnswOf(g, { expansionSearch: 64 });
  const ref = exactOf(g);
  const r = mulberry32(9);
  const removed = new Set<number>();
  const removedLabels = new Set<number>();
  for (let i = 0; i < g.count; i++) {
    if (r() < 0.3) {
      assert.equal(index.remove(g.keys[i]), true);
      ref.remove(g.keys[i]);
      removed.add(g.keys[i]);
    }
  }
  for (let l = 0; l < g.identities; l += 7) {
    const n = ref.removeLabel(l);
    assert.equal(index.removeLabel(l), n);
    removedLabels.add(l);
  }
  assert.equal(index.remove(-5), false);
  assert.equal(index.removeLabel(123456), 0);
  // replace: key 1 (if alive) moves to a new label with a new vector
  const fresh = randomUnit(77, g.dim);
  index.add(1, 999_999, fresh);
  ref.add(1, 999_999, fresh);
  removed.delete(1);
  assert.equal(index.size, ref.size);
  assert.equal(index.labels, ref.labels);
  assert.deepEqual(index.search(fresh, 1)[0], { key: 1, label: 999_999, distance: index.search(fresh, 1)[0].distance });
  assert.ok(index.search(fresh, 1)[0].distance < 1e-3);
  const qs = syntheticQueries(g, 150, 3);
  let same = 0;
  for (let q = 0; q < qs.count; q++) {
    const got = index.search(row(qs, q), 5);
    for (const h of got) {
      assert.ok(!removed.has(h.key) || h.key === 1, `removed key ${h.key} returned`);
      assert.ok(!removedLabels.has(h.label), `removed label ${h.label} returned`);
    }
    if (got[0].key === ref.search(row(qs, q), 1)[0].key) same++;
  }
  assert.ok(same / qs.count >= 0.97, `recall@1 after removals ${same / qs.count}`);
  // remove everything: empty answers
  for (let i = 0; i < g.count; i++) index.remove(g.keys[i]);
  assert.equal(index.size, 0);
  assert.equal(index.labels, 0);
  assert.deepEqual(index.search(fresh, 3), []);
});

test('save → load round trip: same results, meta and settings; missing → undefined; corrupt → GALLERY_ERROR', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hnsw-'));
  try {
    const file = path.join(dir, 'gallery.hnsw');
    assert.equal(HnswIndex.load(file), undefined);
    const g = syntheticGallery(1000, { seed: 8 });
    const index = hnswOf(g, { expansionSearch: 50 });
    index.remove(3);
    index.add(5, 4242, randomUnit(5, g.dim)); // replaced key: a fresh internal id
    index.save(file, { generation: 1, modelId: 'm@1' });
    index.save(file, { generation: 2, modelId: 'm@1', note: 'x' }); // second save replaces the first
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.usearch')).length, 1, 'old usearch file removed');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
    const loaded = HnswIndex.load(file)!;
    assert.deepEqual(loaded.meta, { generation: 2, modelId: 'm@1', note: 'x' });
    const back = loaded.index;
    assert.equal(back.size, index.size);
    assert.equal(back.labels, index.labels);
    assert.equal(back.expansionSearch, 50);
    assert.equal(back.quantization, 'f32');
    const qs = syntheticQueries(g, 100);
    for (let q = 0; q < qs.count; q++) assert.deepEqual(back.search(row(qs, q), 5), index.search(row(qs, q), 5));
    // the loaded index keeps working: add / remove / replace
    back.add(5, 1, randomUnit(6, g.dim));
    assert.equal(back.size, index.size);
    assert.equal(back.search(randomUnit(6, g.dim), 1)[0].key, 5);
    assert.equal(HnswIndex.load(file, { expansionSearch: 7 })!.index.expansionSearch, 7);

    const sidecar = readFileSync(file, 'utf8');
    const usearchFile = path.join(dir, JSON.parse(sidecar).indexFile);
    writeFileSync(file, sidecar.slice(0, sidecar.length / 2));
    assert.throws(() => HnswIndex.load(file), isGalleryError, 'truncated sidecar');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(sidecar), labels: [1, 2] }));
    assert.throws(() => HnswIndex.load(file), isGalleryError, 'arrays of different lengths');
    const s = JSON.parse(sidecar);
    writeFileSync(
      file,
      JSON.stringify({ ...s, ids: s.ids.slice(1), keys: s.keys.slice(1), labels: s.labels.slice(1) }),
    );
    assert.throws(() => HnswIndex.load(file), isGalleryError, 'entry count mismatch');
    writeFileSync(file, JSON.stringify({ ...s, meta: { generation: 'x' } }));
    assert.throws(() => HnswIndex.load(file), isGalleryError, 'bad meta');
    writeFileSync(file, sidecar);
    assert.ok(HnswIndex.load(file));
    truncateSync(usearchFile, 1000);
    assert.throws(() => HnswIndex.load(file), isGalleryError, 'truncated usearch file');
    writeFileSync(file, JSON.stringify({ ...s, indexBytes: 1000 }));
    assert.throws(() => HnswIndex.load(file), isGalleryError, 'truncated usearch file of the recorded size');
    writeFileSync(file, sidecar);
    const bytes = Buffer.alloc(s.indexBytes, 7);
    writeFileSync(usearchFile, bytes);
    assert.throws(() => HnswIndex.load(file), isGalleryError, 'garbled usearch file of the right size');
    rmSync(usearchFile);
    assert.throws(() => HnswIndex.load(file), isGalleryError, 'missing usearch file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('quantised storage (f16, i8) with exact re-scoring: exact distances, recall@1 ≥ 0.99', () => {
  const g = syntheticGallery(2500, { seed: 12 });
  const qs = syntheticQueries(g, 150);
  const ref = exactOf(g);
  for (const quantization of ['f16', 'i8'] as const) {
    const index = hnswOf(g, { quantization, expansionAdd: 64, rescore: (key, q) => ref.dotKey(key, q) });
    let same = 0;
    for (let q = 0; q < qs.count; q++) {
      const want = ref.search(row(qs, q), 1)[0];
      const got = index.search(row(qs, q), 1)[0];
      if (got.key === want.key) {
        same++;
        assert.ok(
          Math.abs(got.distance - want.distance) < 1e-6,
          `${quantization}: ${got.distance} vs ${want.distance}`,
        );
      }
    }
    assert.ok(same / qs.count >= 0.99, `${quantization} recall@1 ${same / qs.count}`);
  }
});

test('ExactIndex: JS top-n scan and usearch scan give brute-force answers (ties aside), query views included', () => {
  const dim = 16;
  const js = new ExactIndex(dim, 2);
  const native = new ExactIndex(dim, 2, { scan: usearchDotScan() });
  const truth = new Map<number, { label: number; v: Float32Array }>();
  const r = mulberry32(4);
  for (let key = 0; key < 3000; key++) {
    const label = Math.floor(r() * 700);
    const v = randomUnit(key + 17, dim);
    js.add(key, label, v);
    native.add(key, label, v);
    truth.set(key, { label, v });
    if (r() < 0.1) {
      const k = Math.floor(r() * key);
      assert.equal(native.remove(k), js.remove(k));
      truth.delete(k);
    }
  }
  const batch = new Float32Array(200 * dim);
  for (let q = 0; q < 200; q++) batch.set(randomUnit(50_000 + q, dim), q * dim);
  for (let q = 0; q < 200; q++) {
    const query = batch.subarray(q * dim, (q + 1) * dim); // a view at an offset: usearch's exactSearch would misread it
    const k = 1 + (q % 12);
    const exclude = q % 3 === 0 ? Math.floor(r() * 700) : undefined;
    // brute force: nearest entry per label, k nearest labels
    const best = new Map<number, { key: number; dot: number }>();
    for (const [key, e] of truth) {
      if (e.label === exclude) continue;
      const dot = e.v.reduce((s, x, i) => s + x * query[i], 0);
      const cur = best.get(e.label);
      if (!cur || dot > cur.dot) best.set(e.label, { key, dot });
    }
    const want = [...best.values()].sort((a, b) => b.dot - a.dot).slice(0, k);
    for (const index of [js, native]) {
      const got = index.search(query, k, { excludeLabel: exclude });
      assert.equal(got.length, want.length);
      for (let i = 0; i < got.length; i++) {
        assert.ok(Math.abs(got[i].distance - Math.sqrt(2 - 2 * want[i].dot)) < 1e-5);
        if (i + 1 >= want.length || want[i].dot - want[i + 1].dot > 1e-5) assert.equal(got[i].key, want[i].key);
      }
    }
  }
});

test('an index filled one add() at a time answers multi-threaded batches (usearch keeps a context per thread)', () => {
  const g = syntheticGallery(600, { seed: 2 });
  const index = new HnswIndex(g.dim);
  for (let i = 0; i < g.count; i++) index.add(g.keys[i], g.labels[i], row(g, i));
  const qs = syntheticQueries(g, 256);
  for (let rep = 0; rep < 5; rep++) {
    const batch = index.searchBatch(qs.vectors, 2);
    for (let q = 0; q < qs.count; q += 37) assert.deepEqual(batch[q], index.search(row(qs, q), 2));
  }
});

test('input checks: dimensions, labels, settings', () => {
  const index = new HnswIndex(4);
  const isInvalid = (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT';
  assert.throws(() => index.add(1, 1, new Float32Array(3)), isInvalid);
  assert.throws(() => index.add(1, 1.5, new Float32Array(4)), isInvalid);
  assert.throws(() => index.search(new Float32Array(5), 1), isInvalid);
  assert.throws(() => new HnswIndex(0), isInvalid);
  assert.throws(() => new HnswIndex(4, { connectivity: 0 }), isInvalid);
  assert.throws(() => {
    index.expansionSearch = 0;
  }, isInvalid);
  assert.throws(() => index.addMany([1, 1], [1, 1], new Float32Array(8)), isInvalid);
  assert.deepEqual(index.search(new Float32Array(4), 3), []);
  index.add(-7.5, 2, Float32Array.from([1, 0, 0, 0])); // any number is a key
  assert.deepEqual(index.search(Float32Array.from([1, 0, 0, 0]), 3), [{ key: -7.5, label: 2, distance: 0 }]);
  assert.deepEqual(index.search(Float32Array.from([1, 0, 0, 0]), 0), []);
});
