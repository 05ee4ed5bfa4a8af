/**
 * The options and results of FaceRecognizer (src/recognizer.ts), apart from the class so that the pipeline's stages
 * (src/pipeline-stages.ts) can share them without importing the class.
 */
import type { TurnedFaceOptions } from './align/turned.js';
import type { Box, DetectOptions } from './detect/types.js';
import type { LandmarkOptions } from './align/landmarker.js';
import type { ChipOptions } from './align/chip.js';
import type { Landmarks68, Point } from './align/types.js';
import type { InferenceEngine } from './engine/engine.js';
import type { RgbImage } from './image/types.js';
import type { RecognitionGraphOptions } from './embed/recognition-graph.js';
import type { PackDefinition } from './pack/types.js';

export interface RecognizerOptions {
  /**
   * The recognition pipeline by name (`facenet packs` lists them) or as a definition; default `dlib128`. Plain data,
   * so it also travels to worker threads.
   */
  pack?: string | PackDefinition;
  /** Folder holding the packs' model files (default FACENET_MODELS, else ~/.local/share/facenet-ts/models). */
  models?: string;
  /**
   * Opt in to a pack whose weights are not permissively licensed (default: FACENET_ACCEPT_LICENSE=1). Without it
   * such a pack is refused with LICENSE_NOT_ACCEPTED.
   */
  acceptLicense?: boolean;
  /** Where built ONNX graphs are cached (default ~/.cache/facenet-ts or $FACENET_CACHE). */
  cacheDir?: string;
  /** Intra-op threads per model (default: one per core, defaultThreads(); 0 = onnxruntime's own choice). */
  threads?: number;
  /**
   * The cores this recognizer may use when `threads` is not given: a worker pool's share (default defaultThreads()).
   */
  threadShare?: number;
  engine?: InferenceEngine;
  /** A model exported by `facenet train` instead of the built-in 128-D net. */
  modelPath?: string;
  /**
   * A projection head exported by `facenet train --arch head --pack P`, run after pack P's embedder (e.g. 512 → 128),
   * its stored calibration used like a trained model's.
   */
  projectionPath?: string;
  /**
   * Flip test-time augmentation for every embedding (default: the pack's; dlib128: on, +0.3 pp on LFW for 2.5 ms per
   * face).
   */
  flip?: boolean;
  /** Largest accepted image, pixels (default 40 MP). */
  maxPixels?: number;
  /** Accept SVG input (default false: a few bytes of SVG can declare any size). */
  allowSvg?: boolean;
  /** Default detection settings. */
  detect?: DetectOptions;
  /** Alignment variant (default: dlib's 150×150 chip, padding 0.25). */
  chip?: ChipOptions;
  /** Variant of the built-in recognition graph (input scaling). */
  graph?: RecognitionGraphOptions;
  /** How the landmark net crops and maps points. */
  landmarks?: LandmarkOptions;
  /**
   * Landmark passes: 2 re-runs the landmark net on the box the first pass's points span, which makes the crop
   * independent of the detector's box style (default 1).
   */
  landmarkPasses?: number;
  /**
   * Also run the landmark net on the mirrored image and average the two point sets (mirrored back):
   * halves the net's left/right bias and its noise.
   */
  landmarkFlip?: boolean;
  /**
   * Crop test-time augmentation: besides the configured chip, embed chips at these paddings too and average
   * the embeddings (each face costs one more net run per padding, twice with flip). Detected faces only: an
   * input given as an aligned chip cannot be re-cropped. Default: the pack's (0.15 and 0.35 for the dlib packs,
   * none for five-point packs, whose template fixes the crop); [] turns it off.
   */
  ttaPaddings?: readonly number[];
  /**
   * Faces turned away from the camera: how they are aligned, and flip TTA for them (src/align/turned.ts). Default: the
   * pack's; false: as any other face.
   */
  turned?: TurnedFaceOptions | false;
}

export interface Face {
  readonly box: Box;
  readonly score: number;
  /** 68 points (iBUG order), for packs that align dlib chips. */
  readonly landmarks?: Landmarks68;
  /** The detector's five points (left eye, right eye, nose tip, left and right mouth corners), when it gives them. */
  readonly points?: readonly Point[];
}

export interface AlignedFace extends Face {
  /** The aligned chip as the pack's embedder expects it (150×150 dlib chip, 112×112 ArcFace chip). */
  readonly chip: RgbImage;
}

export interface EmbeddedFace extends AlignedFace {
  /** L2-normalised (128-D for the dlib packs, 512-D for EdgeFace). */
  readonly embedding: Float32Array;
}

export interface FaceOptions {
  /** The input is already an aligned face chip: skip detection and alignment. */
  aligned?: boolean;
  detect?: DetectOptions;
}

export interface EmbedFaceOptions extends FaceOptions {
  flip?: boolean;
}
