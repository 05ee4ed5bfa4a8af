import { test } from 'node:test';
import assert from 'node:assert/strict';
import { equalErrorRate, rocAuc, rocCurve, tarAtFar } from '../../src/eval/roc.js';

const pairs = (same: number[], diff: number[]) => [
  ...same.map((distance) => ({ distance, same: true })),
  ...diff.map((distance) => ({ distance, same: false })),
];

test('equal error rate: where FAR meets the false-reject rate', () => {
  // one genuine pair (0.6) is farther than one impostor (0.5): at τ between them FAR = FRR = 1/4
  const roc = rocCurve(pairs([0.1, 0.2, 0.3, 0.6], [0.5, 0.7, 0.8, 0.9]));
  assert.equal(equalErrorRate(roc), 0.25);
  // perfectly separated: 0
  assert.equal(equalErrorRate(rocCurve(pairs([0.1, 0.2], [0.8, 0.9]))), 0);
  // reversed: every genuine pair is farther than every impostor: 1
  assert.equal(equalErrorRate(rocCurve(pairs([0.8, 0.9], [0.1, 0.2]))), 1);
});

test('AUC and TAR@FAR on a known ROC', () => {
  const roc = rocCurve(pairs([0.1, 0.2, 0.3, 0.6], [0.5, 0.7, 0.8, 0.9]));
  assert.equal(rocAuc(roc), 15 / 16);
  assert.equal(tarAtFar(roc, 0), 0.75);
  assert.equal(tarAtFar(roc, 0.25), 1);
  assert.equal(
    tarAtFar(roc, 0.125),
    0.75,
    'the impostor at 0.5 comes before the genuine pair at 0.6: TAR stays 0.75 up to FAR 0.25',
  );
});
