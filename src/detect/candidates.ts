/**
 * What the 5-point detectors' decoders produce (face candidates on the network's canvas, over the score threshold)
 * and the shared last step: NMS, mapping back to source pixels, clipping and the size and count filters.
 */
import type { Detection, Point } from './types.js';
import { nonMaxSuppression } from './nms.js';

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
    return { count: this.scores.length, boxes: Float32Array.from(this.boxes), scores: Float32Array.from(this.scores), points: Float32Array.from(this.points) };
  }
}

export interface FinishOptions {
  minScore: number;
  iouThreshold: number;
  minFaceSize: number;
  maxFaces: number;
}

/** The source photo and how it was scaled onto the canvas (canvas px per source px). */
export interface SourceFrame {
  readonly width: number;
  readonly height: number;
  readonly scaleX: number;
  readonly scaleY: number;
}

/**
 * Candidates → detections in source pixels, best first: NMS over candidates scoring above minScore, boxes clipped to
 * the photo, boxes smaller than minFaceSize (shorter side) dropped, at most maxFaces. Points are not clipped: an eye
 * just outside the photo is still where the face is.
 */
export function finishDetections(c: Candidates, frame: SourceFrame, opts: FinishOptions): Detection[] {
  if (opts.maxFaces === 0 || c.count === 0) return [];
  const kept = nonMaxSuppression(c.boxes, c.scores, Number.MAX_SAFE_INTEGER, opts.iouThreshold, opts.minScore);
  const out: Detection[] = [];
  for (const i of kept) {
    if (out.length >= opts.maxFaces) break;
    const o = i * 4;
    const x0 = Math.min(Math.max(c.boxes[o] / frame.scaleX, 0), frame.width);
    const y0 = Math.min(Math.max(c.boxes[o + 1] / frame.scaleY, 0), frame.height);
    const x1 = Math.min(Math.max(c.boxes[o + 2] / frame.scaleX, x0), frame.width);
    const y1 = Math.min(Math.max(c.boxes[o + 3] / frame.scaleY, y0), frame.height);
    const box = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
    if (box.width <= 0 || box.height <= 0 || Math.min(box.width, box.height) < opts.minFaceSize) continue;
    const points: Point[] = [];
    for (let k = 0; k < 5; k++) points.push({ x: c.points[i * 10 + 2 * k] / frame.scaleX, y: c.points[i * 10 + 2 * k + 1] / frame.scaleY });
    out.push({ box, score: Math.min(1, Math.max(0, c.scores[i])), points });
  }
  return out;
}
