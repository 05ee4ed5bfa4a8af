/** Box maths in pixel coordinates: the one home for areas and overlaps. */
import type { Box } from './types.js';

export function boxArea(b: Box): number {
  return b.width * b.height;
}

/** Intersection over union of two pixel boxes. */
export function iou(a: Box, b: Box): number {
  const iw = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const ih = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = iw * ih;
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** The face whose box centre is nearest the image centre (LFW's labelled face). */
export function centralFace<F extends { readonly box: Box }>(
  faces: readonly F[],
  width: number,
  height: number,
): F | undefined {
  let best: F | undefined;
  let bestD = Infinity;
  for (const f of faces) {
    const d = Math.hypot(f.box.x + f.box.width / 2 - width / 2, f.box.y + f.box.height / 2 - height / 2);
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  return best;
}
