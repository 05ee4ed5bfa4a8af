import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticGallery, row } from '../../scripts/search-data.js';
import {
  cluster,
  extendClusters,
  pairwiseMergeRate,
  DEFAULT_ALGORITHM,
  DEFAULT_MERGE_RATE,
  defaultMergeRate,
  SMALL_LIBRARY,
  SMALL_LIBRARY_MERGE_RATE,
} from '../../src/cluster/cluster.js';
import { CLUSTER_ALGORITHMS } from '../../src/cluster/algorithms.js';
import { buildKnnGraph, compareGraphs, type KnnGraph } from '../../src/cluster/knn-graph.js';
import { bcubedScores, labelsFromGroups, pairwiseScores } from '../../src/cluster/metrics.js';
import { calibrate } from '../../src/decide/calibration.js';
import { distance } from '../../src/embed/vector.js';
import { isFaceError } from '../../src/errors.js';

// ≈200 identities × 3–5 samples, same-person cosine 0.75 (distance ≈ 0.71), strangers ≈ orthogonal (≈ 1.41)
const gal = syntheticGallery(800, { dim: 128, seed: 3 });
const faces = Array.from({ length: gal.count }, (_, i) => ({ embedding: row(gal, i), person: gal.labels[i] }));

/** A calibration of this synthetic "model" from its own labelled pairs (every pair of the first 400 faces). */
function syntheticCalibration() {
  const pairs = [];
  for (let i = 0; i < 400; i++)
    for (let j = i + 1; j < 400; j++)
      pairs.push({
        distance: distance(faces[i].embedding, faces[j].embedding),
        same: faces[i].person === faces[j].person,
      });
  return calibrate(pairs, { modelId: 'synthetic', source: 'synthetic test pairs' });
}
const calibration = syntheticCalibration();

for (const algorithm of CLUSTER_ALGORITHMS)
  test(`${algorithm}: well-separated synthetic identities are recovered exactly`, async () => {
    // genuine distances here reach 0.86, impostor ones start at 1.11: τ = 1 separates them (a calibrated τ sits at
    // the impostor tail: 1e-4 of 320,000 pairs is 32 false edges, which single linkage would follow)
    const r = await cluster(faces, { algorithm, threshold: 1 });
    const predicted = labelsFromGroups(
      faces.length,
      r.groups.map((g) => g.indices),
    );
    const pw = pairwiseScores(predicted, gal.labels);
    const b3 = bcubedScores(predicted, gal.labels);
    assert.equal(pw.precision, 1, 'no false merge');
    assert.ok(b3.f > 0.99, `BCubed F ${b3.f}`);
    assert.equal(r.groups.length + r.unclustered.length, gal.identities);
    assert.equal(r.threshold.source, 'explicit');
  });

test('a bridging face chains connected components, not weighted Chinese Whispers or average linkage', async () => {
  // two tight groups of 8 on orthogonal axes and one face halfway between them
  const unit = (v: number[]) => {
    const n = Math.hypot(...v);
    return Float32Array.from(v, (x) => x / n);
  };
  const jitter = (i: number) => 0.05 * Math.sin(i * 12.9898);
  const a = Array.from({ length: 8 }, (_, i) => ({ embedding: unit([1, jitter(i), jitter(i + 50), 0]) }));
  const b = Array.from({ length: 8 }, (_, i) => ({ embedding: unit([0, jitter(i + 100), jitter(i + 7), 1]) }));
  const bridge = { embedding: unit([1, 0, 0, 1]) }; // 0.765 from both sides
  const all = [...a, ...b, bridge];
  const cc = await cluster(all, { algorithm: 'connected-components', threshold: 0.8 });
  assert.equal(cc.groups.length, 1, 'single linkage merges both groups through the bridge');
  const cw = await cluster(all, { algorithm: 'chinese-whispers-weighted', threshold: 0.8 });
  assert.equal(cw.groups.length, 2, 'the bridge is outvoted');
  const avg = await cluster(all, { algorithm: 'average-linkage', threshold: 0.8 });
  assert.equal(avg.groups.length, 2);
});

test('a stricter target false-merge rate gives a smaller τ; the per-face rate tightens with more faces', async () => {
  const loose = await cluster(faces, { calibration, targetFar: 1e-2 });
  const strict = await cluster(faces, { calibration, targetFar: 1e-5 });
  assert.ok(strict.threshold.threshold < loose.threshold.threshold);
  assert.equal(strict.threshold.calibrated?.targetFar, 1e-5);
  // default: per-face rate F (the small-library one at 50 faces) → f = 1 − (1 − F)^(1/(N−1))
  const F = defaultMergeRate(DEFAULT_ALGORITHM, 50);
  const few = await cluster(faces.slice(0, 50), { calibration });
  const many = await cluster(faces, { calibration });
  assert.ok(Math.abs(few.threshold.calibrated!.targetFar - pairwiseMergeRate({}, 50)) < 1e-15);
  assert.ok(Math.abs(pairwiseMergeRate({}, 50) - (1 - (1 - F) ** (1 / 49))) < 1e-12);
  assert.ok(many.threshold.calibrated!.targetFar < few.threshold.calibrated!.targetFar);
  assert.ok(many.threshold.threshold <= few.threshold.threshold);
});

test('the k-NN graph holds each face’s nearest other faces, nearest first, never itself', async () => {
  const g = await buildKnnGraph(
    faces.slice(0, 100).map((f) => f.embedding),
    { k: 5 },
  );
  for (let i = 0; i < g.n; i++) {
    const exact = faces
      .slice(0, 100)
      .map((f, j) => ({ j, d: distance(f.embedding, faces[i].embedding) }))
      .filter((x) => x.j !== i)
      .sort((x, y) => x.d - y.d)
      .slice(0, 5);
    assert.deepEqual(
      Array.from(g.neighbors.subarray(i * 5, i * 5 + 5)),
      exact.map((x) => x.j),
    );
  }
});

/** The same graph up to ties at equal distances (compareGraphs), and every row free of itself and of gaps. */
function assertSameGraph(a: KnnGraph, b: KnnGraph, eps: number, what: string): void {
  const c = compareGraphs(a, b, eps);
  assert.equal(
    c.sameRows,
    a.n,
    `${what}: ${a.n - c.sameRows} rows differ beyond ties (max distance difference ${c.maxDistanceDiff})`,
  );
  for (let i = 0; i < a.n; i++) {
    const row = Array.from(a.neighbors.subarray(i * a.k, (i + 1) * a.k));
    assert.ok(!row.includes(i) && !row.includes(-1), `${what}: row ${i} holds itself or a gap`);
  }
}

test('exact k-NN graph (tiled matrix product, pairs once) equals usearch’s scan and index searches', async () => {
  for (const n of [2, 17, 37, 100, 301]) {
    const embeddings = faces.slice(0, n).map((f) => f.embedding);
    const product = await buildKnnGraph(embeddings, { k: 5, index: 'exact' });
    // tiles smaller than n, ragged at both edges, so pairs cross diagonal and off-diagonal tiles
    const tiled = await buildKnnGraph(embeddings, { k: 5, index: 'exact', exact: { tile: { rows: 7, cols: 16 } } });
    const scan = await buildKnnGraph(embeddings, { k: 5, index: 'scan' });
    const perFace = await buildKnnGraph(embeddings, { k: 5, index: 'index' });
    assert.equal(product.k, Math.min(5, n - 1));
    assertSameGraph(product, scan, 1e-6, `n=${n} product vs scan`);
    assertSameGraph(product, perFace, 1e-6, `n=${n} product vs index`);
    assertSameGraph(tiled, product, 1e-6, `n=${n} tiled vs one tile`);
    assertSameGraph(scan, perFace, 1e-6, `n=${n} scan vs index`);
  }
  // real-size rows: k = 30 over all 800 faces, 64 × 100 tiles
  const all = faces.map((f) => f.embedding);
  const product = await buildKnnGraph(all, { index: 'exact', exact: { tile: { rows: 64, cols: 100 } } });
  assertSameGraph(product, await buildKnnGraph(all, { index: 'scan' }), 1e-6, 'n=800');
  assert.equal(product.k, 30);
  // the comparison sees a real difference: one row's 3rd neighbour replaced by a far face
  const broken = { ...product, neighbors: product.neighbors.slice(), distances: product.distances.slice() };
  broken.neighbors[5 * 30 + 2] = product.neighbors[5 * 30 + 29] === 799 ? 798 : 799;
  assert.equal(compareGraphs(product, broken).sameRows, 799);
  broken.distances[7 * 30] += 0.01;
  assert.equal(compareGraphs(product, broken).sameRows, 798);
});

test('exact k-NN graph: equal dot products go to the smaller index, whatever the tiling', async () => {
  // 12 orthogonal unit vectors: every pair is at distance √2, so each row is a tie of all the others
  const basis = Array.from({ length: 12 }, (_, i) => Float32Array.from({ length: 16 }, (_, j) => (i === j ? 1 : 0)));
  for (const tile of [undefined, { rows: 1, cols: 1 }, { rows: 5, cols: 3 }]) {
    const g = await buildKnnGraph(basis, { k: 4, index: 'exact', exact: { tile } });
    for (let i = 0; i < 12; i++) {
      const want = Array.from({ length: 12 }, (_, j) => j)
        .filter((j) => j !== i)
        .slice(0, 4);
      assert.deepEqual(
        Array.from(g.neighbors.subarray(i * 4, i * 4 + 4)),
        want,
        `row ${i}, tile ${JSON.stringify(tile)}`,
      );
      for (const d of g.distances.subarray(i * 4, i * 4 + 4)) assert.ok(Math.abs(d - Math.SQRT2) < 1e-6);
    }
  }
  // duplicates: a face identical to another is its nearest neighbour at distance 0, never itself
  const dup = [faces[0].embedding, faces[1].embedding, faces[0].embedding, faces[2].embedding];
  const g = await buildKnnGraph(dup, { k: 2, index: 'exact' });
  assert.equal(g.neighbors[0], 2);
  assert.equal(g.neighbors[2 * 2], 0);
  assert.ok(g.distances[0] < 1e-3 && g.distances[2 * 2] < 1e-3);
});

test('bad input: no calibration and no threshold, mixed dimensions, NaN', async () => {
  await assert.rejects(
    () => cluster(faces),
    (e: unknown) => isFaceError(e) && e.code === 'CALIBRATION_ERROR',
  );
  await assert.rejects(
    () => cluster([{ embedding: new Float32Array(4) }, { embedding: new Float32Array(8) }], { threshold: 0.5 }),
    (e: unknown) => isFaceError(e) && e.code === 'INVALID_INPUT',
  );
  await assert.rejects(
    () => cluster([{ embedding: Float32Array.of(NaN, 1) }], { threshold: 0.5 }),
    (e: unknown) => isFaceError(e) && e.code === 'INVALID_INPUT',
  );
  await assert.rejects(
    () => cluster(faces, { threshold: 3 }),
    (e: unknown) => isFaceError(e) && e.code === 'INVALID_INPUT',
  );
  assert.deepEqual((await cluster([], { threshold: 0.5 })).groups, []);
});

test('extendClusters: new samples join their identity’s group; a new identity forms a new group', async () => {
  const first = faces.slice(0, 600);
  const r = await cluster(first, { threshold: 1 });
  const grouped = r.groups.flatMap((g, id) => g.faces.map((f) => ({ embedding: f.embedding, group: id })));
  const groupOfPerson = new Map(r.groups.map((g, id) => [g.faces[0].person, id]));
  const fresh = faces.slice(600);
  const ext = await extendClusters(grouped, fresh, [], { threshold: 1 });
  for (const j of ext.joined) assert.equal(j.group, groupOfPerson.get(j.face.person), 'joined its own person’s group');
  const joinedPeople = new Set(ext.joined.map((j) => j.face.person));
  for (const p of joinedPeople) assert.ok(groupOfPerson.has(p));
  // persons first seen in `fresh` (identities are contiguous, so the boundary one is split) form new groups
  const newPeople = new Set(fresh.filter((f) => !groupOfPerson.has(f.person)).map((f) => f.person));
  assert.ok(newPeople.size > 0);
  assert.equal(
    ext.newGroups.length,
    [...newPeople].filter((p) => fresh.filter((f) => f.person === p).length >= 2).length,
  );
  assert.equal(DEFAULT_ALGORITHM, r.algorithm);
});

test('two faces of one photo never share a group (Chinese Whispers, average linkage), nor join one later', async () => {
  // person A: 4 photos; a fifth photo holds A and a near look-alike of A (both within τ of A's faces)
  const a = faces
    .filter((f) => f.person === faces[0].person)
    .slice(0, 4)
    .map((f, i) => ({ embedding: f.embedding, image: `a${i}` }));
  const both = [
    { embedding: a[0].embedding.map((x, j) => x + (j === 0 ? 0.02 : 0)), image: 'shared' },
    { embedding: a[1].embedding.map((x, j) => x + (j === 1 ? 0.02 : 0)), image: 'shared' },
  ].map((f) => ({ ...f, embedding: f.embedding.map((x, _j, v) => x / Math.hypot(...v)) }));
  for (const algorithm of ['chinese-whispers', 'average-linkage'] as const) {
    const free = await cluster([...a, ...both.map((f) => ({ embedding: f.embedding }))], { threshold: 1, algorithm });
    assert.equal(free.groups.length, 1, `${algorithm}: without photo ids all six are one group`);
    const r = await cluster([...a, ...both], { threshold: 1, algorithm });
    const groupOf = (i: number) => r.groups.findIndex((g) => g.indices.includes(i));
    assert.notEqual(groupOf(4), groupOf(5), algorithm);
  }
  const ext = await extendClusters(
    a.map((f) => ({ ...f, group: 7 })),
    both,
    [],
    { threshold: 1 },
  );
  assert.equal(ext.joined.length, 1, 'only one face of the shared photo joins group 7');
});

test('the default per-face rate: looser for small libraries, the large-library rate from LARGE_LIBRARY on', () => {
  assert.equal(defaultMergeRate('average-linkage', 60), SMALL_LIBRARY_MERGE_RATE['average-linkage']);
  assert.equal(defaultMergeRate('average-linkage', SMALL_LIBRARY), SMALL_LIBRARY_MERGE_RATE['average-linkage']);
  assert.equal(defaultMergeRate('average-linkage', 13_233), DEFAULT_MERGE_RATE['average-linkage']);
  const mid = defaultMergeRate('average-linkage', 3_000);
  assert.ok(mid < SMALL_LIBRARY_MERGE_RATE['average-linkage']! && mid > DEFAULT_MERGE_RATE['average-linkage']);
  assert.ok(defaultMergeRate('average-linkage', 5_000) < mid, 'falls with the library size');
  assert.equal(
    defaultMergeRate('chinese-whispers', 60),
    DEFAULT_MERGE_RATE['chinese-whispers'],
    'no small-library rate',
  );
  assert.ok(pairwiseMergeRate({}, 60) > pairwiseMergeRate({ mergeRate: DEFAULT_MERGE_RATE['average-linkage'] }, 60));
});
