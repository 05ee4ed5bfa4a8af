/**
 * SCRFD (InsightFace; weights for non-commercial research use only): a face detector with five landmarks, run on the
 * inference engine. Input: RGB, (x − 127.5) / 128, NCHW, the photo at the top-left of a canvas with sides multiples
 * of 32 (letterbox.ts); decoding in scrfd-decode.ts; passes and merging in five-point-detector.ts.
 */
import type { LetterboxSpec } from './letterbox.js';
import { loadDetectorModel, type OnnxDetectorLoadOptions } from './onnx-detector.js';
import { checkInputCaps, FivePointDetector, type FivePointNetwork } from './five-point-detector.js';
import { decodeScrfd, scrfdLevels } from './scrfd-decode.js';

/** Default score threshold. See docs/detectors.md for the measurement behind it. */
export const SCRFD_DEFAULT_MIN_SCORE = 0.65;
/**
 * Default score from which a face turned by 45° or more is kept. On cfp-dev's 400 profile photos SCRFD-2.5G's best
 * detection scores above 0.65 on 320 only, above 0.5 on 399; on no_faces/ no turned detection scores above 0.29,
 * while frontal-looking ones reach 0.55 (docs/cfp.md).
 */
export const SCRFD_TURNED_MIN_SCORE = 0.5;
/** Default NMS IoU: insightface's SCRFD default. */
export const SCRFD_DEFAULT_IOU = 0.4;
/** Default cap of the fine pass (longer side of the photo on the canvas). See docs/detectors.md. */
export const SCRFD_DEFAULT_MAX_SIDE = 640;
/** Default side of the coarse pass for large faces (0: none). See five-point-detector.ts and docs/detectors.md. */
export const SCRFD_DEFAULT_COARSE_SIDE = 320;

export interface ScrfdLoadOptions extends OnnxDetectorLoadOptions {
  /**
   * The photo is shrunk so that its longer side is at most this before letterboxing (default SCRFD_DEFAULT_MAX_SIDE).
   */
  maxSide?: number;
  /**
   * A second pass with the photo shrunk to this longer side, for large faces; 0 turns it off (default
   * SCRFD_DEFAULT_COARSE_SIDE).
   */
  coarseSide?: number;
}

export function scrfdInputSpec(maxSide: number): LetterboxSpec {
  return { order: 'rgb', mean: 127.5, std: 128, multiple: 32, maxSide };
}

const scrfd: FivePointNetwork = {
  label: 'SCRFD',
  inputSpec: scrfdInputSpec,
  decode: (res, session, width, height, minScore) => {
    const { levels, anchorsPerCell } = scrfdLevels(
      session.outputNames.map((n) => res[n]),
      width,
      height,
    );
    return decodeScrfd(levels, width, height, minScore, anchorsPerCell);
  },
  defaults: { minScore: SCRFD_DEFAULT_MIN_SCORE, iouThreshold: SCRFD_DEFAULT_IOU, minFaceSize: 20, maxFaces: 100 },
  turnedMinScore: SCRFD_TURNED_MIN_SCORE,
};

export class ScrfdDetector extends FivePointDetector {
  static async load(opts: ScrfdLoadOptions): Promise<ScrfdDetector> {
    const maxSide = opts?.maxSide ?? SCRFD_DEFAULT_MAX_SIDE;
    const caps = checkInputCaps(
      maxSide,
      opts?.coarseSide ?? (maxSide > SCRFD_DEFAULT_COARSE_SIDE ? SCRFD_DEFAULT_COARSE_SIDE : 0),
    );
    const { session, modelId } = await loadDetectorModel('scrfd', 'SCRFD', opts, (s) =>
      s.inputNames.length !== 1 || s.outputNames.length !== 9
        ? `expected 1 input and 9 outputs, got ${s.inputNames.length} and ${s.outputNames.length}`
        : undefined,
    );
    return new ScrfdDetector(session, modelId, caps, scrfd);
  }
}
