/** Vector maths on embeddings: the one home for dot products, distances and normalised means. */
import { FaceError } from '../errors.js';

/** Dot product of two vectors of the same length. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Euclidean (L2) distance. On L2-normalised embeddings it lies in [0, 2]. */
export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new FaceError('INVALID_INPUT', `embedding lengths differ: ${a.length} vs ${b.length}`, {
      lengths: [a.length, b.length],
    });
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Distance between unit vectors from their dot product, clamped against rounding. */
export function distanceFromDot(dotProduct: number): number {
  return Math.sqrt(Math.max(0, 2 - 2 * dotProduct));
}

/** The vector scaled to unit length (a zero vector stays zero). */
export function l2Normalize(v: Float32Array): Float32Array {
  const n = Math.sqrt(dot(v, v)) || 1;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
}

/** Mean of vectors, renormalised to unit length. */
export function normalisedMean(vectors: readonly Float32Array[]): Float32Array {
  if (!vectors.length) throw new FaceError('INVALID_INPUT', 'mean of no vectors');
  const sum = new Float32Array(vectors[0].length);
  for (const v of vectors) for (let i = 0; i < v.length; i++) sum[i] += v[i];
  return l2Normalize(sum);
}
