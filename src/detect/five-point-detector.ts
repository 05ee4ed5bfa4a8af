/**
 * The run loop shared by the ONNX 5-point detectors (YuNet, SCRFD): check the image and options, letterbox it, run
 * the network, decode, map back to source pixels, merge passes, NMS.
 *
 * Two passes over a photo larger than `coarseAbove` (and the coarse side): one with its longer side capped at `maxSide`
 * (small faces), one shrunk by a whole factor (≥ 2) to at most `coarseSide` (large faces). Both networks lose faces
 * that are large on their canvas — SCRFD-2.5G finds none of the 55 johns chips enlarged to 600 px (faces ≈ 500 px) and
 * YuNet scores some below its default — while a coarse pass sees the same faces at about half that size, where both
 * find them all (docs/detectors.md). The coarse network run costs about a quarter of the fine one at 640 and 320. It
 * reports only faces of at least COARSE_MIN_FACE_FRACTION of the photo's longer side: smaller ones are the fine pass's,
 * whose landmarks are better placed (at 0.4 the coarse pass adds no face on no_faces/; without the bound YuNet reports
 * a dog there at 0.88).
 */
import type { InferenceSession, TensorData } from '../engine/engine.js';
import { FaceError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import {
  concatCandidates,
  finishDetections,
  keepConfident,
  keepLarge,
  toSourcePixels,
  type Candidates,
} from './candidates.js';
import { letterbox, type LetterboxInput, type LetterboxSpec } from './letterbox.js';
import { resizeBilinear, shrinkBox } from '../image/transform.js';
import { checkDetectorImage } from './onnx-detector.js';
import { resolveDetectOptions, type CommonDetectOptions } from './options.js';
import type { Detection, DetectOptions, FaceDetector } from './types.js';

export interface InputCaps {
  /** Longer side of the photo on the fine pass's canvas, at most. */
  readonly maxSide: number;
  /** Longer side of the photo on the coarse pass's canvas, at most; 0: no coarse pass. */
  readonly coarseSide: number;
  /**
   * The coarse pass runs only for photos whose longer side (on the fine canvas) is above this and above coarseSide:
   * below it the fine pass alone finds faces that fill the photo (docs/detectors.md).
   */
  readonly coarseAbove: number;
}

export interface FivePointNetwork {
  /** `YuNet`, `SCRFD`: for messages. */
  readonly label: string;
  /** How the photo is laid out and normalised for the network, given the cap of a pass. */
  inputSpec(maxSide: number): LetterboxSpec;
  /** Raw outputs of one run on a `width`×`height` canvas → candidates above `minScore`, in canvas pixels. */
  decode(
    outputs: Record<string, TensorData>,
    session: InferenceSession,
    width: number,
    height: number,
    minScore: number,
  ): Candidates;
  /** Defaults of the common options for this network, chosen by measurement. */
  readonly defaults: CommonDetectOptions;
  /** Default score from which a face turned by TURNED_DETECTION_YAW or more is kept (DetectOptions.turnedMinScore). */
  readonly turnedMinScore: number;
}

/** |yaw| in degrees (src/align/pose.ts) from which a detection counts as turned for `turnedMinScore`. */
export const TURNED_DETECTION_YAW = 45;

/** Smallest face the coarse pass reports, as a fraction of the photo's longer side (see above). */
export const COARSE_MIN_FACE_FRACTION = 0.4;

/** A usable input cap: FaceError INVALID_INPUT otherwise. */
export function checkInputCaps(maxSide: number, coarseSide: number, coarseAbove = 0): InputCaps {
  if (!(Number.isInteger(maxSide) && maxSide >= 32 && maxSide <= 8192))
    throw new FaceError('INVALID_INPUT', `maxSide must be an integer in 32…8192, got ${maxSide}`);
  if (!(Number.isInteger(coarseSide) && (coarseSide === 0 || (coarseSide >= 32 && coarseSide <= maxSide))))
    throw new FaceError(
      'INVALID_INPUT',
      `coarseSide must be 0 (off) or an integer in 32…maxSide (${maxSide}), got ${coarseSide}`,
    );
  if (!(Number.isInteger(coarseAbove) && coarseAbove >= 0))
    throw new FaceError('INVALID_INPUT', `coarseAbove must be an integer ≥ 0, got ${coarseAbove}`);
  return { maxSide, coarseSide, coarseAbove };
}

/**
 * The whole factor by which the coarse pass shrinks the fine pass's `width`×`height` copy of the photo: the smallest
 * that brings its longer side to at most `coarseSide`, and at least 2; 1 (no coarse pass) when it is off or the
 * photo's longer side is at most `coarseSide` or `coarseAbove`.
 */
export function coarseFactor(width: number, height: number, coarseSide: number, coarseAbove = 0): number {
  const side = Math.max(width, height);
  if (coarseSide <= 0 || side <= Math.max(coarseSide, coarseAbove)) return 1;
  return Math.max(2, Math.ceil(side / coarseSide));
}

/**
 * The photo enlarged (bilinear) so that its longer side is `minSide` (at most `maxSide`), when it is smaller; else
 * itself. INVALID_INPUT for a `minSide` that is not an integer ≥ 0.
 */
function checkScore(name: string, v: number): number {
  if (!(v > 0 && v < 1)) throw new FaceError('INVALID_INPUT', `${name} must be in (0, 1), got ${v}`);
  return v;
}

export function enlarged(img: RgbImage, minSide: number | undefined, maxSide: number): RgbImage {
  if (minSide === undefined || minSide === 0) return img;
  if (!(Number.isInteger(minSide) && minSide > 0))
    throw new FaceError('INVALID_INPUT', `minSide must be an integer ≥ 0, got ${minSide}`);
  const side = Math.max(img.width, img.height);
  const k = Math.min(minSide, maxSide) / side;
  if (k <= 1) return img;
  return resizeBilinear(img, Math.round(img.width * k), Math.round(img.height * k));
}

export class FivePointDetector implements FaceDetector {
  private closed = false;
  /** Input tensors no run is using, for the next letterbox (see letterbox()); at most two are kept. */
  private readonly scratch: Float32Array[] = [];

  protected constructor(
    private readonly session: InferenceSession,
    readonly modelId: string,
    readonly caps: InputCaps,
    private readonly net: FivePointNetwork,
  ) {}

  get maxSide(): number {
    return this.caps.maxSide;
  }

  async detect(img: RgbImage, opts: DetectOptions = {}): Promise<Detection[]> {
    const o = resolveDetectOptions(opts, this.net.defaults);
    const turnedMin = Math.min(
      o.minScore,
      checkScore('turnedMinScore', opts.turnedMinScore ?? this.net.turnedMinScore),
    );
    checkDetectorImage(img);
    if (this.closed) throw new FaceError('CLOSED', `${this.net.label} detector used after close()`);
    if (o.maxFaces === 0) return [];
    const found: Candidates[] = [];
    // the fine pass: the photo, shrunk (area average) if its longer side is over maxSide, or enlarged to minSide
    const fine = letterbox(
      enlarged(img, opts.minSide, this.caps.maxSide),
      this.net.inputSpec(this.caps.maxSide),
      this.scratch.pop(),
    );
    const fineScale = fine.fitted.width / img.width;
    found.push(toSourcePixels(await this.candidates(fine, turnedMin), fineScale, fine.fitted.height / img.height));
    const k = coarseFactor(fine.fitted.width, fine.fitted.height, this.caps.coarseSide, this.caps.coarseAbove);
    if (k > 1) {
      // the coarse pass: the fine pass's copy shrunk by a whole factor (a cheap box average); large faces only
      const small = shrinkBox(fine.fitted, k);
      const coarse = letterbox(small, this.net.inputSpec(Math.max(small.width, small.height)), this.scratch.pop());
      const c = keepLarge(
        await this.candidates(coarse, turnedMin),
        COARSE_MIN_FACE_FRACTION * Math.max(small.width, small.height),
      );
      found.push(toSourcePixels(c, fineScale / k, fine.fitted.height / img.height / k));
    }
    const kept = keepConfident(concatCandidates(found), o.minScore, turnedMin, TURNED_DETECTION_YAW);
    return finishDetections(kept, img.width, img.height, { ...o, minScore: turnedMin });
  }

  /** Runs the network on a prepared input and decodes it; the input's array goes back to the scratch pool. */
  private async candidates(input: LetterboxInput, minScore: number): Promise<Candidates> {
    let res: Record<string, TensorData>;
    try {
      res = await this.session.run({
        [this.session.inputNames[0]]: { data: input.data, dims: [1, 3, input.height, input.width] },
      });
    } finally {
      // the whole array behind the view goes back; a few at most are kept
      if (this.scratch.length < 2) this.scratch.push(new Float32Array(input.data.buffer));
    }
    return this.net.decode(res, this.session, input.width, input.height, minScore);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.scratch.length = 0;
    await this.session.close();
  }
}
