/** Axis-aligned box in source-image pixels. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Detection {
  readonly box: Box;
  /** Detector confidence in [0, 1]. */
  readonly score: number;
}

export interface DetectOptions {
  /** Minimum detector score (default 0.5). */
  minScore?: number;
  /** Ignore faces whose box is smaller than this many pixels on its shorter side (default 20). */
  minFaceSize?: number;
  /** IoU above which overlapping boxes are merged by NMS (default 0.5). */
  iouThreshold?: number;
  /** Keep at most this many faces, best first (default 100). */
  maxFaces?: number;
}
