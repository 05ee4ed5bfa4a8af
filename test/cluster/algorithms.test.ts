import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticGallery, row } from '../../scripts/search-data.js';
import { cluster, extendClusters, pairwiseMergeRate, DEFAULT_ALGORITHM, DEFAULT_MERGE_RATE } from '../../src/cluster/cluster.js';
import { CLUSTER_ALGORITHMS } from '../../src/cluster/algorithms.js';
import { buildKnnGraph } from '../../src/cluster/knn-graph.js';
import { bcubedScores, labelsFromGroups, pairwiseScores } from '../../src/cluster/metrics.js';
import { calibrate } from '../../src/decide/calibration.js';
import { distance } from '../../src/embed/distance.js';
import { isFaceError } from '../../src/errors.js';

// ≈200 identities × 3–5 samples, same-person cosine 0.75 (distance ≈ 0.71), strangers ≈ orthogonal (≈ 1.41)
const gal = syntheticGallery(800, { dim: 128, seed: 3 });
const faces = Array.from({ length: gal.count }, (_, i) => ({ embedding: row(gal, i), person: gal.labels[i] }));

/** A calibration of this synthetic "model" from its own labelled pairs (every pair of the first 400 faces). */
function syntheticCalibration() {
  const pairs = [];
  for (let i = 0; i < 400; i++) for (let j = i + 1; j < 400; j++) pairs.push({ distance: distance(faces[i].embedding, faces[j].embedding), same: faces[i].person === faces[j].person });
  return calibrate(pairs, { modelId: 'synthetic', source: 'synthetic test pairs' });
}
const calibration = syntheticCalibration();

for (const algorithm of CLUSTER_ALGORITHMS)
  test(`${algorithm}: well-separated synthetic identities are recovered exactly`, () => {
    // genuine distances here reach 0.86, impostor ones start at 1.11: τ = 1 separates them (a calibrated τ sits at
    // the impostor tail: 1e-4 of 320,000 pairs is 32 false edges, which single linkage would follow)
    const r = cluster(faces, { algorithm, threshold: 1 });
    const predicted = labelsFromGroups(faces.length, r.groups.map((g) => g.indices));
    const pw = pairwiseScores(predicted, gal.labels);
    const b3 = bcubedScores(predicted, gal.labels);
    assert.equal(pw.precision, 1, 'no false merge');
    assert.ok(b3.f > 0.99, `BCubed F ${b3.f}`);
    assert.equal(r.groups.length + r.unclustered.length, gal.identities);
    assert.equal(r.threshold.source, 'explicit');
  });

test('connected components chain through one bridging face; similarity-weighted Chinese Whispers and average linkage do not', () => {
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
  const cc = cluster(all, { algorithm: 'connected-components', threshold: 0.8 });
  assert.equal(cc.groups.length, 1, 'single linkage merges both groups through the bridge');
  const cw = cluster(all, { algorithm: 'chinese-whispers-weighted', threshold: 0.8 });
  assert.equal(cw.groups.length, 2, 'the bridge is outvoted');
  const avg = cluster(all, { algorithm: 'average-linkage', threshold: 0.8 });
  assert.equal(avg.groups.length, 2);
});

test('a stricter target false-merge rate gives a smaller τ; the per-face rate tightens with the number of faces', () => {
  const loose = cluster(faces, { calibration, targetFar: 1e-2 });
  const strict = cluster(faces, { calibration, targetFar: 1e-5 });
  assert.ok(strict.threshold.threshold < loose.threshold.threshold);
  assert.equal(strict.threshold.calibrated?.targetFar, 1e-5);
  // default: per-face rate F → f = 1 − (1 − F)^(1/(N−1))
  const F = DEFAULT_MERGE_RATE[DEFAULT_ALGORITHM];
  const few = cluster(faces.slice(0, 50), { calibration });
  const many = cluster(faces, { calibration });
  assert.ok(Math.abs(few.threshold.calibrated!.targetFar - pairwiseMergeRate({}, 50)) < 1e-15);
  assert.ok(Math.abs(pairwiseMergeRate({}, 50) - (1 - (1 - F) ** (1 / 49))) < 1e-12);
  assert.ok(many.threshold.calibrated!.targetFar < few.threshold.calibrated!.targetFar);
  assert.ok(many.threshold.threshold <= few.threshold.threshold);
});

test('the k-NN graph holds each face’s nearest other faces, nearest first, never itself', () => {
  const g = buildKnnGraph(faces.slice(0, 100).map((f) => f.embedding), { k: 5 });
  for (let i = 0; i < g.n; i++) {
    const exact = faces
      .slice(0, 100)
      .map((f, j) => ({ j, d: distance(f.embedding, faces[i].embedding) }))
      .filter((x) => x.j !== i)
      .sort((x, y) => x.d - y.d)
      .slice(0, 5);
    assert.deepEqual(Array.from(g.neighbors.subarray(i * 5, i * 5 + 5)), exact.map((x) => x.j));
  }
});

test('the batched exact k-NN graph equals one index search per face (blocks of 16 and a ragged last block)', () => {
  for (const n of [2, 17, 37, 100]) {
    const embeddings = faces.slice(0, n).map((f) => f.embedding);
    const batched = buildKnnGraph(embeddings, { k: 5, index: 'exact' });
    const perFace = buildKnnGraph(embeddings, { k: 5, index: 'index' });
    assert.equal(batched.k, Math.min(5, n - 1));
    assert.deepEqual(Array.from(batched.neighbors), Array.from(perFace.neighbors));
    for (let i = 0; i < batched.distances.length; i++) assert.ok(Math.abs(batched.distances[i] - perFace.distances[i]) < 1e-6);
  }
});

test('bad input: no calibration and no threshold, mixed dimensions, NaN', () => {
  assert.throws(() => cluster(faces), (e: unknown) => isFaceError(e) && e.code === 'CALIBRATION_ERROR');
  assert.throws(() => cluster([{ embedding: new Float32Array(4) }, { embedding: new Float32Array(8) }], { threshold: 0.5 }), (e: unknown) => isFaceError(e) && e.code === 'INVALID_INPUT');
  assert.throws(() => cluster([{ embedding: Float32Array.of(NaN, 1) }], { threshold: 0.5 }), (e: unknown) => isFaceError(e) && e.code === 'INVALID_INPUT');
  assert.throws(() => cluster(faces, { threshold: 3 }), (e: unknown) => isFaceError(e) && e.code === 'INVALID_INPUT');
  assert.deepEqual(cluster([], { threshold: 0.5 }).groups, []);
});

test('extendClusters: new samples join their identity’s group; a new identity forms a new group', () => {
  const first = faces.slice(0, 600);
  const r = cluster(first, { threshold: 1 });
  const grouped = r.groups.flatMap((g, id) => g.faces.map((f) => ({ embedding: f.embedding, group: id })));
  const groupOfPerson = new Map(r.groups.map((g, id) => [g.faces[0].person, id]));
  const fresh = faces.slice(600);
  const ext = extendClusters(grouped, fresh, [], { threshold: 1 });
  for (const j of ext.joined) assert.equal(j.group, groupOfPerson.get(j.face.person), 'joined its own person’s group');
  const joinedPeople = new Set(ext.joined.map((j) => j.face.person));
  for (const p of joinedPeople) assert.ok(groupOfPerson.has(p));
  // persons first seen in `fresh` (identities are contiguous, so the boundary one is split) form new groups
  const newPeople = new Set(fresh.filter((f) => !groupOfPerson.has(f.person)).map((f) => f.person));
  assert.ok(newPeople.size > 0);
  assert.equal(ext.newGroups.length, [...newPeople].filter((p) => fresh.filter((f) => f.person === p).length >= 2).length);
  assert.equal(DEFAULT_ALGORITHM, r.algorithm);
});

test('two faces of one photo never end up in one group (Chinese Whispers, average linkage), nor join one incrementally', () => {
  // person A: 4 photos; a fifth photo holds A and a near look-alike of A (both within τ of A's faces)
  const a = faces.filter((f) => f.person === faces[0].person).slice(0, 4).map((f, i) => ({ embedding: f.embedding, image: `a${i}` }));
  const both = [
    { embedding: a[0].embedding.map((x, j) => x + (j === 0 ? 0.02 : 0)), image: 'shared' },
    { embedding: a[1].embedding.map((x, j) => x + (j === 1 ? 0.02 : 0)), image: 'shared' },
  ].map((f) => ({ ...f, embedding: f.embedding.map((x, _j, v) => x / Math.hypot(...v)) }));
  for (const algorithm of ['chinese-whispers', 'average-linkage'] as const) {
    const free = cluster([...a, ...both.map((f) => ({ embedding: f.embedding }))], { threshold: 1, algorithm });
    assert.equal(free.groups.length, 1, `${algorithm}: without photo ids all six are one group`);
    const r = cluster([...a, ...both], { threshold: 1, algorithm });
    const groupOf = (i: number) => r.groups.findIndex((g) => g.indices.includes(i));
    assert.notEqual(groupOf(4), groupOf(5), algorithm);
  }
  const ext = extendClusters(a.map((f) => ({ ...f, group: 7 })), both, [], { threshold: 1 });
  assert.equal(ext.joined.length, 1, 'only one face of the shared photo joins group 7');
});
