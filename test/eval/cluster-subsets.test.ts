/**
 * Clustering on small random libraries (evaluateSubsets): draws are seeded and within the asked ranges; well-separated
 * synthetic people come out exactly right at a strict τ; a setting that merges everyone shows as false merges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawLibraries, evaluateSubsets, subsetTable } from '../../src/eval/cluster-subsets.js';
import { fakeCalibration, fakeEmbedding } from '../gallery/fake-recognizer.js';

const plan = { draws: 12, people: [3, 6] as [number, number], photos: [4, 8] as [number, number], seed: 7 };
// 30 synthetic people with 3–12 photos each
const people = Array.from({ length: 30 }, (_, p) =>
  Array.from({ length: 3 + (p % 10) }, (_, v) => fakeEmbedding(200 + p, v + 1, 0.2)),
);

test('drawLibraries: seeded, people and photos within the ranges, only people with enough photos', () => {
  const counts = people.map((p) => p.length);
  const a = drawLibraries(counts, plan);
  assert.deepEqual(a, drawLibraries(counts, plan), 'same seed, same draws');
  assert.notDeepEqual(a, drawLibraries(counts, { ...plan, seed: 8 }));
  for (const draw of a) {
    assert.ok(draw.length >= 3 && draw.length <= 6);
    assert.equal(new Set(draw.map((d) => d.person)).size, draw.length, 'distinct people');
    for (const d of draw) {
      assert.ok(counts[d.person] >= 4, 'eligible: at least 4 photos');
      assert.ok(d.photos.length >= 4 && d.photos.length <= Math.min(8, counts[d.person]));
      assert.equal(new Set(d.photos).size, d.photos.length, 'distinct photos');
    }
  }
});

test('evaluateSubsets: separated people exactly right at a strict τ; merging everyone shows', async () => {
  const calibration = fakeCalibration();
  const r = await evaluateSubsets(
    people,
    [
      { algorithm: 'average-linkage' },
      { algorithm: 'connected-components', mergeRate: 0.999999 }, // τ at FAR ≈ 1: one group of everyone
      { algorithm: 'average-linkage', mergeRate: 1e-9 }, // τ at FAR 0 of a table of well-separated pairs
    ],
    calibration,
    plan,
  );
  const [byDefault, merged, strict] = r.rows;
  assert.equal(byDefault.default, true);
  assert.equal(strict.default, false);
  assert.equal(strict.exact, 1, subsetTable(r));
  assert.equal(strict.withFalseMerge, 0);
  assert.equal(strict.overSplit, 0);
  assert.equal(strict.splitPeople, 0);
  assert.equal(merged.withFalseMerge, 1);
  assert.ok(merged.overSplit < 0 && merged.pairwisePrecision < 0.5);
  assert.match(subsetTable(r), /^\| algorithm \| F\/face \|/);
  assert.ok(r.meanPeople >= 3 && r.meanPeople <= 6);
});
