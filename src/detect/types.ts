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
  /** True when the face was found only on the padded canvas of the fallback pass (tight face crops). */
  readonly padded?: boolean;
}

export interface DetectOptions {
  /** Minimum detector score (default 0.8, see DEFAULT_MIN_SCORE in detector.ts). */
  minScore?: number;
  /** Ignore faces whose box is smaller than this many pixels on its shorter side (default 20). */
  minFaceSize?: number;
  /** IoU above which overlapping boxes are merged by NMS (default 0.5). */
  iouThreshold?: number;
  /** Keep at most this many faces, best first (default 100). */
  maxFaces?: number;
  /**
   * When a first pass finds no face, retry once on a canvas padded by 75 % of the image on each side
   * (mid-grey), so tight face crops are found too (default true).
   */
  padFallback?: boolean;
  /**
   * How the image is shrunk to the network's 512×512 input: 'bilinear' reproduces face-api on tfjs exactly
   * (point sampling, aliases on large photos); 'area' (default) averages the pixels under each output
   * pixel. Images no larger than 512 px are enlarged, where both use face-api's bilinear sampling.
   */
  resample?: 'bilinear' | 'area';
  /**
   * Enlarge photos smaller than 512 px to the network's 512×512 input, as face-api does (default true). Off, a
   * photo whose longer side is m ≤ 512 runs at its own resolution on the smallest input of 128…512 (steps of
   * 64) that holds it: up to 16× less detector work (4× for a 250×250 LFW photo); faces smaller than ≈ 40 px
   * then lose the enlargement that helps the network find them.
   */
  enlarge?: boolean;
}
