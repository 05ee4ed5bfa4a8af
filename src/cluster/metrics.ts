/**
 * Clustering quality against true identities.
 *
 * Both measures take one predicted group id and one true id per face. A face left unclustered counts as a group of
 * its own (give it a unique id): it merged with nobody, which is right for a person seen once and a miss otherwise.
 *
 * - Pairwise: over all pairs of faces, precision = pairs put together that are the same person / pairs put together;
 *   recall = same-person pairs put together / same-person pairs. Counted from the contingency table, not the
 *   N² pairs. Dominated by large groups (a 530-photo person has 140,000 pairs).
 * - BCubed (Bagga & Baldwin 1998; Amigó et al. 2009): per face, precision = share of its predicted group that is its
 *   person, recall = share of its person that is in its predicted group; averaged over faces. Every face weighs
 *   the same, so small identities count.
 */
import { FaceError } from '../errors.js';

export interface PrecisionRecall {
  readonly precision: number;
  readonly recall: number;
  readonly f: number;
}

const fScore = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

/** (predicted, true) → count, plus the size of each predicted group and each true identity. */
function contingency(predicted: ArrayLike<number>, truth: ArrayLike<number>) {
  if (predicted.length !== truth.length)
    throw new FaceError(
      'INVALID_INPUT',
      `predicted (${predicted.length}) and true (${truth.length}) labels differ in length`,
    );
  const cells = new Map<string, { p: number; t: number; n: number }>();
  const predSize = new Map<number, number>();
  const trueSize = new Map<number, number>();
  for (let i = 0; i < predicted.length; i++) {
    const p = predicted[i];
    const t = truth[i];
    const key = `${p}\u0000${t}`;
    const c = cells.get(key);
    if (c) c.n++;
    else cells.set(key, { p, t, n: 1 });
    predSize.set(p, (predSize.get(p) ?? 0) + 1);
    trueSize.set(t, (trueSize.get(t) ?? 0) + 1);
  }
  return { cells: [...cells.values()], predSize, trueSize };
}

const pairs = (n: number) => (n * (n - 1)) / 2;

/** Pairwise precision / recall / F. With no pair put together precision is 1; with no same-person pair recall is 1. */
export function pairwiseScores(
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
): PrecisionRecall & { truePairs: number; predictedPairs: number; correctPairs: number } {
  const { cells, predSize, trueSize } = contingency(predicted, truth);
  let correct = 0;
  for (const c of cells) correct += pairs(c.n);
  let predictedPairs = 0;
  for (const n of predSize.values()) predictedPairs += pairs(n);
  let truePairs = 0;
  for (const n of trueSize.values()) truePairs += pairs(n);
  const precision = predictedPairs ? correct / predictedPairs : 1;
  const recall = truePairs ? correct / truePairs : 1;
  return { precision, recall, f: fScore(precision, recall), truePairs, predictedPairs, correctPairs: correct };
}

/** BCubed precision / recall / F (each face's precision and recall averaged over faces). */
export function bcubedScores(predicted: ArrayLike<number>, truth: ArrayLike<number>): PrecisionRecall {
  const n = predicted.length;
  if (n === 0) return { precision: 1, recall: 1, f: 1 };
  const { cells, predSize, trueSize } = contingency(predicted, truth);
  // every face of cell (p, t) has precision n_pt / |p| and recall n_pt / |t|
  let precision = 0;
  let recall = 0;
  for (const c of cells) {
    precision += (c.n * c.n) / predSize.get(c.p)!;
    recall += (c.n * c.n) / trueSize.get(c.t)!;
  }
  precision /= n;
  recall /= n;
  return { precision, recall, f: fScore(precision, recall) };
}

/** Predicted labels for metrics from groups of face indices: every face outside a group gets an id of its own. */
export function labelsFromGroups(n: number, groups: readonly (readonly number[])[]): Int32Array {
  const labels = new Int32Array(n).fill(-1);
  groups.forEach((g, i) => {
    for (const f of g) labels[f] = i;
  });
  let next = groups.length;
  for (let i = 0; i < n; i++) if (labels[i] < 0) labels[i] = next++;
  return labels;
}
