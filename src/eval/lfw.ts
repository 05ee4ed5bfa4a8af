/**
 * LFW View 2 10-fold protocol: for each fold choose τ maximising accuracy on the other nine, test on the held-out one.
 */
import { distance, normalisedMean } from '../embed/vector.js';
import { accuracyAt, bestThreshold, rocAuc, rocCurve, tarAtFar, type ScoredPair } from './roc.js';
import type { LfwPair } from './lfw-pairs.js';
import type { CachedEmbedding } from './embedding-cache.js';
import { invariant } from '../errors.js';

export interface LfwResult {
  /** Mean of the per-fold accuracies, 0–1. */
  readonly accuracy: number;
  /** Standard deviation of the per-fold accuracies (population, as numpy's default). */
  readonly std: number;
  readonly foldAccuracies: number[];
  /** Area under the ROC over all pairs. */
  readonly auc: number;
  /** TAR at FAR = 1e-3 over all pairs, linearly interpolated between ROC points. */
  readonly tarAtFar1e3: number;
  /** Mean of the ten per-fold thresholds on L2 distance. */
  readonly threshold: number;
  readonly foldThresholds: number[];
  readonly pairs: number;
}

export type EmbeddingVariant = 'plain' | 'flip';

export function pickEmbedding(e: CachedEmbedding, variant: EmbeddingVariant): Float32Array {
  return variant === 'flip' ? normalisedMean([e.embedding, e.flipped]) : e.embedding;
}

export function scorePairs(
  pairs: readonly LfwPair[],
  emb: Map<string, CachedEmbedding>,
  variant: EmbeddingVariant,
): ScoredPair[] {
  return pairs.map((p) => {
    const a = emb.get(p.a);
    const b = emb.get(p.b);
    invariant(a && b, `missing embedding for ${a ? p.b : p.a}`);
    return { distance: distance(pickEmbedding(a, variant), pickEmbedding(b, variant)), same: p.same };
  });
}

export function tenFold(folds: readonly ScoredPair[][]): LfwResult {
  const foldAccuracies: number[] = [];
  const foldThresholds: number[] = [];
  for (let k = 0; k < folds.length; k++) {
    const train = folds.filter((_, i) => i !== k).flat();
    const { threshold } = bestThreshold(train);
    foldThresholds.push(threshold);
    foldAccuracies.push(accuracyAt(folds[k], threshold));
  }
  const mean = foldAccuracies.reduce((a, b) => a + b, 0) / foldAccuracies.length;
  const std = Math.sqrt(foldAccuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / foldAccuracies.length);
  const all = folds.flat();
  const roc = rocCurve(all);
  return {
    accuracy: mean,
    std,
    foldAccuracies,
    auc: rocAuc(roc),
    tarAtFar1e3: tarAtFar(roc, 1e-3),
    threshold: foldThresholds.reduce((a, b) => a + b, 0) / foldThresholds.length,
    foldThresholds,
    pairs: all.length,
  };
}

/** The pairs the per-fold thresholds get wrong, as CSV (fold, same, distance, threshold, a, b), for inspection. */
export function misclassifiedCsv(
  folds: readonly (readonly LfwPair[])[],
  emb: Map<string, CachedEmbedding>,
  variant: EmbeddingVariant,
  result: LfwResult,
): string {
  const rows = ['fold,same,distance,threshold,a,b'];
  folds.forEach((fold, k) =>
    scorePairs(fold, emb, variant).forEach((s, i) => {
      const tau = result.foldThresholds[k];
      if (s.distance < tau !== s.same)
        rows.push([k + 1, s.same, s.distance.toFixed(4), tau.toFixed(4), fold[i].a, fold[i].b].join(','));
    }),
  );
  return `${rows.join('\n')}\n`;
}

/** LFW View 1 as its protocol says: τ chosen on the training pairs, accuracy measured on the test pairs. */
export interface View1TestResult {
  readonly variant: EmbeddingVariant;
  /** τ maximising accuracy on the training pairs. */
  readonly threshold: number;
  readonly trainAccuracy: number;
  /** Test accuracy at that τ: the protocol's figure. */
  readonly accuracy: number;
  /** Test accuracy at the test pairs' own best τ (optimistic; comparable between pipelines). */
  readonly bestAccuracy: number;
  readonly bestThreshold: number;
  readonly auc: number;
  readonly tarAtFar1e2: number;
  readonly tarAtFar1e3: number;
}

export function view1Test(
  train: readonly LfwPair[],
  test: readonly LfwPair[],
  emb: Map<string, CachedEmbedding>,
  variant: EmbeddingVariant,
): View1TestResult {
  const trainScored = scorePairs(train, emb, variant);
  const testScored = scorePairs(test, emb, variant);
  const fit = bestThreshold(trainScored);
  const best = bestThreshold(testScored);
  const roc = rocCurve(testScored);
  return {
    variant,
    threshold: fit.threshold,
    trainAccuracy: fit.accuracy,
    accuracy: accuracyAt(testScored, fit.threshold),
    bestAccuracy: best.accuracy,
    bestThreshold: best.threshold,
    auc: rocAuc(roc),
    tarAtFar1e2: tarAtFar(roc, 1e-2),
    tarAtFar1e3: tarAtFar(roc, 1e-3),
  };
}
