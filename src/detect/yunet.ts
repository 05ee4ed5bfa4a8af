/**
 * YuNet (OpenCV Zoo, MIT): a 230 KB anchor-free face detector with five landmarks, run on the inference engine.
 * Input: BGR 0–255, NCHW, the photo at the top-left of a canvas with sides multiples of 32 (letterbox.ts);
 * decoding in yunet-decode.ts; passes and merging in five-point-detector.ts.
 */
import type { LetterboxSpec } from './letterbox.js';
import { loadDetectorModel, type OnnxDetectorLoadOptions } from './onnx-detector.js';
import { checkInputCaps, FivePointDetector, type FivePointNetwork } from './five-point-detector.js';
import { decodeYunet, yunetLevels, YUNET_STRIDES } from './yunet-decode.js';

/** Default score threshold (√(cls · obj)). See docs/detectors.md for the measurement behind it. */
export const YUNET_DEFAULT_MIN_SCORE = 0.8;
/**
 * Default score from which a face turned by 45° or more is kept. On cfp-dev's 400 profile photos YuNet's best
 * detection scores above 0.8 on 389, above 0.6 on 398; on no_faces/ no turned detection scores above 0.48 (a dog at
 * 75°), while frontal-looking ones reach 0.77 (docs/cfp.md).
 */
export const YUNET_TURNED_MIN_SCORE = 0.6;
/** Default NMS IoU: OpenCV's FaceDetectorYN default. */
export const YUNET_DEFAULT_IOU = 0.3;
/** Default cap of the fine pass (longer side of the photo on the canvas). See docs/detectors.md. */
export const YUNET_DEFAULT_MAX_SIDE = 1024;
/**
 * Default side of the coarse pass for large faces (0: none), and the photo size above which it runs. See
 * five-point-detector.ts and docs/detectors.md: at 160 and at 320 YuNet finds all 55 enlarged johns chips (up to
 * 900 px) and the same 42/43 labelled faces; 160 costs ≈ 1.6 ms less per 640×480 photo. Photos up to 320 px get no
 * coarse pass, as before (LFW's 250 px photos are untouched).
 */
export const YUNET_DEFAULT_COARSE_SIDE = 160;
export const YUNET_DEFAULT_COARSE_ABOVE = 320;

export interface YuNetLoadOptions extends OnnxDetectorLoadOptions {
  /**
   * The photo is shrunk so that its longer side is at most this before letterboxing (default YUNET_DEFAULT_MAX_SIDE).
   */
  maxSide?: number;
  /**
   * A second pass with the photo shrunk to this longer side, for large faces; 0 turns it off (default
   * YUNET_DEFAULT_COARSE_SIDE).
   */
  coarseSide?: number;
  /** The coarse pass runs only for photos larger than this (longer side; default YUNET_DEFAULT_COARSE_ABOVE). */
  coarseAbove?: number;
}

const OUTPUTS = YUNET_STRIDES.flatMap((s) => ['cls', 'obj', 'bbox', 'kps'].map((k) => `${k}_${s}`));

export function yunetInputSpec(maxSide: number): LetterboxSpec {
  return { order: 'bgr', mean: 0, std: 1, multiple: 32, maxSide };
}

const yunet: FivePointNetwork = {
  label: 'YuNet',
  inputSpec: yunetInputSpec,
  decode: (res, _session, width, height, minScore) => decodeYunet(yunetLevels(res), width, height, minScore),
  defaults: { minScore: YUNET_DEFAULT_MIN_SCORE, iouThreshold: YUNET_DEFAULT_IOU, minFaceSize: 20, maxFaces: 100 },
  turnedMinScore: YUNET_TURNED_MIN_SCORE,
};

export class YuNetDetector extends FivePointDetector {
  static async load(opts: YuNetLoadOptions): Promise<YuNetDetector> {
    const maxSide = opts?.maxSide ?? YUNET_DEFAULT_MAX_SIDE;
    const caps = checkInputCaps(
      maxSide,
      opts?.coarseSide ?? (maxSide > YUNET_DEFAULT_COARSE_SIDE ? YUNET_DEFAULT_COARSE_SIDE : 0),
      opts?.coarseAbove ?? YUNET_DEFAULT_COARSE_ABOVE,
    );
    const { session, modelId } = await loadDetectorModel('yunet', 'YuNet', opts, (s) => {
      const missing = OUTPUTS.filter((n) => !s.outputNames.includes(n));
      return missing.length ? `outputs ${missing.join(', ')} missing` : undefined;
    });
    return new YuNetDetector(session, modelId, caps, yunet);
  }
}
