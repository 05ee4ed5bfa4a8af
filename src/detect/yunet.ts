/**
 * YuNet (OpenCV Zoo, MIT): a 230 KB anchor-free face detector with five landmarks, run on the inference engine.
 * Input: BGR 0–255, NCHW, the photo at the top-left of a canvas with sides multiples of 32 (letterbox.ts);
 * decoding in yunet-decode.ts.
 */
import type { InferenceSession } from '../engine/engine.js';
import { FaceError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { finishDetections } from './candidates.js';
import { letterbox, type LetterboxSpec } from './letterbox.js';
import { checkDetectorImage, loadDetectorModel, type OnnxDetectorLoadOptions } from './onnx-detector.js';
import { resolveDetectOptions } from './options.js';
import type { Detection, DetectOptions, FaceDetectorLike } from './types.js';
import { decodeYunet, yunetLevels, YUNET_STRIDES } from './yunet-decode.js';

/** Default score threshold (√(cls · obj)). See docs/detectors.md for the measurement behind it. */
export const YUNET_DEFAULT_MIN_SCORE = 0.8;
/** Default NMS IoU: OpenCV's FaceDetectorYN default. */
export const YUNET_DEFAULT_IOU = 0.3;
/** Default input cap (longer side of the photo on the canvas). See docs/detectors.md. */
export const YUNET_DEFAULT_MAX_SIDE = 640;

export interface YuNetLoadOptions extends OnnxDetectorLoadOptions {
  /** The photo is shrunk so that its longer side is at most this before letterboxing (default YUNET_DEFAULT_MAX_SIDE). */
  maxSide?: number;
}

const OUTPUTS = YUNET_STRIDES.flatMap((s) => ['cls', 'obj', 'bbox', 'kps'].map((k) => `${k}_${s}`));

export class YuNetDetector implements FaceDetectorLike {
  private released = false;

  private constructor(
    private readonly session: InferenceSession,
    readonly modelId: string,
    readonly maxSide: number,
  ) {}

  static async load(opts: YuNetLoadOptions): Promise<YuNetDetector> {
    const maxSide = checkMaxSide(opts?.maxSide ?? YUNET_DEFAULT_MAX_SIDE);
    const { session, modelId } = await loadDetectorModel('yunet', 'YuNet', opts, (s) => {
      const missing = OUTPUTS.filter((n) => !s.outputNames.includes(n));
      return missing.length ? `outputs ${missing.join(', ')} missing` : undefined;
    });
    return new YuNetDetector(session, modelId, maxSide);
  }

  async detect(img: RgbImage, opts: DetectOptions = {}): Promise<Detection[]> {
    const o = resolveDetectOptions(opts, { minScore: YUNET_DEFAULT_MIN_SCORE, iouThreshold: YUNET_DEFAULT_IOU, minFaceSize: 20, maxFaces: 100 });
    checkDetectorImage(img);
    if (this.released) throw new FaceError('CLOSED', 'YuNetDetector used after release()');
    const input = letterbox(img, yunetInputSpec(this.maxSide));
    const res = await this.session.run({ [this.session.inputNames[0]]: { data: input.data, dims: [1, 3, input.height, input.width] } });
    const candidates = decodeYunet(yunetLevels(res), input.width, input.height, o.minScore);
    return finishDetections(candidates, { width: img.width, height: img.height, scaleX: input.scaleX, scaleY: input.scaleY }, o);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}

export function yunetInputSpec(maxSide: number): LetterboxSpec {
  return { order: 'bgr', mean: 0, std: 1, multiple: 32, maxSide };
}

/** A usable input cap: FaceError INVALID_INPUT otherwise. */
export function checkMaxSide(maxSide: number): number {
  if (!(Number.isInteger(maxSide) && maxSide >= 32 && maxSide <= 8192)) throw new FaceError('INVALID_INPUT', `maxSide must be an integer in 32…8192, got ${maxSide}`);
  return maxSide;
}
