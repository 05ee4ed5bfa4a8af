import type { Point, RgbImage } from '../image/types.js';

export type { Point };

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
  /**
   * The five landmarks of a 5-point detector (YuNet, SCRFD), in source-image pixels, in image left-to-right order:
   * left eye centre, right eye centre, nose tip, left mouth corner, right mouth corner. Absent for the SSD.
   */
  readonly points?: readonly Point[];
}

/** What the pipeline needs of any face detector (SsdDetector, YuNetDetector, ScrfdDetector). */
export interface FaceDetector {
  /** Network name and a short digest of its weights, e.g. `yunet@ebafce4e3c11`. */
  readonly modelId: string;
  /** All faces in `img`, best score first, boxes (and points) in `img` pixels. */
  detect(img: RgbImage, opts?: DetectOptions): Promise<Detection[]>;
  close(): Promise<void>;
}

export interface DetectOptions {
  /**
   * Minimum detector score. Each detector has its own scale and default, chosen by measurement: the SSD 0.8
   * (DEFAULT_MIN_SCORE in detector.ts), YuNet YUNET_DEFAULT_MIN_SCORE, SCRFD SCRFD_DEFAULT_MIN_SCORE.
   */
  minScore?: number;
  /** Ignore faces whose box is smaller than this many pixels on its shorter side (default 20). */
  minFaceSize?: number;
  /** IoU above which overlapping boxes are merged by NMS (default 0.5). */
  iouThreshold?: number;
  /** Keep at most this many faces, best first (default 100). */
  maxFaces?: number;
  /**
   * SSD only: when a first pass finds no face, retry once on a canvas padded by 75 % of the image on each side
   * (mid-grey), so tight face crops are found too (default true).
   */
  padFallback?: boolean;
  /**
   * SSD only: how the image is shrunk to the network's 512×512 input: 'bilinear' reproduces face-api on tfjs exactly
   * (point sampling, aliases on large photos); 'area' (default) averages the pixels under each output
   * pixel. Images no larger than 512 px are enlarged, where both use face-api's bilinear sampling.
   */
  resample?: 'bilinear' | 'area';
  /**
   * SSD only: enlarge photos smaller than 512 px to the network's 512×512 input, as face-api does (default true). Off,
   * a photo whose longer side is m ≤ 512 runs at its own resolution on the smallest input of 128…512 (steps of 64) that
   * holds it: up to 16× less detector work (4× for a 250×250 LFW photo); faces smaller than ≈ 40 px then lose the
   * enlargement that helps the network find them.
   */
  enlarge?: boolean;
  /**
   * SSD only: for a photo whose longer side is over 1024 px, also run its 2 × 2 overlapping tiles (each at the
   * network's 512 px input, so faces are seen at about twice the resolution) and merge them with the whole-photo
   * pass (default true). The SSD scores some faces poorly at the scale the whole photo gives them
   * (docs/detectors.md, bald_guys.jpg).
   */
  tile?: boolean;
  /**
   * 5-point detectors (YuNet, SCRFD) only: a photo whose longer side is under this many pixels is enlarged to it
   * (bilinear) before detection (default 0: photos keep their size).
   */
  minSide?: number;
  /**
   * 5-point detectors only: faces turned by 45° or more (from their five points) are kept from this score, when it is
   * below minScore: detectors score profiles lower than frontal faces (YuNet 0.6, SCRFD 0.5 by default: docs/cfp.md).
   */
  turnedMinScore?: number;
}
