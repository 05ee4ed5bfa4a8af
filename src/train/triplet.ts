/**
 * Triplet selection (online mining) and triplet loss over a batch's distance matrix.
 *
 * Everything works on the N×N matrix D of squared L2 distances between the batch's L2-normalised embeddings
 * and on the batch labels. A sample is an anchor when the batch holds another sample of its identity
 * (identities with a single image are negatives only). Selection is not differentiated; the loss is then
 *
 *     L = Σ_t w_t · max(D[a_t,p_t] − D[a_t,n_t] + α, 0)
 *
 * which `tripletMasks` writes as Σ D ⊙ (W⁺ − W⁻) + α·Σ_active w_t: a masked sum over the distance matrix whose
 * value and gradient are exactly those of the selected triplets.
 */
import type { Rng } from './rng.js';
import { invariant } from '../errors.js';

export const MINING_METHODS = ['semi-hard', 'batch-hard', 'batch-all', 'random'] as const;
export type Mining = (typeof MINING_METHODS)[number];

export interface Triplet {
  readonly a: number;
  readonly p: number;
  readonly n: number;
}

/** How the selected triplets' losses are averaged. */
export type Reduction = 'mean' | 'mean-active';

export interface Selection {
  readonly triplets: Triplet[];
  /** batch-all averages over active (non-zero) triplets, as in Hermans et al.; the others over all selected. */
  readonly reduction: Reduction;
}

type Matrix = ArrayLike<number>;

/**
 * Select triplets from distances D (row-major N×N) and labels.
 * - `batch-all`: every valid (a, p, n).
 * - `batch-hard`: per anchor, its farthest positive and its nearest negative.
 * - `semi-hard` (FaceNet): per positive pair (a, p), the nearest negative still farther than p
 *   (D[a,n] > D[a,p]); when none is, the farthest negative (TF-Addons' convention).
 * - `random`: per positive pair, a uniformly random negative (needs `rng`).
 * Ties go to the lowest index.
 */
export function selectTriplets(D: Matrix, labels: ArrayLike<number>, mining: Mining, rng?: Rng): Selection {
  const n = labels.length;
  invariant(D.length === n * n, `distance matrix has ${D.length} entries, expected ${n}×${n}`);
  const triplets: Triplet[] = [];
  const pos: number[][] = [];
  const neg: number[][] = [];
  for (let a = 0; a < n; a++) {
    const ps: number[] = [];
    const ns: number[] = [];
    for (let j = 0; j < n; j++) {
      if (j === a) continue;
      if (labels[j] === labels[a]) ps.push(j);
      else ns.push(j);
    }
    pos.push(ps);
    neg.push(ns);
  }
  for (let a = 0; a < n; a++) {
    const ps = pos[a];
    const ns = neg[a];
    if (ps.length === 0 || ns.length === 0) continue;
    const row = a * n;
    switch (mining) {
      case 'batch-all':
        for (const p of ps) for (const q of ns) triplets.push({ a, p, n: q });
        break;
      case 'batch-hard': {
        let p = ps[0];
        for (const j of ps) if (D[row + j] > D[row + p]) p = j;
        let q = ns[0];
        for (const j of ns) if (D[row + j] < D[row + q]) q = j;
        triplets.push({ a, p, n: q });
        break;
      }
      case 'semi-hard':
        for (const p of ps) {
          const dap = D[row + p];
          let best = -1;
          let far = ns[0];
          for (const j of ns) {
            const d = D[row + j];
            if (d > dap && (best < 0 || d < D[row + best])) best = j;
            if (d > D[row + far]) far = j;
          }
          triplets.push({ a, p, n: best >= 0 ? best : far });
        }
        break;
      case 'random':
        invariant(rng, 'random mining needs an rng');
        for (const p of ps) triplets.push({ a, p, n: ns[rng.int(ns.length)] });
        break;
      default:
        invariant(false, `unknown mining method ${String(mining)}`);
    }
  }
  return { triplets, reduction: mining === 'batch-all' ? 'mean-active' : 'mean' };
}

export interface TripletStats {
  readonly loss: number;
  /** Selected triplets. */
  readonly count: number;
  /** Selected triplets with a non-zero loss. */
  readonly active: number;
  readonly activeFraction: number;
  /** Mean D[a,p] and D[a,n] over the selected triplets. */
  readonly meanPos: number;
  readonly meanNeg: number;
}

/** Loss of a selection, computed directly (float64) from D. */
export function tripletLoss(D: Matrix, n: number, sel: Selection, margin: number): TripletStats {
  let sum = 0;
  let active = 0;
  let sp = 0;
  let sn = 0;
  for (const t of sel.triplets) {
    const dap = D[t.a * n + t.p];
    const dan = D[t.a * n + t.n];
    sp += dap;
    sn += dan;
    const l = dap - dan + margin;
    if (l > 0) {
      sum += l;
      active++;
    }
  }
  const count = sel.triplets.length;
  const denom = sel.reduction === 'mean-active' ? active : count;
  return {
    loss: denom ? sum / denom : 0,
    count,
    active,
    activeFraction: count ? active / count : 0,
    meanPos: count ? sp / count : 0,
    meanNeg: count ? sn / count : 0,
  };
}

export interface TripletMasks {
  /** N×N weights: the loss is Σ D ⊙ weights + constant. */
  readonly weights: Float32Array;
  readonly constant: number;
  readonly stats: TripletStats;
}

/** The selection as a masked sum over the distance matrix (exact value and gradient). */
export function tripletMasks(D: Matrix, n: number, sel: Selection, margin: number): TripletMasks {
  const stats = tripletLoss(D, n, sel, margin);
  const denom = sel.reduction === 'mean-active' ? stats.active : stats.count;
  const weights = new Float32Array(n * n);
  let constant = 0;
  if (denom > 0) {
    const w = 1 / denom;
    for (const t of sel.triplets) {
      if (D[t.a * n + t.p] - D[t.a * n + t.n] + margin > 0) {
        weights[t.a * n + t.p] += w;
        weights[t.a * n + t.n] -= w;
        constant += w * margin;
      }
    }
  }
  return { weights, constant, stats };
}

/** Mean distance over all positive and all negative pairs of a batch (i < j). */
export function pairDistanceMeans(D: Matrix, labels: ArrayLike<number>): { pos: number; neg: number } {
  const n = labels.length;
  let sp = 0;
  let np = 0;
  let sn = 0;
  let nn = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      if (labels[i] === labels[j]) {
        sp += D[i * n + j];
        np++;
      } else {
        sn += D[i * n + j];
        nn++;
      }
    }
  return { pos: np ? sp / np : 0, neg: nn ? sn / nn : 0 };
}
