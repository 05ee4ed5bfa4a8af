/**
 * Multi-object tracking scores by the MOT conventions (CLEAR MOT, Bernardin & Stiefelhagen 2008; IDF1, Ristani et
 * al. 2016) of a tracker's per-frame boxes against ground truth: a hypothesis matches a ground-truth object in a
 * frame when their IoU is at least `iou`; matches carry over from the previous frame while still valid, the rest are
 * assigned by the Hungarian algorithm. ID switches: a ground-truth object matched to a different track than at its
 * last match. IDF1: the share of detections with the right identity under the best one-to-one mapping of
 * ground-truth ids to track ids over the whole clip.
 */
import { munkres } from 'munkres';
import type { Box } from '../detect/types.js';
import { iou } from '../track/box.js';

export interface TrackedFrame {
  readonly objects: readonly { readonly id: number; readonly box: Box }[];
}

export interface TrackingScores {
  readonly frames: number;
  readonly groundTruth: number;
  readonly hypotheses: number;
  readonly matches: number;
  readonly misses: number;
  readonly falsePositives: number;
  readonly idSwitches: number;
  /** 1 − (misses + false positives + ID switches) / ground truth. */
  readonly mota: number;
  readonly idf1: number;
  readonly idPrecision: number;
  readonly idRecall: number;
  /** Distinct track ids reported. */
  readonly tracks: number;
}

function assign(gt: TrackedFrame['objects'], hyp: TrackedFrame['objects'], thr: number, keep: Map<number, number>) {
  const pairs = new Map<number, number>();
  const usedH = new Set<number>();
  // CLEAR MOT: a previous correspondence stays while its IoU holds
  gt.forEach((g, i) => {
    const h = keep.get(g.id);
    const j = hyp.findIndex((x) => x.id === h);
    if (j >= 0 && !usedH.has(j) && iou(g.box, hyp[j].box) >= thr) {
      pairs.set(i, j);
      usedH.add(j);
    }
  });
  const gi = gt.map((_, i) => i).filter((i) => !pairs.has(i));
  const hj = hyp.map((_, j) => j).filter((j) => !usedH.has(j));
  if (gi.length && hj.length)
    for (const [a, b] of munkres(gi.map((i) => hj.map((j) => 1 - iou(gt[i].box, hyp[j].box)))))
      if (iou(gt[gi[a]].box, hyp[hj[b]].box) >= thr) pairs.set(gi[a], hj[b]);
  return pairs;
}

export function scoreTracking(
  truth: readonly TrackedFrame[],
  tracked: readonly TrackedFrame[],
  iouThreshold = 0.3,
): TrackingScores {
  let gtCount = 0;
  let hypCount = 0;
  let matches = 0;
  let idSwitches = 0;
  const last = new Map<number, number>();
  const co = new Map<string, number>(); // "gt:hyp" → frames both present and overlapping
  const gtIds = new Set<number>();
  const hypIds = new Set<number>();
  for (let n = 0; n < truth.length; n++) {
    const gt = truth[n].objects;
    const hyp = tracked[n]?.objects ?? [];
    gtCount += gt.length;
    hypCount += hyp.length;
    for (const g of gt) gtIds.add(g.id);
    for (const h of hyp) hypIds.add(h.id);
    for (const g of gt)
      for (const h of hyp)
        if (iou(g.box, h.box) >= iouThreshold) co.set(`${g.id}:${h.id}`, (co.get(`${g.id}:${h.id}`) ?? 0) + 1);
    const pairs = assign(gt, hyp, iouThreshold, last);
    for (const [i, j] of pairs) {
      matches++;
      const prev = last.get(gt[i].id);
      if (prev !== undefined && prev !== hyp[j].id) idSwitches++;
      last.set(gt[i].id, hyp[j].id);
    }
  }
  const g = [...gtIds];
  const h = [...hypIds];
  let idtp = 0;
  if (g.length && h.length)
    for (const [a, b] of munkres(g.map((gi) => h.map((hj) => -(co.get(`${gi}:${hj}`) ?? 0)))))
      idtp += co.get(`${g[a]}:${h[b]}`) ?? 0;
  const misses = gtCount - matches;
  const falsePositives = hypCount - matches;
  return {
    frames: truth.length,
    groundTruth: gtCount,
    hypotheses: hypCount,
    matches,
    misses,
    falsePositives,
    idSwitches,
    mota: gtCount ? 1 - (misses + falsePositives + idSwitches) / gtCount : 1,
    idf1: gtCount + hypCount ? (2 * idtp) / (gtCount + hypCount) : 1,
    idPrecision: hypCount ? idtp / hypCount : 1,
    idRecall: gtCount ? idtp / gtCount : 1,
    tracks: h.length,
  };
}
