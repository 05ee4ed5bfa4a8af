import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  padFigures,
  thresholdForApcer,
  thresholdForBpcer,
  type ScoredPresentation,
} from '../../src/liveness/evaluate.js';
import { FaceError } from '../../src/errors.js';

const p = (label: string, score?: number): ScoredPresentation => ({ file: `${label}-${score}`, label, score });

const samples = [
  ...[0.1, 0.6, 0.7, 0.8, 0.9].map((s) => p('live', s)),
  p('live'), // no face: counted apart
  ...[0.05, 0.2, 0.55].map((s) => p('print', s)),
  ...[0.3, 0.65].map((s) => p('replay', s)),
];

test('APCER per attack type, BPCER and ACER at a threshold (live iff score ≥ threshold)', () => {
  const f = padFigures(samples, 0.5);
  assert.deepEqual(f.bpcer, { count: 5, noFace: 1, errors: 1, rate: 0.2 });
  assert.deepEqual(f.apcer.print, { count: 3, noFace: 0, errors: 1, rate: 1 / 3 });
  assert.deepEqual(f.apcer.replay, { count: 2, noFace: 0, errors: 1, rate: 0.5 });
  assert.equal(f.apcerMax, 0.5);
  assert.equal(f.acer, (0.5 + 0.2) / 2);
  // a score equal to the threshold is live
  assert.equal(padFigures(samples, 0.6).bpcer.errors, 1);
});

test('the threshold for a target BPCER refuses at most that share of live faces, and is the highest such', () => {
  const live = [0.1, 0.6, 0.7, 0.8, 0.9];
  assert.equal(thresholdForBpcer(live, 0), 0.1); // nobody refused
  assert.equal(thresholdForBpcer(live, 0.2), 0.6); // one of five refused
  assert.equal(padFigures(samples, thresholdForBpcer(live, 0.2)).bpcer.rate, 0.2);
  assert.equal(thresholdForBpcer(live, 0.19), 0.1);
});

test('the threshold for a target APCER accepts at most that share of attacks', () => {
  const attacks = [0.05, 0.2, 0.55, 0.3, 0.65];
  const t0 = thresholdForApcer(attacks, 0);
  assert.ok(t0 > 0.65 && t0 < 0.651);
  assert.equal(padFigures(samples, t0).apcerMax, 0);
  const t = thresholdForApcer(attacks, 0.2); // one of five may pass
  assert.ok(t > 0.55 && t <= 0.65);
});

test('calibration refuses empty sets and rates outside [0, 1)', () => {
  assert.throws(
    () => thresholdForBpcer([], 0.01),
    (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
  );
  assert.throws(
    () => thresholdForApcer([0.5], 1),
    (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
  );
  assert.throws(() => thresholdForBpcer([0.5], -0.1), FaceError);
});
