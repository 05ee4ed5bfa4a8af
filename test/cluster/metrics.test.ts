import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bcubedScores, labelsFromGroups, pairwiseScores } from '../../src/cluster/metrics.js';
import { FaceError } from '../../src/errors.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

test('pairwise: perfect, all-in-one and all-alone partitions', () => {
  const truth = [0, 0, 0, 1, 1, 2];
  assert.deepEqual(
    { ...pairwiseScores(truth, truth) },
    { precision: 1, recall: 1, f: 1, truePairs: 4, predictedPairs: 4, correctPairs: 4 },
  );
  const one = pairwiseScores([0, 0, 0, 0, 0, 0], truth);
  close(one.precision, 4 / 15);
  close(one.recall, 1);
  const alone = pairwiseScores([0, 1, 2, 3, 4, 5], truth);
  assert.equal(alone.precision, 1); // nothing put together, nothing wrong
  assert.equal(alone.recall, 0);
  assert.equal(alone.f, 0);
});

test('pairwise: a hand-counted example', () => {
  // truth A A A B B ; predicted {A A} {A B B}: together pairs 1 + 3 = 4, correct 1 + 1 = 2; true pairs 3 + 1 = 4
  const s = pairwiseScores([0, 0, 1, 1, 1], [0, 0, 0, 1, 1]);
  close(s.precision, 2 / 4);
  close(s.recall, 2 / 4);
});

test('BCubed: the Amigó et al. example values, by hand', () => {
  // truth A A A B B ; predicted {A A} {A B B}
  // precision per face: A1 1, A2 1, A3 1/3, B1 2/3, B2 2/3 → 11/15 ; recall: A1 2/3, A2 2/3, A3 1/3, B1 1, B2 1 → 11/15
  const s = bcubedScores([0, 0, 1, 1, 1], [0, 0, 0, 1, 1]);
  close(s.precision, 11 / 15);
  close(s.recall, 11 / 15);
  close(s.f, 11 / 15);
  const alone = bcubedScores([0, 1, 2], [0, 0, 0]);
  close(alone.precision, 1);
  close(alone.recall, 1 / 3);
});

test('labels differ in length → INVALID_INPUT, in both measures; empty input scores 1', () => {
  for (const score of [pairwiseScores, bcubedScores])
    assert.throws(
      () => score([0], [0, 1]),
      (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
    );
  assert.deepEqual(bcubedScores([], []), { precision: 1, recall: 1, f: 1 });
});

test('labelsFromGroups gives every ungrouped face an id of its own', () => {
  assert.deepEqual(Array.from(labelsFromGroups(5, [[1, 3]])), [1, 0, 2, 0, 3]);
});
