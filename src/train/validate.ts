/**
 * Verification metrics for training: pairs of chips → distances → accuracy (k-fold cross-validated threshold),
 * AUC and TAR at fixed FAR, with src/eval/roc.ts.
 */
import { accuracyAt, bestThreshold, rocAuc, rocCurve, tarAtFar, type ScoredPair } from '../eval/roc.js';
import type { Rng } from './rng.js';

export interface Pair {
  readonly i: number;
  readonly j: number;
  readonly same: boolean;
}

export interface VerificationStats {
  /** Mean accuracy over k folds, each fold's threshold chosen on the other folds. */
  readonly accuracy: number;
  readonly std: number;
  /** Threshold maximising accuracy on all pairs (L2 distance). */
  readonly threshold: number;
  readonly auc: number;
  /** TAR at FAR = 1e-3 and 1e-2, linearly interpolated on the ROC (1e-3 needs ≥ 1000 impostor pairs to mean much). */
  readonly tarAtFar1e3: number;
  readonly tarAtFar1e2: number;
  readonly pairs: number;
}

/** L2 distance between rows i and j of [N × dim] embeddings. */
export function rowDistance(emb: Float32Array, dim: number, i: number, j: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) {
    const d = emb[i * dim + k] - emb[j * dim + k];
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Accuracy with contiguous folds (pairs should already be in a random or protocol order). */
export function crossValidatedAccuracy(scored: readonly ScoredPair[], folds = 10): { mean: number; std: number } {
  const k = Math.max(2, Math.min(folds, scored.length));
  const accs: number[] = [];
  for (let f = 0; f < k; f++) {
    const lo = Math.floor((f * scored.length) / k);
    const hi = Math.floor(((f + 1) * scored.length) / k);
    const test = scored.slice(lo, hi);
    const train = [...scored.slice(0, lo), ...scored.slice(hi)];
    if (!test.length) continue;
    accs.push(accuracyAt(test, bestThreshold(train).threshold));
  }
  const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
  const std = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / accs.length);
  return { mean, std };
}

/** Labelled distances of pairs of rows of [N × dim] embeddings. */
export function scorePairs(emb: Float32Array, dim: number, pairs: readonly Pair[]): ScoredPair[] {
  return pairs.map((p) => ({ distance: rowDistance(emb, dim, p.i, p.j), same: p.same }));
}

export function verificationStats(
  emb: Float32Array,
  dim: number,
  pairs: readonly Pair[],
  folds = 10,
): VerificationStats {
  const scored = scorePairs(emb, dim, pairs);
  const roc = rocCurve(scored);
  const cv = crossValidatedAccuracy(scored, folds);
  return {
    accuracy: cv.mean,
    std: cv.std,
    threshold: bestThreshold(scored).threshold,
    auc: rocAuc(roc),
    tarAtFar1e3: tarAtFar(roc, 1e-3),
    tarAtFar1e2: tarAtFar(roc, 1e-2),
    pairs: scored.length,
  };
}

/**
 * Validation pairs among `indices` (chips of validation identities): up to `maxPerKind` genuine pairs and as
 * many impostor pairs, shuffled together (seeded).
 */
export function makePairs(indices: readonly number[], labels: ArrayLike<number>, rng: Rng, maxPerKind = 1000): Pair[] {
  const same: Pair[] = [];
  for (let a = 0; a < indices.length; a++)
    for (let b = a + 1; b < indices.length; b++)
      if (labels[indices[a]] === labels[indices[b]]) same.push({ i: indices[a], j: indices[b], same: true });
  const genuine = rng.sample(same, maxPerKind);
  const diff: Pair[] = [];
  const want = genuine.length;
  const seen = new Set<string>();
  let tries = 0;
  while (diff.length < want && tries < want * 50) {
    tries++;
    const i = indices[rng.int(indices.length)];
    const j = indices[rng.int(indices.length)];
    if (labels[i] === labels[j]) continue;
    const key = i < j ? `${i},${j}` : `${j},${i}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diff.push({ i, j, same: false });
  }
  return rng.shuffle([...genuine, ...diff]);
}
