import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  calibrate,
  farAtDistance,
  openSetThreshold,
  parseCalibrationTable,
  perComparisonFar,
  tauForFar,
} from '../../src/decide/calibration.js';
import { identifyDecision, verifyDecision } from '../../src/decide/decisions.js';
import { rocCurve, thresholdAtFar } from '../../src/eval/roc.js';
import { FaceError } from '../../src/errors.js';
import { mulberry32 } from '../gallery/fake-recognizer.js';

/** 10 genuine pairs at 0.1..1.0 and 1000 impostor pairs at 0.5, 0.501, ... */
function handPairs() {
  const pairs = [];
  for (let i = 1; i <= 10; i++) pairs.push({ distance: i / 10, same: true });
  for (let i = 0; i < 1000; i++) pairs.push({ distance: 0.5 + i / 1000, same: false });
  return pairs;
}

test('tauForFar: largest threshold whose measured FAR does not exceed the target', () => {
  const table = calibrate(handPairs(), { modelId: 'm', source: 'hand' });
  assert.equal(table.impostorPairs, 1000);
  assert.equal(table.genuinePairs, 10);
  assert.equal(table.minResolvableFar, 1e-3);
  // FAR 0: accept below the first impostor (0.5); the genuine 0.5 ties with it, so τ sits between 0.4 and 0.5
  const t0 = tauForFar(table, 0);
  assert.equal(t0.far, 0);
  assert.ok(t0.threshold > 0.4 && t0.threshold <= 0.5, `τ(0) = ${t0.threshold}`);
  assert.equal(t0.tar, 0.4);
  // FAR 1 %: 10 impostors accepted (distances 0.500..0.509) → τ in (0.509, 0.510]
  const t1 = tauForFar(table, 0.01);
  assert.ok(t1.far <= 0.01 && t1.far >= 0.0095, `far ${t1.far}`);
  assert.ok(t1.threshold > 0.5 && t1.threshold <= 0.511, `τ(1e-2) = ${t1.threshold}`);
  assert.equal(t1.resolvable, true);
  // below the resolution: flagged, FAR-0 threshold
  const tiny = tauForFar(table, 1e-5);
  assert.equal(tiny.resolvable, false);
  assert.equal(tiny.threshold, t0.threshold);
  // thresholds grow with FAR
  let prev = -Infinity;
  for (const far of [0, 1e-3, 5e-3, 0.01, 0.1, 0.5, 1]) {
    const t = tauForFar(table, far);
    assert.ok(t.threshold >= prev);
    assert.ok(t.far <= far + 1e-12, `measured far ${t.far} above target ${far}`);
    prev = t.threshold;
  }
  assert.throws(
    () => tauForFar(table, 2),
    (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
  );
});

test('the thinned table agrees with the full ROC within its grid step', () => {
  const r = mulberry32(7);
  const pairs = [];
  for (let i = 0; i < 2000; i++) pairs.push({ distance: 0.3 + 0.15 * r(), same: true });
  for (let i = 0; i < 20000; i++) pairs.push({ distance: 0.4 + 0.8 * r(), same: false });
  const table = calibrate(pairs, { modelId: 'm', source: 'random' });
  const roc = rocCurve(pairs);
  assert.ok(table.points.length < 400, `${table.points.length} points`);
  for (const far of [5e-5, 1e-4, 3e-4, 1e-3, 1e-2, 0.1]) {
    const exact = thresholdAtFar(roc, far);
    const ours = tauForFar(table, far);
    assert.ok(ours.threshold <= exact.threshold + 1e-12, 'never less strict than the exact ROC');
    assert.ok(ours.far <= far);
    // at most one grid step (10^(1/50) ≈ 4.7 %) below the target, or the exact point itself
    assert.ok(ours.far >= exact.far / 1.05 - 1 / 20000, `far ${ours.far} vs exact ${exact.far} at ${far}`);
  }
});

test('open-set per-comparison FAR f = 1-(1-F)^(1/K)', () => {
  assert.equal(perComparisonFar(0.01, 1), 0.01);
  for (const [F, K] of [
    [0.01, 10],
    [0.01, 1680],
    [0.001, 100],
    [0.1, 7],
  ]) {
    const f = perComparisonFar(F, K);
    assert.ok(Math.abs(1 - (1 - f) ** K - F) < 1e-12, `F=${F} K=${K}: f=${f}`);
    // 1-(1-F)^(1/K) ≥ F/K (concavity), and ≈ F/K for small F
    assert.ok(f >= F / K - 1e-18 && f < (F / K) * 1.06, `f=${f} vs F/K=${F / K}`);
  }
  // stays accurate where the naive formula cancels to 0
  const f = perComparisonFar(1e-12, 1e6);
  assert.ok(Math.abs(f - 1e-18) / 1e-18 < 1e-6, `f = ${f}`);
  assert.throws(() => perComparisonFar(0.01, 0), FaceError);
  assert.throws(() => perComparisonFar(1, 3), FaceError);
});

test('open-set threshold shrinks with K and warns loudly when the calibration cannot resolve f', () => {
  const table = calibrate(handPairs(), { modelId: 'm', source: 'hand' });
  const small = openSetThreshold(table, 0.1, 10); // f ≈ 0.0105: resolvable with 1000 impostors
  assert.equal(small.resolvable, true);
  assert.equal(small.warning, undefined);
  assert.ok(Math.abs(small.targetFar - perComparisonFar(0.1, 10)) < 1e-15);
  const mid = openSetThreshold(table, 0.1, 50);
  assert.ok(mid.threshold <= small.threshold);
  const big = openSetThreshold(table, 0.01, 1680); // f ≈ 6e-6 < 1e-3
  assert.equal(big.resolvable, false);
  assert.match(
    big.warning ?? '',
    /^WARNING: .*1680 entries.*below the 1\.00e-3 this calibration can resolve \(1000 impostor pairs/,
  );
});

test('farAtDistance is the measured FAR of accepting at that distance, monotone', () => {
  const table = calibrate(handPairs(), { modelId: 'm', source: 'hand' });
  assert.equal(farAtDistance(table, 0.1), 0);
  assert.equal(farAtDistance(table, 5), 1);
  const mid = farAtDistance(table, 0.75);
  assert.ok(mid >= 0.25 && mid <= 0.27, `${mid}`);
});

test('verify and identify decisions read τ from the table', () => {
  const table = calibrate(handPairs(), { modelId: 'm', source: 'hand' });
  const tau = tauForFar(table, 1e-3).threshold;
  const yes = verifyDecision(tau - 0.01, table, 1e-3);
  assert.equal(yes.match, true);
  assert.equal(yes.threshold, tau);
  assert.ok(yes.far <= 1e-3);
  assert.equal(verifyDecision(tau + 0.01, table, 1e-3).match, false);
  assert.deepEqual(identifyDecision([], 1), { person: 'unknown', distance: Infinity, candidates: [] });
  const cands = [
    { person: 'a', distance: 0.3 },
    { person: 'b', distance: 0.4 },
  ];
  assert.equal(identifyDecision(cands, 0.35).person, 'a');
  assert.equal(identifyDecision(cands, 0.3).person, 'unknown', 'strict: distance must be below τ');
});

test('calibration rejects one-sided or non-finite pairs and bad tables', () => {
  assert.throws(
    () => calibrate([{ distance: 1, same: true }], { modelId: 'm', source: 's' }),
    (e: unknown) => e instanceof FaceError && e.code === 'CALIBRATION_ERROR',
  );
  assert.throws(
    () =>
      calibrate(
        [
          { distance: NaN, same: true },
          { distance: 1, same: false },
        ],
        { modelId: 'm', source: 's' },
      ),
    (e: unknown) => e instanceof FaceError && e.code === 'CALIBRATION_ERROR',
  );
  const table = calibrate(handPairs(), { modelId: 'm', source: 'hand' });
  assert.deepEqual(parseCalibrationTable(JSON.parse(JSON.stringify(table)), 'x'), table);
  assert.throws(
    () => parseCalibrationTable({ ...table, points: [...table.points].reverse() }, 'x'),
    (e: unknown) => e instanceof FaceError && e.code === 'CALIBRATION_ERROR',
  );
  assert.throws(() => parseCalibrationTable({ format: 99 }, 'x'), FaceError);
});
