/**
 * A pack is one complete recognition pipeline described as data: which detector (and the landmarks it gives), how
 * faces are aligned, which embedder with which input spec, the test-time augmentation it is calibrated with, and the
 * licence of its weights. The stages read the pack (src/pack/router.ts builds them); nothing branches on a pack name.
 */
import type { Point } from '../align/types.js';
import type { EmbedderInputSpec } from '../embed/input-spec.js';
import type { TurnedFaceOptions } from '../align/turned.js';
import type { LivenessBoxMap } from '../liveness/types.js';

/** A model file inside the models folder (`--models DIR` / FACENET_MODELS), pinned by its SHA-256. */
export interface PackFile {
  /** Path relative to the models folder, '/'-separated (the layout of ../shared/models). */
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  /**
   * Kept in the facenet-ts repository's `models/` folder (used from there in a clone, and from the installed package
   * for the permissive files it ships), else found in the models folder like any other file: small permissive
   * third-party files (YuNet) and artefacts this project made (a head from `facenet train --arch head --pack`).
   */
  readonly bundled?: boolean;
}

/**
 * A projection run on the embedder's output ([N, D] → [N, d], normalising its input itself), as data: e.g. the
 * 512 → 128 head `facenet train --arch head --pack edgeface-xs` exports.
 */
export interface PackProjection {
  readonly name: string;
  readonly file: PackFile;
  readonly inputName: string;
  readonly outputName: string;
  /** Output dimension (the pack's embedding dimension). */
  readonly dim: number;
}

/**
 * - 'ssd': face-api's SSD MobileNet v1 (weights from npm), boxes only.
 * - 'yunet': YuNet (OpenCV Zoo), boxes + five points.
 * - 'scrfd': SCRFD (InsightFace), boxes + five points.
 */
export type DetectorKind = 'ssd' | 'yunet' | 'scrfd';

export interface PackDetector {
  readonly kind: DetectorKind;
  /** Absent for 'ssd' (built from the npm package's weights). */
  readonly file?: PackFile;
  /** Which landmarks the detector itself gives. */
  readonly landmarks: 'none' | 'five';
  /** Detection defaults of this pack (over the recognizer's): score threshold, etc. */
  readonly minScore?: number;
  /** Longer side the image is shrunk to before detection (SCRFD loses faces on large canvases). */
  readonly maxSide?: number;
  /** Intra-op threads when the caller asks for none (see PackThreads). */
  readonly threads?: PackThreads;
  /** How its boxes map onto the anti-spoofing models' box (default: its kind's, src/pack/liveness.ts). */
  readonly livenessBox?: LivenessBoxMap;
}

/**
 * Intra-op threads a network runs with when the caller gives no `threads`: at most this many, and never more than
 * defaultThreads(). Set where `npm run bench:threads` measured more threads slower than one for that network
 * (small nets at batch 1: the threads' hand-offs cost more than the split saves); absent = defaultThreads().
 */
export type PackThreads = number;

/**
 * - 'dlib68': the 68-point net on the detector's box, then dlib's 150×150 chip (src/align/chip.ts).
 * - 'five-point': the detector's five points (left eye, right eye, nose tip, left and right mouth corners, image
 *   left to right) onto `template` by a least-squares similarity; chip pixel q samples the image at T(q).
 */
export type PackAlign =
  | { readonly kind: 'dlib68'; readonly size: number; readonly padding: number }
  | { readonly kind: 'five-point'; readonly size: number; readonly template: readonly Point[] };

export type PackEmbedder =
  /**
   * face-api's dlib ResNet, built into an ONNX graph from the npm package's weights (src/embed/recognition-graph.ts).
   */
  | { readonly kind: 'face-api-128' }
  | {
      readonly kind: 'onnx';
      readonly name: string;
      readonly file: PackFile;
      readonly input: EmbedderInputSpec;
      readonly projection?: PackProjection;
      readonly threads?: PackThreads;
    };

export interface PackLicence {
  /** One line naming the weights' licences, shown by the CLI, the server and the web page. */
  readonly line: string;
  /** True when every file may be used commercially; otherwise using the pack needs an explicit opt-in. */
  readonly permissive: boolean;
}

/** What surfaces show of the pack a recognizer runs (CLI, server info, web page). */
export interface PackInfo {
  readonly name: string;
  readonly licence: string;
  readonly permissive: boolean;
}

export interface PackDefinition {
  readonly name: string;
  readonly description: string;
  readonly detector: PackDetector;
  readonly align: PackAlign;
  readonly embedder: PackEmbedder;
  /** Test-time augmentation the pack is evaluated and calibrated with. */
  readonly tta: { readonly flip: boolean; readonly crops: readonly number[] };
  /**
   * Faces turned away from the camera (|yaw| from the five points at or above `yawAbove`): how they are aligned and
   * whether they are embedded with their mirror image too (src/align/turned.ts); absent: as any other face.
   */
  readonly turned?: TurnedFaceOptions;
  readonly licence: PackLicence;
  /**
   * Why the pack is experimental (measured short of its goal), shown by `facenet packs`; absent for a finished pack.
   */
  readonly experimental?: string;
  /**
   * The 1:1 threshold of `facenet compare` (L2 distance): the mean of the ten per-fold accuracy-maximising thresholds
   * of LFW View 2 with the pack's TTA crops, without and with flip; `singleCrop` for `--crops none` where measured.
   * Absent until measured: compare then needs --threshold. Decisions at a false-accept rate use the calibration tables.
   */
  readonly compareThreshold?: {
    readonly plain: number;
    readonly flip: number;
    readonly singleCrop?: { readonly plain: number; readonly flip: number };
  };
}
