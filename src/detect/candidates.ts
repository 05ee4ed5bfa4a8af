/**
 * What the 5-point detectors' decoders produce (face candidates on the network's canvas, over the score threshold)
 * and the shared last steps: mapping back to source pixels, merging passes, NMS, clipping, the size and count filters.
 */
import type { Detection, Point } from './types.js';
import { nonMaxSuppression } from './nms.js';
import { yawFromFivePoints } from '../align/pose.js';

export interface Candidates {
  readonly count: number;
  /** [count, 4] corners (x0, y0, x1, y1) in canvas pixels. */
  readonly boxes: Float32Array;
  readonly scores: Float32Array;
  /** [count, 10] five (x, y) points in canvas pixels, in the network's order. */
  readonly points: Float32Array;
}

/** Collects candidates as a decoder finds them. */
export class CandidateBuilder {
  private readonly boxes: number[] = [];
  private readonly scores: number[] = [];
  private readonly points: number[] = [];

  add(score: number, x0: number, y0: number, x1: number, y1: number, points: ArrayLike<number>): void {
    this.scores.push(score);
    this.boxes.push(x0, y0, x1, y1);
    for (let i = 0; i < 10; i++) this.points.push(points[i]);
  }

  build(): Candidates {
    return {
      count: this.scores.length,
      boxes: Float32Array.from(this.boxes),
      scores: Float32Array.from(this.scores),
      points: Float32Array.from(this.points),
    };
  }
}

export interface FinishOptions {
  minScore: number;
  iouThreshold: number;
  minFaceSize: number;
  maxFaces: number;
}

/** Candidates found on a canvas that holds the photo scaled by (scaleX, scaleY) → the same in source pixels. */
export function toSourcePixels(c: Candidates, scaleX: number, scaleY: number): Candidates {
  const boxes = new Float32Array(c.boxes.length);
  const points = new Float32Array(c.points.length);
  for (let i = 0; i < boxes.length; i += 2) {
    boxes[i] = c.boxes[i] / scaleX;
    boxes[i + 1] = c.boxes[i + 1] / scaleY;
  }
  for (let i = 0; i < points.length; i += 2) {
    points[i] = c.points[i] / scaleX;
    points[i + 1] = c.points[i + 1] / scaleY;
  }
  return { count: c.count, boxes, scores: c.scores, points };
}

/** The candidates whose box's shorter side is at least `minSide`. */
export function keepLarge(c: Candidates, minSide: number): Candidates {
  return keepWhere(
    c,
    (i) => Math.min(c.boxes[4 * i + 2] - c.boxes[4 * i], c.boxes[4 * i + 3] - c.boxes[4 * i + 1]) >= minSide,
  );
}

/** The candidate's five points. */
export function candidatePoints(c: Candidates, i: number): Point[] {
  const points: Point[] = [];
  for (let k = 0; k < 5; k++) points.push({ x: c.points[i * 10 + 2 * k], y: c.points[i * 10 + 2 * k + 1] });
  return points;
}

/**
 * The candidates scoring above `minScore`, and those turned by at least `yawAbove` degrees (their five points, see
 * src/align/pose.ts) scoring above `turnedMinScore`: detectors score faces in profile lower than frontal ones.
 */
export function keepConfident(c: Candidates, minScore: number, turnedMinScore: number, yawAbove: number): Candidates {
  if (turnedMinScore >= minScore) return keepWhere(c, (i) => c.scores[i] > minScore);
  return keepWhere(
    c,
    (i) =>
      c.scores[i] > minScore ||
      (c.scores[i] > turnedMinScore && Math.abs(yawFromFivePoints(candidatePoints(c, i))) >= yawAbove),
  );
}

function keepWhere(c: Candidates, keepIt: (i: number) => boolean): Candidates {
  const keep: number[] = [];
  for (let i = 0; i < c.count; i++) if (keepIt(i)) keep.push(i);
  if (keep.length === c.count) return c;
  const out = {
    count: keep.length,
    boxes: new Float32Array(4 * keep.length),
    scores: new Float32Array(keep.length),
    points: new Float32Array(10 * keep.length),
  };
  keep.forEach((i, n) => {
    out.boxes.set(c.boxes.subarray(4 * i, 4 * i + 4), 4 * n);
    out.scores[n] = c.scores[i];
    out.points.set(c.points.subarray(10 * i, 10 * i + 10), 10 * n);
  });
  return out;
}

/** The candidates of several passes as one list. */
export function concatCandidates(list: readonly Candidates[]): Candidates {
  if (list.length === 1) return list[0];
  const count = list.reduce((n, c) => n + c.count, 0);
  const out = {
    count,
    boxes: new Float32Array(4 * count),
    scores: new Float32Array(count),
    points: new Float32Array(10 * count),
  };
  let n = 0;
  for (const c of list) {
    out.boxes.set(c.boxes, 4 * n);
    out.scores.set(c.scores, n);
    out.points.set(c.points, 10 * n);
    n += c.count;
  }
  return out;
}

/**
 * Candidates in source pixels → detections, best first: NMS over candidates scoring above minScore, boxes clipped to
 * the `width`×`height` photo, boxes smaller than minFaceSize (shorter side) dropped, at most maxFaces. Points are not
 * clipped: an eye just outside the photo is still where the face is.
 */
export function finishDetections(c: Candidates, width: number, height: number, opts: FinishOptions): Detection[] {
  if (opts.maxFaces === 0 || c.count === 0) return [];
  const kept = nonMaxSuppression(c.boxes, c.scores, Number.MAX_SAFE_INTEGER, opts.iouThreshold, opts.minScore);
  const out: Detection[] = [];
  for (const i of kept) {
    if (out.length >= opts.maxFaces) break;
    const o = i * 4;
    const x0 = Math.min(Math.max(c.boxes[o], 0), width);
    const y0 = Math.min(Math.max(c.boxes[o + 1], 0), height);
    const x1 = Math.min(Math.max(c.boxes[o + 2], x0), width);
    const y1 = Math.min(Math.max(c.boxes[o + 3], y0), height);
    const box = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
    if (box.width <= 0 || box.height <= 0 || Math.min(box.width, box.height) < opts.minFaceSize) continue;
    out.push({ box, score: Math.min(1, Math.max(0, c.scores[i])), points: candidatePoints(c, i) });
  }
  return out;
}
