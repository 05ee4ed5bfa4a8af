/**
 * ROC analysis on labelled distance pairs (smaller distance = more similar).
 * Shared by the LFW evaluation, calibration (FAR → τ tables) and training validation.
 */
export interface ScoredPair {
  readonly distance: number;
  readonly same: boolean;
}

export interface RocPoint {
  /** Accept when distance < threshold. */
  readonly threshold: number;
  readonly far: number;
  readonly tar: number;
}

/** Full ROC: one point per distinct threshold, FAR ascending, starting at (0, 0). */
export function rocCurve(pairs: readonly ScoredPair[]): RocPoint[] {
  const sorted = [...pairs].sort((a, b) => a.distance - b.distance);
  const nSame = sorted.filter((p) => p.same).length;
  const nDiff = sorted.length - nSame;
  const points: RocPoint[] = [{ threshold: sorted.length ? sorted[0].distance : 0, far: 0, tar: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].same) tp++;
    else fp++;
    // ties are accepted together
    if (i + 1 < sorted.length && sorted[i + 1].distance === sorted[i].distance) continue;
    const next = i + 1 < sorted.length ? sorted[i + 1].distance : sorted[i].distance + 1e-6;
    points.push({
      threshold: (sorted[i].distance + next) / 2,
      far: nDiff ? fp / nDiff : 0,
      tar: nSame ? tp / nSame : 0,
    });
  }
  return points;
}

/** Area under the ROC (trapezoids). */
export function rocAuc(points: readonly RocPoint[]): number {
  let auc = 0;
  for (let i = 1; i < points.length; i++)
    auc += ((points[i].far - points[i - 1].far) * (points[i].tar + points[i - 1].tar)) / 2;
  return auc;
}

/**
 * TAR at a target FAR, linearly interpolated between the two ROC points around it
 * (the usual convention; with n impostor pairs FAR below 1/n is not measurable and is reported as such).
 */
export function tarAtFar(points: readonly RocPoint[], far: number): number {
  // a: the last point at or below the target (highest TAR there), b: the first point above it
  for (let i = 1; i < points.length; i++) {
    if (points[i].far > far) {
      const a = points[i - 1];
      const b = points[i];
      return a.tar + ((far - a.far) / (b.far - a.far)) * (b.tar - a.tar);
    }
  }
  return points.length ? points[points.length - 1].tar : 0;
}

/** Equal error rate: where FAR = 1 − TAR, linearly interpolated between ROC points. */
export function equalErrorRate(points: readonly RocPoint[]): number {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    const da = a.far - (1 - a.tar);
    const db = b.far - (1 - b.tar);
    if (db >= 0) {
      const t = da === db ? 0 : -da / (db - da);
      return a.far + t * (b.far - a.far);
    }
  }
  return 1;
}

/** Largest threshold whose FAR does not exceed `far` (strict: never interpolates upwards). */
export function thresholdAtFar(points: readonly RocPoint[], far: number): RocPoint {
  let best = points[0];
  for (const p of points) if (p.far <= far) best = p;
  return best;
}

export function accuracyAt(pairs: readonly ScoredPair[], threshold: number): number {
  let ok = 0;
  for (const p of pairs) if (p.distance < threshold === p.same) ok++;
  return pairs.length ? ok / pairs.length : 0;
}

/** The threshold maximising accuracy (midpoint between neighbouring distances). */
export function bestThreshold(pairs: readonly ScoredPair[]): { threshold: number; accuracy: number } {
  const sorted = [...pairs].sort((a, b) => a.distance - b.distance);
  const nDiff = sorted.filter((p) => !p.same).length;
  // threshold below everything: all rejected, correct = nDiff
  let correct = nDiff;
  let best = { threshold: sorted.length ? sorted[0].distance - 1e-6 : 0, correct };
  for (let i = 0; i < sorted.length; i++) {
    correct += sorted[i].same ? 1 : -1;
    if (i + 1 < sorted.length && sorted[i + 1].distance === sorted[i].distance) continue;
    const next = i + 1 < sorted.length ? sorted[i + 1].distance : sorted[i].distance + 1e-6;
    if (correct > best.correct) best = { threshold: (sorted[i].distance + next) / 2, correct };
  }
  return { threshold: best.threshold, accuracy: sorted.length ? best.correct / sorted.length : 0 };
}
