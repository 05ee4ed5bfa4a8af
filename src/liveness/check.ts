/**
 * The passive liveness check of one photo: each detected face's box mapped onto the box shape the anti-spoofing pair
 * was trained with, scored, and judged against the threshold. Callable per frame: a decoded image and the faces found
 * in it give one verdict per face, so a video stream can call it on every frame it samples.
 */
import type { Box } from '../detect/types.js';
import { FaceError } from '../errors.js';
import type { InferenceEngine } from '../engine/engine.js';
import type { RgbImage } from '../image/types.js';
import { ANTISPOOF_MODELS, LIVENESS_THRESHOLD, type AntispoofModel } from '../pack/liveness.js';
import { modelsDir } from '../pack/files.js';
import { AntispoofPair, type AntispoofScore } from './antispoof.js';
import type { Liveness, LivenessBoxMap } from './types.js';

export interface LivenessCheckOptions {
  /** Detector box → models' box (src/pack/liveness.ts has one per detector). */
  boxMap: LivenessBoxMap;
  /** Live iff score ≥ threshold (default LIVENESS_THRESHOLD). */
  threshold?: number;
  /** Folder for model files not bundled with the package (default: modelsDir()). */
  models?: string;
  engine?: InferenceEngine;
  threads?: number;
  /** The model pair (default ANTISPOOF_MODELS). */
  pair?: readonly AntispoofModel[];
}

/** The detector's box as the anti-spoofing models' box: a square sized and shifted by `map`. */
export function mapLivenessBox(box: Box, map: LivenessBoxMap): Box {
  const side = map.side * box.width;
  const cx = box.x + box.width / 2 + map.dx * box.width;
  const cy = box.y + box.height / 2 + map.dy * box.height;
  return { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
}

function assertUsableBox(box: Box): void {
  const ok = [box.x, box.y, box.width, box.height].every(Number.isFinite) && box.width > 0 && box.height > 0;
  if (!ok)
    throw new FaceError('INVALID_INPUT', `liveness needs a face box with a positive size, got ${JSON.stringify(box)}`);
}

export class LivenessCheck {
  private constructor(
    private readonly pair: AntispoofPair,
    readonly boxMap: LivenessBoxMap,
    readonly threshold: number,
  ) {}

  static async load(opts: LivenessCheckOptions): Promise<LivenessCheck> {
    const threshold = opts.threshold ?? LIVENESS_THRESHOLD;
    if (!(threshold >= 0 && threshold <= 1))
      throw new FaceError('INVALID_INPUT', `the liveness threshold must be in [0, 1], got ${threshold}`);
    const pair = await AntispoofPair.load({
      models: opts.pair ?? ANTISPOOF_MODELS,
      modelsDir: modelsDir(opts.models),
      engine: opts.engine,
      threads: opts.threads,
    });
    return new LivenessCheck(pair, opts.boxMap, threshold);
  }

  /** Raw scores of the faces (detector boxes) in `img`, in order. */
  async scores(img: RgbImage, boxes: readonly Box[]): Promise<AntispoofScore[]> {
    boxes.forEach(assertUsableBox);
    return this.pair.score(
      img,
      boxes.map((b) => mapLivenessBox(b, this.boxMap)),
    );
  }

  /** One verdict per face (detector boxes) in `img`, in order. */
  async judge(img: RgbImage, boxes: readonly Box[]): Promise<Liveness[]> {
    const threshold = this.threshold;
    return (await this.scores(img, boxes)).map(({ score }) => ({ live: score >= threshold, score, threshold }));
  }

  close(): Promise<void> {
    return this.pair.close();
  }
}
