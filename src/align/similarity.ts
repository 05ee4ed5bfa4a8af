/**
 * Least-squares 2-D similarity transform (rotation + uniform scale + translation, no reflection) between
 * point sets: Umeyama (1991), which is what dlib's find_similarity_transform computes. In 2-D it has a closed
 * form: with centred points x_i, y_i, a = Σ x_i·y_i and b = Σ x_i×y_i, the optimum is
 * s·cos θ = a / Σ|x_i|², s·sin θ = b / Σ|x_i|².
 */
import { FaceError } from '../errors.js';
import type { Point } from './types.js';
import type { Affine } from './resample.js';

/** x' = a·x − b·y + tx, y' = b·x + a·y + ty (a = s·cos θ, b = s·sin θ). */
export interface Similarity {
  readonly a: number;
  readonly b: number;
  readonly tx: number;
  readonly ty: number;
}

function degenerate(message: string, details: Record<string, unknown>): FaceError {
  return new FaceError('INVALID_INPUT', `similarity transform: ${message}`, {
    reason: 'degenerate-points',
    ...details,
  });
}

/**
 * The similarity T minimising Σ w_i |T(src_i) − dst_i|². Throws FaceError INVALID_INPUT (details.reason
 * 'degenerate-points') for mismatched or too few points, non-finite coordinates, or point sets without spread.
 */
export function estimateSimilarity(
  src: readonly Point[],
  dst: readonly Point[],
  weights?: readonly number[],
): Similarity {
  const n = src.length;
  if (n !== dst.length)
    throw degenerate(`${n} source points but ${dst.length} destination points`, { src: n, dst: dst.length });
  if (weights && weights.length !== n)
    throw degenerate(`${weights.length} weights for ${n} points`, { weights: weights.length, points: n });
  if (n < 2) throw degenerate(`needs at least 2 point pairs, got ${n}`, { points: n });
  let wsum = 0;
  let sx = 0,
    sy = 0,
    dx = 0,
    dy = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    const p = src[i],
      q = dst[i];
    if (
      !Number.isFinite(p?.x) ||
      !Number.isFinite(p?.y) ||
      !Number.isFinite(q?.x) ||
      !Number.isFinite(q?.y) ||
      !(w >= 0) ||
      !Number.isFinite(w)
    )
      throw degenerate(`point pair ${i} is not finite`, { index: i });
    wsum += w;
    sx += w * p.x;
    sy += w * p.y;
    dx += w * q.x;
    dy += w * q.y;
  }
  if (!(wsum > 0)) throw degenerate('weights sum to zero', {});
  sx /= wsum;
  sy /= wsum;
  dx /= wsum;
  dy /= wsum;
  let varS = 0,
    varD = 0,
    a = 0,
    b = 0;
  let magS = 0,
    magD = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    const px = src[i].x - sx,
      py = src[i].y - sy;
    const qx = dst[i].x - dx,
      qy = dst[i].y - dy;
    varS += w * (px * px + py * py);
    varD += w * (qx * qx + qy * qy);
    a += w * (px * qx + py * qy);
    b += w * (px * qy - py * qx);
    magS = Math.max(magS, Math.abs(src[i].x), Math.abs(src[i].y));
    magD = Math.max(magD, Math.abs(dst[i].x), Math.abs(dst[i].y));
  }
  // Spread must be clearly above float round-off relative to the coordinates' magnitude.
  const tiny = (m: number) => wsum * Math.max(1e-20, (m * 1e-9) ** 2);
  if (!(varS > tiny(magS))) throw degenerate('source points have no spread (all coincide)', { variance: varS / wsum });
  if (!(varD > tiny(magD)))
    throw degenerate('destination points have no spread (all coincide)', { variance: varD / wsum });
  const ca = a / varS;
  const cb = b / varS;
  if (!(Math.hypot(ca, cb) > 0)) throw degenerate('no rotation/scale fits (points are orthogonal in aggregate)', {});
  return { a: ca, b: cb, tx: dx - (ca * sx - cb * sy), ty: dy - (cb * sx + ca * sy) };
}

export function applySimilarity(t: Similarity, p: Point): Point {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty };
}

export function invertSimilarity(t: Similarity): Similarity {
  const d = t.a * t.a + t.b * t.b;
  if (!(d > 0)) throw degenerate('cannot invert a zero-scale transform', {});
  const a = t.a / d;
  const b = -t.b / d;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

export function similarityScale(t: Similarity): number {
  return Math.hypot(t.a, t.b);
}

/** Rotation angle in radians (counter-clockwise in x-right/y-down image axes means clockwise on screen). */
export function similarityAngle(t: Similarity): number {
  return Math.atan2(t.b, t.a);
}

export function similarityToAffine(t: Similarity): Affine {
  return { m00: t.a, m01: -t.b, m02: t.tx, m10: t.b, m11: t.a, m12: t.ty };
}

/** Root-mean-square residual |T(src_i) − dst_i|. */
export function similarityRms(t: Similarity, src: readonly Point[], dst: readonly Point[]): number {
  let s = 0;
  for (let i = 0; i < src.length; i++) {
    const p = applySimilarity(t, src[i]);
    s += (p.x - dst[i].x) ** 2 + (p.y - dst[i].y) ** 2;
  }
  return Math.sqrt(s / src.length);
}
