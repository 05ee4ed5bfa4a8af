/**
 * The run loop shared by the ONNX 5-point detectors (YuNet, SCRFD): check the image and options, letterbox it, run
 * the network, decode, map back to source pixels, merge passes, NMS.
 *
 * Two passes over a photo larger than the coarse side: one with its longer side capped at `maxSide` (small faces),
 * one shrunk to `coarseSide` (large faces). Both networks lose faces that are large on their canvas — SCRFD-2.5G
 * finds none of the 55 johns chips enlarged to 600 px (faces ≈ 500 px) and YuNet scores some below its default — while
 * a coarse pass sees the same faces at ≈ 270 px, where both find them all (docs/detectors.md). The coarse pass costs
 * (coarseSide / maxSide)² of the fine one: ¼ at 640 and 320. It reports only faces of at least COARSE_MIN_FACE_FRACTION
 * of the photo's longer side: smaller ones are the fine pass's, whose landmarks are better placed (at 0.4 the coarse
 * pass adds no face on no_faces/; without the bound YuNet reports a dog there at 0.88).
 */
import type { InferenceSession, TensorData } from '../engine/engine.js';
import { FaceError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { concatCandidates, finishDetections, keepLarge, toSourcePixels, type Candidates } from './candidates.js';
import { fittedSize, letterbox, type LetterboxSpec } from './letterbox.js';
import { checkDetectorImage } from './onnx-detector.js';
import { resolveDetectOptions, type CommonDetectOptions } from './options.js';
import type { Detection, DetectOptions, FaceDetectorLike } from './types.js';

export interface InputCaps {
  /** Longer side of the photo on the fine pass's canvas, at most. */
  readonly maxSide: number;
  /** Longer side of the photo on the coarse pass's canvas; 0: no coarse pass. */
  readonly coarseSide: number;
}

export interface FivePointNetwork {
  /** `YuNet`, `SCRFD`: for messages. */
  readonly label: string;
  /** How the photo is laid out and normalised for the network, given the cap of a pass. */
  inputSpec(maxSide: number): LetterboxSpec;
  /** Raw outputs of one run on a `width`×`height` canvas → candidates above `minScore`, in canvas pixels. */
  decode(outputs: Record<string, TensorData>, session: InferenceSession, width: number, height: number, minScore: number): Candidates;
  /** Defaults of the common options for this network, chosen by measurement. */
  readonly defaults: CommonDetectOptions;
}

/** Smallest face the coarse pass reports, as a fraction of the photo's longer side (see above). */
export const COARSE_MIN_FACE_FRACTION = 0.4;

/** A usable input cap: FaceError INVALID_INPUT otherwise. */
export function checkInputCaps(maxSide: number, coarseSide: number): InputCaps {
  if (!(Number.isInteger(maxSide) && maxSide >= 32 && maxSide <= 8192)) throw new FaceError('INVALID_INPUT', `maxSide must be an integer in 32…8192, got ${maxSide}`);
  if (!(Number.isInteger(coarseSide) && (coarseSide === 0 || (coarseSide >= 32 && coarseSide <= maxSide))))
    throw new FaceError('INVALID_INPUT', `coarseSide must be 0 (off) or an integer in 32…maxSide (${maxSide}), got ${coarseSide}`);
  return { maxSide, coarseSide };
}

/** The caps of the passes over a `width`×`height` photo: the fine one, and the coarse one when it would shrink the photo further. */
export function passSides(width: number, height: number, caps: InputCaps): number[] {
  const fine = fittedSize(width, height, caps.maxSide);
  return caps.coarseSide > 0 && Math.max(fine.width, fine.height) > caps.coarseSide ? [caps.maxSide, caps.coarseSide] : [caps.maxSide];
}

export class FivePointDetector implements FaceDetectorLike {
  private released = false;
  /** Input tensors no run is using, for the next letterbox (see letterbox()); one per concurrent pass at most. */
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
    checkDetectorImage(img);
    if (this.released) throw new FaceError('CLOSED', `${this.net.label} detector used after release()`);
    if (o.maxFaces === 0) return [];
    const found: Candidates[] = [];
    // the coarse pass shrinks the fine pass's copy of the photo, not the original: the same pixels, less work
    let src = img;
    for (const [pass, side] of passSides(img.width, img.height, this.caps).entries()) {
      const input = letterbox(src, this.net.inputSpec(side), this.scratch.pop());
      src = input.fitted;
      let res: Record<string, TensorData>;
      try {
        res = await this.session.run({ [this.session.inputNames[0]]: { data: input.data, dims: [1, 3, input.height, input.width] } });
      } finally {
        // the whole array behind the view goes back; a few at most are kept
        if (this.scratch.length < 2) this.scratch.push(new Float32Array(input.data.buffer));
      }
      let c = this.net.decode(res, this.session, input.width, input.height, o.minScore);
      if (pass > 0) c = keepLarge(c, COARSE_MIN_FACE_FRACTION * side);
      found.push(toSourcePixels(c, src.width / img.width, src.height / img.height));
    }
    return finishDetections(concatCandidates(found), img.width, img.height, o);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.scratch.length = 0;
    await this.session.release();
  }
}
