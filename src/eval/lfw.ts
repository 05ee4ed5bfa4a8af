/**
 * LFW View 2 10-fold protocol: for each fold choose τ maximising accuracy on the other nine, test on the held-out one.
 */
import { distance, normalisedMean } from '../embed/vector.js';
import { accuracyAt, bestThreshold, rocAuc, rocCurve, tarAtFar, type ScoredPair } from './roc.js';
import type { LfwPair } from './lfw-pairs.js';
import type { CachedEmbedding } from './embedding-cache.js';

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
    if (!a || !b) throw new Error(`missing embedding for ${a ? p.b : p.a}`);
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
