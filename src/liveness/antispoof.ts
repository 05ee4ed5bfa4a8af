/**
 * The anti-spoofing model pair on the inference engine: for each face box, one crop per model at that model's scale,
 * every face of a photo in one batch per model; the pair's probabilities are summed and the live score is the live
 * class's share of the sum (sum[live] / 2).
 */
import { ortEngine } from '../engine/ort.js';
import type { InferenceEngine, InferenceSession } from '../engine/engine.js';
import { ModelError } from '../errors.js';
import type { Box } from '../detect/types.js';
import type { RgbImage } from '../image/types.js';
import { readVerified } from '../pack/files.js';
import type { AntispoofModel } from '../pack/liveness.js';
import { cropRect, resizeCropBgr } from './crop.js';

export interface AntispoofLoadOptions {
  models: readonly AntispoofModel[];
  /** Folder for files that are not bundled with the package (the models folder, see src/pack/files.ts). */
  modelsDir: string;
  engine?: InferenceEngine;
  threads?: number;
}

/** The pair's verdict on one box before any threshold: summed class probabilities and the live score. */
export interface AntispoofScore {
  /** Σ over the models of each class's probability (sums to the number of models). */
  readonly probs: readonly number[];
  /** The live class's mean probability over the models, in [0, 1]. */
  readonly score: number;
}

interface LoadedModel {
  readonly spec: AntispoofModel;
  readonly session: InferenceSession;
}

export class AntispoofPair {
  private constructor(private readonly loaded: readonly LoadedModel[]) {}

  /** Loads each model from its pinned file (MODEL_NOT_INSTALLED / MODEL_CHECKSUM when missing or altered). */
  static async load(opts: AntispoofLoadOptions): Promise<AntispoofPair> {
    const engine = opts.engine ?? ortEngine;
    const loaded: LoadedModel[] = [];
    try {
      for (const spec of opts.models) {
        const bytes = await readVerified(opts.modelsDir, spec.file);
        const session = await engine.load(bytes, { threads: opts.threads });
        loaded.push({ spec, session });
        if (!session.inputNames.includes(spec.inputName) || !session.outputNames.includes(spec.outputName))
          throw new ModelError(
            'MODEL_MISMATCH',
            `${spec.file.path} has inputs ${session.inputNames.join(', ')} and outputs ` +
              `${session.outputNames.join(', ')}, not ${spec.inputName} → ${spec.outputName}`,
          );
      }
    } catch (e) {
      await Promise.all(loaded.map((m) => m.session.close()));
      throw e;
    }
    return new AntispoofPair(loaded);
  }

  /** The models' names joined, with the number of models (for ids and reports). */
  get names(): string[] {
    return this.loaded.map((m) => m.spec.name);
  }

  /** Raw model outputs for ready-made inputs ([N, 3, size, size] per model), for parity tests. */
  async runModel(index: number, input: Float32Array, count: number): Promise<Float32Array> {
    const { spec, session } = this.loaded[index];
    const out = await session.run({ [spec.inputName]: { data: input, dims: [count, 3, spec.size, spec.size] } });
    return out[spec.outputName].data;
  }

  /** The crops of one model for these boxes, as its input tensor. */
  crops(index: number, img: RgbImage, boxes: readonly Box[]): Float32Array {
    const { spec } = this.loaded[index];
    const per = 3 * spec.size * spec.size;
    const input = new Float32Array(per * boxes.length);
    boxes.forEach((b, i) =>
      resizeCropBgr(img, cropRect(img.width, img.height, b, spec.scale), spec.size, input, i * per),
    );
    return input;
  }

  /** Scores for each box (already mapped onto the models' box shape), in order. */
  async score(img: RgbImage, boxes: readonly Box[]): Promise<AntispoofScore[]> {
    if (!boxes.length) return [];
    const classes = 3;
    const sum = new Float64Array(boxes.length * classes);
    for (let m = 0; m < this.loaded.length; m++) {
      const prob = await this.runModel(m, this.crops(m, img, boxes), boxes.length);
      const k = prob.length / boxes.length;
      if (k !== classes)
        throw new ModelError('MODEL_MISMATCH', `${this.loaded[m].spec.name} gives ${k} classes, not 3`);
      for (let i = 0; i < sum.length; i++) sum[i] += prob[i];
    }
    const n = this.loaded.length;
    return boxes.map((_, i) => {
      const probs = Array.from(sum.subarray(i * classes, (i + 1) * classes));
      return { probs, score: probs[this.loaded[0].spec.liveClass] / n };
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.loaded.map((m) => m.session.close()));
  }
}
