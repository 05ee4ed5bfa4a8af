/**
 * SCRFD (InsightFace; weights for non-commercial research use only): a face detector with five landmarks, run on the
 * inference engine. Input: RGB, (x − 127.5) / 128, NCHW, the photo at the top-left of a canvas with sides multiples
 * of 32 (letterbox.ts); decoding in scrfd-decode.ts.
 */
import type { InferenceSession } from '../engine/engine.js';
import { FaceError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { finishDetections } from './candidates.js';
import { letterbox, type LetterboxSpec } from './letterbox.js';
import { checkDetectorImage, loadDetectorModel, type OnnxDetectorLoadOptions } from './onnx-detector.js';
import { resolveDetectOptions } from './options.js';
import { decodeScrfd, scrfdLevels } from './scrfd-decode.js';
import type { Detection, DetectOptions, FaceDetectorLike } from './types.js';
import { checkMaxSide } from './yunet.js';

/** Default score threshold. See docs/detectors.md for the measurement behind it. */
export const SCRFD_DEFAULT_MIN_SCORE = 0.5;
/** Default NMS IoU: insightface's SCRFD default. */
export const SCRFD_DEFAULT_IOU = 0.4;
/** Default input cap (longer side of the photo on the canvas). See docs/detectors.md. */
export const SCRFD_DEFAULT_MAX_SIDE = 640;

export interface ScrfdLoadOptions extends OnnxDetectorLoadOptions {
  /** The photo is shrunk so that its longer side is at most this before letterboxing (default SCRFD_DEFAULT_MAX_SIDE). */
  maxSide?: number;
}

export class ScrfdDetector implements FaceDetectorLike {
  private released = false;

  private constructor(
    private readonly session: InferenceSession,
    readonly modelId: string,
    readonly maxSide: number,
  ) {}

  static async load(opts: ScrfdLoadOptions): Promise<ScrfdDetector> {
    const maxSide = checkMaxSide(opts?.maxSide ?? SCRFD_DEFAULT_MAX_SIDE);
    const { session, modelId } = await loadDetectorModel('scrfd', 'SCRFD', opts, (s) =>
      s.inputNames.length !== 1 || s.outputNames.length !== 9 ? `expected 1 input and 9 outputs, got ${s.inputNames.length} and ${s.outputNames.length}` : undefined,
    );
    return new ScrfdDetector(session, modelId, maxSide);
  }

  async detect(img: RgbImage, opts: DetectOptions = {}): Promise<Detection[]> {
    const o = resolveDetectOptions(opts, { minScore: SCRFD_DEFAULT_MIN_SCORE, iouThreshold: SCRFD_DEFAULT_IOU, minFaceSize: 20, maxFaces: 100 });
    checkDetectorImage(img);
    if (this.released) throw new FaceError('CLOSED', 'ScrfdDetector used after release()');
    const input = letterbox(img, scrfdInputSpec(this.maxSide));
    const res = await this.session.run({ [this.session.inputNames[0]]: { data: input.data, dims: [1, 3, input.height, input.width] } });
    const { levels, anchorsPerCell } = scrfdLevels(this.session.outputNames.map((n) => res[n]), input.width, input.height);
    const candidates = decodeScrfd(levels, input.width, input.height, o.minScore, anchorsPerCell);
    return finishDetections(candidates, { width: img.width, height: img.height, scaleX: input.scaleX, scaleY: input.scaleY }, o);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}

export function scrfdInputSpec(maxSide: number): LetterboxSpec {
  return { order: 'rgb', mean: 127.5, std: 128, multiple: 32, maxSide };
}
