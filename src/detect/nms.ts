/**
 * Greedy non-maximum suppression shared by every detector (SSD, YuNet, SCRFD). Boxes are an [n, 4] array in
 * corner form; the IoU is the same whichever axis comes first, so the SSD passes (ymin, xmin, ymax, xmax) and
 * the 5-point detectors (x0, y0, x1, y1).
 */

/** IoU of boxes i and j of an [n, 4] corner-form array (either axis first); as face-api computes it. */
export function boxIou(boxes: Float32Array, i: number, j: number): number {
  const a = i * 4;
  const b = j * 4;
  const yminI = Math.min(boxes[a], boxes[a + 2]);
  const xminI = Math.min(boxes[a + 1], boxes[a + 3]);
  const ymaxI = Math.max(boxes[a], boxes[a + 2]);
  const xmaxI = Math.max(boxes[a + 1], boxes[a + 3]);
  const yminJ = Math.min(boxes[b], boxes[b + 2]);
  const xminJ = Math.min(boxes[b + 1], boxes[b + 3]);
  const ymaxJ = Math.max(boxes[b], boxes[b + 2]);
  const xmaxJ = Math.max(boxes[b + 1], boxes[b + 3]);
  const areaI = (ymaxI - yminI) * (xmaxI - xminI);
  const areaJ = (ymaxJ - yminJ) * (xmaxJ - xminJ);
  if (areaI <= 0 || areaJ <= 0) return 0;
  const ih = Math.max(Math.min(ymaxI, ymaxJ) - Math.max(yminI, yminJ), 0);
  const iw = Math.max(Math.min(xmaxI, xmaxJ) - Math.max(xminI, xminJ), 0);
  const inter = ih * iw;
  return inter / (areaI + areaJ - inter);
}

/**
 * face-api's nonMaxSuppression: candidates with score > scoreThreshold, best first; a candidate is kept
 * unless it overlaps an already kept box with IoU > iouThreshold. Returns kept indices, best first.
 */
export function nonMaxSuppression(
  boxes: Float32Array,
  scores: ArrayLike<number>,
  maxOutputSize: number,
  iouThreshold: number,
  scoreThreshold: number,
): number[] {
  const n = scores.length;
  const outputSize = Math.min(maxOutputSize, n);
  const candidates: number[] = [];
  for (let i = 0; i < n; i++) if (scores[i] > scoreThreshold) candidates.push(i);
  // Array.prototype.sort is stable, like face-api's sort over the same index order.
  candidates.sort((a, b) => scores[b] - scores[a]);
  const selected: number[] = [];
  for (const c of candidates) {
    if (selected.length >= outputSize) break;
    let suppressed = false;
    for (let j = selected.length - 1; j >= 0; --j) {
      const iou = boxIou(boxes, c, selected[j]);
      if (iou === 0) continue;
      if (iou > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) selected.push(c);
  }
  return selected;
}
