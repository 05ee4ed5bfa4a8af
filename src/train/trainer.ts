/**
 * The training loop: P×K batches → embeddings → distance matrix → online triplet mining → masked triplet loss →
 * AdamW step. One Rng drives batch sampling, augmentation and random mining, so a seed fixes the whole run
 * (given an epoch/step budget; a time budget stops wherever the clock says), and a checkpoint resumes it exactly.
 */
import { tf } from './backend.js';
import {
  EmbeddingModel,
  inputLength,
  isProjectionHead,
  SMALL_MEAN,
  SMALL_STD,
  type ArchSettings,
  type NamedArray,
} from './model.js';
import { AdamW } from './optim.js';
import { pairwiseSquaredDistances } from './ops.js';
import { Rng, type RngState } from './rng.js';
import { pairDistanceMeans, selectTriplets, tripletMasks, type Mining } from './triplet.js';
import { byIdentity, fillBatch, PKSampler, splitIdentities, type AugmentOptions, type ChipSet } from './data.js';
import { DistilSampler, distilGradients, mirroredRows, pcaProjection, type PairMeans } from './distil.js';
import { DEFAULT_DISTIL_BATCH, type Loss } from './archs.js';
import { makePairs, scorePairs, verificationStats, type Pair, type VerificationStats } from './validate.js';
import type { EpochRecord } from './curves.js';
import type { Checkpoint } from './checkpoint.js';
import { META_KEYS } from './model-meta.js';
import type { WeightMap } from '../engine/tfjs-weights.js';
import type { ScoredPair } from '../eval/roc.js';
import { invariant, FaceError } from '../errors.js';

export interface TrainConfig {
  readonly arch: ArchSettings;
  /** Absent: 'triplet'. 'distil' (projection heads): match the pack's cosine similarities (src/train/distil.ts). */
  readonly loss?: Loss;
  /** Distillation: images per batch, each with its mirror image (default 256). */
  readonly batch?: number;
  /** Distillation, linear head: start from the PCA of the training embeddings (default true). */
  readonly pcaInit?: boolean;
  readonly mining: Mining;
  /**
   * Steps mined semi-hard before `mining` takes over. Hardest-negative mining from a random start tends to
   * collapse every embedding onto one point (FaceNet §3.2); a semi-hard start avoids it.
   */
  readonly warmupSteps?: number;
  /** Triplet margin α on squared L2 distances of normalised embeddings. */
  readonly margin: number;
  /** Identities per batch and images per identity. */
  readonly P: number;
  readonly K: number;
  /** Extra single-image identities per batch (negatives only). */
  readonly negatives: number;
  readonly lr: number;
  readonly weightDecay: number;
  /** 'cosine' decays to 1 % of lr over the budget (steps, or training time for --minutes). */
  readonly schedule: 'cosine' | 'constant';
  readonly augment: AugmentOptions;
  readonly seed: number;
  /** Fraction of multi-image identities held out for validation (or an explicit count). */
  readonly valFraction: number;
  readonly valIdentities?: number;
  /** Genuine pairs drawn for validation (and as many impostor pairs). */
  readonly valPairs: number;
  /** Steps per epoch; default one pass over the training identities. */
  readonly epochSteps?: number;
}

export interface Budget {
  epochs?: number;
  steps?: number;
  /** Training time (validation excluded). */
  minutes?: number;
}

export interface TrainInputs {
  /** Chips at the model input size (small arch), or the chip list whose `features` are given (head arch). */
  readonly chips: ChipSet;
  /**
   * Head arch: pretrained normalised embeddings of each chip and of its mirror image, [N × D] each (D = 128, or the
   * pack's).
   */
  readonly features?: { readonly orig: Float32Array; readonly flipped: Float32Array };
}

export interface StepStats {
  readonly step: number;
  readonly loss: number;
  readonly triplets: number;
  readonly activeFraction: number;
  readonly meanPos: number;
  readonly meanNeg: number;
  readonly images: number;
  readonly seconds: number;
  readonly lr: number;
}

export interface CheckpointHeader {
  readonly version: 1;
  readonly config: TrainConfig;
  readonly step: number;
  readonly trainSeconds: number;
  readonly rng: RngState;
  readonly sampler: { order: number[]; pos: number; epoch: number };
  readonly records: EpochRecord[];
  readonly trainIdentities: string[];
  readonly valIdentities: string[];
  readonly adamStep: number;
  readonly budget: Budget;
}

interface EpochAcc {
  steps: number;
  loss: number;
  active: number;
  pos: number;
  neg: number;
  images: number;
  triplets: number;
  seconds: number;
}

const emptyAcc = (): EpochAcc => ({ steps: 0, loss: 0, active: 0, pos: 0, neg: 0, images: 0, triplets: 0, seconds: 0 });

export class Trainer {
  readonly model: EmbeddingModel;
  readonly optimizer: AdamW;
  readonly sampler: PKSampler | DistilSampler;
  readonly trainIdentities: number[];
  readonly valIdentities: number[];
  readonly valPairs: Pair[];
  readonly stepsPerEpoch: number;
  private readonly rng: Rng;
  step = 0;
  trainSeconds = 0;
  records: EpochRecord[] = [];
  budget: Budget = {};
  private acc = emptyAcc();
  private buf: Float32Array;

  constructor(
    readonly config: TrainConfig,
    readonly inputs: TrainInputs,
  ) {
    const { chips } = inputs;
    invariant(
      config.arch.arch !== 'small' || chips.size === config.arch.inputSize,
      `chips are ${chips.size}px, the model takes ${config.arch.inputSize}px`,
    );
    invariant(config.arch.arch !== 'head' || inputs.features, 'head arch needs pretrained features');
    this.rng = new Rng(config.seed);
    this.model = new EmbeddingModel(config.arch, config.seed);
    this.optimizer = new AdamW({ lr: config.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: config.weightDecay });
    const groups = byIdentity(chips.labels, chips.identities.length);
    // a separate stream for the split and validation pairs, so they do not depend on training settings
    const splitRng = new Rng(config.seed ^ 0x5eed);
    const split = splitIdentities(
      chips.labels,
      chips.identities.length,
      splitRng,
      config.valFraction,
      config.valIdentities,
    );
    this.trainIdentities = split.train;
    this.valIdentities = split.val;
    const valIdx = split.val.flatMap((i) => groups[i]);
    this.valPairs = valIdx.length ? makePairs(valIdx, chips.labels, splitRng, config.valPairs) : [];
    invariant(config.loss !== 'distil' || isProjectionHead(config.arch), 'distillation trains a pack head only');
    this.sampler =
      config.loss === 'distil'
        ? new DistilSampler(
            split.train.flatMap((i) => groups[i]),
            config.batch ?? DEFAULT_DISTIL_BATCH,
            this.rng,
          )
        : new PKSampler(groups, split.train, config.P, config.K, config.negatives, this.rng);
    this.stepsPerEpoch = config.epochSteps ?? this.sampler.stepsPerEpoch;
    const maxBatch =
      config.loss === 'distil' ? 2 * (config.batch ?? DEFAULT_DISTIL_BATCH) : config.P * config.K + config.negatives;
    this.buf = new Float32Array(maxBatch * this.perSample());
  }

  private perSample(): number {
    return inputLength(this.config.arch);
  }

  get epoch(): number {
    return Math.floor(this.step / this.stepsPerEpoch);
  }

  /** Fraction of the budget used, for the learning-rate schedule and progress bars. */
  progress(): number {
    const b = this.budget;
    if (b.steps) return Math.min(1, this.step / b.steps);
    if (b.epochs) return Math.min(1, this.step / (b.epochs * this.stepsPerEpoch));
    if (b.minutes) return Math.min(1, this.trainSeconds / (b.minutes * 60));
    return 0;
  }

  done(): boolean {
    const b = this.budget;
    if (b.steps !== undefined && this.step >= b.steps) return true;
    if (b.epochs !== undefined && this.step >= b.epochs * this.stepsPerEpoch) return true;
    if (b.minutes !== undefined && this.trainSeconds >= b.minutes * 60) return true;
    return false;
  }

  currentLr(): number {
    if (this.config.schedule === 'constant') return this.config.lr;
    const t = this.progress();
    return this.config.lr * (0.01 + 0.99 * 0.5 * (1 + Math.cos(Math.PI * t)));
  }

  /** Batch input tensor for chip indices (augmented when training). */
  private batchInput(indices: readonly number[], augment: boolean, inputs: TrainInputs = this.inputs): tf.Tensor {
    const { chips, features } = inputs;
    const a = this.config.arch;
    const n = indices.length;
    if (a.arch === 'small') {
      const per = this.perSample();
      const buf = this.buf.length >= n * per ? this.buf : new Float32Array(n * per);
      fillBatch(chips, indices, buf, this.rng, augment ? this.config.augment : { flip: false, shift: 0, jitter: 0 });
      return tf.tensor4d(buf.subarray(0, n * per), [n, a.inputSize, a.inputSize, 3]);
    }
    const d = this.perSample();
    const out = new Float32Array(n * d);
    indices.forEach((idx, k) => {
      const src = augment && this.config.augment.flip && this.rng.next() < 0.5 ? features!.flipped : features!.orig;
      out.set(src.subarray(idx * d, (idx + 1) * d), k * d);
    });
    return tf.tensor2d(out, [n, d]);
  }

  /** One optimisation step on the next P×K batch. */
  /** The miner used at a step: semi-hard during the warm-up, then the configured one. */
  miningAt(step: number): Mining {
    return step < (this.config.warmupSteps ?? 0) ? 'semi-hard' : this.config.mining;
  }

  trainStep(): StepStats {
    if (this.sampler instanceof DistilSampler) return this.distilStep(this.sampler);
    const t0 = performance.now();
    const { indices, labels } = this.sampler.next();
    const n = indices.length;
    const x = this.batchInput(indices, true);
    const lr = this.currentLr();
    let stats: ReturnType<typeof tripletMasks>['stats'] | undefined;
    let pairs = { pos: 0, neg: 0 };
    const vars = [...this.model.params.values()];
    const { value, grads } = tf.variableGrads(() => {
      const e = this.model.forward(x, { training: true });
      const D = pairwiseSquaredDistances(e);
      const d = D.dataSync();
      const sel = selectTriplets(d, labels, this.miningAt(this.step), this.rng);
      const m = tripletMasks(d, n, sel, this.config.margin);
      stats = m.stats;
      pairs = pairDistanceMeans(d, labels);
      return tf.add(tf.sum(tf.mul(D, tf.tensor2d(m.weights, [n, n]))), m.constant) as tf.Scalar;
    }, vars);
    const loss = this.applyGradients(value, grads, lr);
    x.dispose();
    const s = stats!;
    return this.recordStep(t0, { loss, triplets: s.count, activeFraction: s.activeFraction, images: n, lr, ...pairs });
  }

  /**
   * One distillation step: the batch's images and their mirror images; the loss compares the head's cosine
   * similarities with the pack's. meanPos / meanNeg report the head's squared distances of (image, mirror) pairs
   * and of all other pairs.
   */
  private distilStep(sampler: DistilSampler): StepStats {
    const t0 = performance.now();
    const picked = sampler.next();
    const { orig, flipped } = this.inputs.features!;
    const x = tf.tensor2d(mirroredRows(orig, flipped, picked, this.perSample()), [2 * picked.length, this.perSample()]);
    const lr = this.currentLr();
    const { value, grads, pairs } = distilGradients(this.model, x);
    const loss = this.applyGradients(value, grads, lr);
    x.dispose();
    return this.recordStep(t0, { loss, triplets: 0, activeFraction: 0, images: 2 * picked.length, lr, ...pairs });
  }

  private applyGradients(value: tf.Scalar, grads: tf.NamedTensorMap, lr: number): number {
    const named = new Map<string, tf.Tensor>();
    for (const [k, v] of this.model.params) named.set(k, grads[v.name]);
    this.optimizer.apply(this.model.params, named, lr, (name) => this.model.isDecayed(name));
    const loss = value.dataSync()[0];
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    return loss;
  }

  private recordStep(
    t0: number,
    s: Omit<StepStats, 'step' | 'seconds' | 'meanPos' | 'meanNeg'> & PairMeans,
  ): StepStats {
    this.step++;
    const seconds = (performance.now() - t0) / 1000;
    this.trainSeconds += seconds;
    const a = this.acc;
    a.steps++;
    a.loss += s.loss;
    a.active += s.activeFraction;
    a.pos += s.pos;
    a.neg += s.neg;
    a.images += s.images;
    a.triplets += s.triplets;
    a.seconds += seconds;
    const { pos, neg, ...rest } = s;
    return { ...rest, step: this.step, meanPos: pos, meanNeg: neg, seconds };
  }

  /**
   * A linear pack head starts from the PCA of the training images' embeddings, plain and mirrored (distillation's
   * default start). Returns the share of their energy the head's dimensions keep.
   */
  initPca(): number {
    const a = this.config.arch;
    invariant(isProjectionHead(a) && a.hidden === 0, 'a PCA start needs a linear pack head');
    const { orig, flipped } = this.inputs.features!;
    const pca = pcaProjection(mirroredRows(orig, flipped, this.trainImages(), a.inputDim), a.inputDim, a.embeddingDim);
    this.model.restore({ params: { 'proj/w': pca.w, 'proj/b': pca.b }, state: {} });
    return pca.kept;
  }

  /** Image indices of the training identities. */
  trainImages(): number[] {
    const groups = byIdentity(this.inputs.chips.labels, this.inputs.chips.identities.length);
    return this.trainIdentities.flatMap((i) => groups[i]);
  }

  /** Inference embeddings [indices.length × dim] of chips of `inputs` (default: the training inputs). */
  embed(indices: readonly number[], inputs: TrainInputs = this.inputs, batch = 64): Float32Array {
    const dim = this.config.arch.embeddingDim;
    const out = new Float32Array(indices.length * dim);
    for (let i = 0; i < indices.length; i += batch) {
      const part = indices.slice(i, i + batch);
      const x = this.batchInput(part, false, inputs);
      const e = tf.tidy(() => this.model.forward(x, { training: false }));
      out.set(e.dataSync(), i * dim);
      e.dispose();
      x.dispose();
    }
    return out;
  }

  /** The validation pairs' embeddings (rows) and the pairs re-indexed into them. */
  private validationEmbeddings(): { emb: Float32Array; pairs: Pair[] } {
    const ids = [...new Set(this.valPairs.flatMap((p) => [p.i, p.j]))].sort((a, b) => a - b);
    const pos = new Map(ids.map((v, k) => [v, k]));
    return {
      emb: this.embed(ids),
      pairs: this.valPairs.map((p) => ({ i: pos.get(p.i)!, j: pos.get(p.j)!, same: p.same })),
    };
  }

  /** Verification stats on the validation pairs (undefined without validation identities). */
  validate(): VerificationStats | undefined {
    if (!this.valPairs.length) return undefined;
    const { emb, pairs } = this.validationEmbeddings();
    return verificationStats(emb, this.config.arch.embeddingDim, pairs);
  }

  /**
   * Labelled distances of the validation pairs under the current weights (plain chips, no flip); empty without
   * validation.
   */
  validationDistances(): ScoredPair[] {
    if (!this.valPairs.length) return [];
    const { emb, pairs } = this.validationEmbeddings();
    return scorePairs(emb, this.config.arch.embeddingDim, pairs);
  }

  /** Close the current epoch: validate and append a learning-curve record. */
  endEpoch(): EpochRecord {
    const a = this.acc;
    const v = this.validate();
    const k = Math.max(1, a.steps);
    const rec: EpochRecord = {
      epoch: this.epoch,
      step: this.step,
      seconds: this.trainSeconds,
      lr: this.currentLr(),
      loss: a.loss / k,
      activeFraction: a.active / k,
      meanPos: a.pos / k,
      meanNeg: a.neg / k,
      imagesPerSec: a.seconds ? a.images / a.seconds : 0,
      tripletsPerSec: a.seconds ? a.triplets / a.seconds : 0,
      ...(v
        ? { valAccuracy: v.accuracy, valAuc: v.auc, valTarAtFar1e3: v.tarAtFar1e3, valTarAtFar1e2: v.tarAtFar1e2 }
        : {}),
    };
    this.records.push(rec);
    this.acc = emptyAcc();
    return rec;
  }

  /** Steps taken since the last epoch record. */
  get pendingSteps(): number {
    return this.acc.steps;
  }

  /** True when the step just taken ended an epoch. */
  atEpochEnd(): boolean {
    return this.step > 0 && this.step % this.stepsPerEpoch === 0;
  }

  checkpoint(): Checkpoint<CheckpointHeader> {
    const snap = this.model.snapshot();
    const opt = this.optimizer.snapshot();
    return {
      header: {
        version: 1,
        config: this.config,
        step: this.step,
        trainSeconds: this.trainSeconds,
        rng: this.rng.state(),
        sampler: this.sampler.state(),
        records: this.records,
        trainIdentities: this.trainIdentities.map((i) => this.inputs.chips.identities[i]),
        valIdentities: this.valIdentities.map((i) => this.inputs.chips.identities[i]),
        adamStep: opt.step,
        budget: this.budget,
      },
      arrays: { params: snap.params, state: snap.state, adamM: opt.m, adamV: opt.v },
    };
  }

  /**
   * Resume from a checkpoint of this same run (same data and settings): weights, optimizer, RNG, sampler,
   * counters and curves. The partial epoch in progress when it was written restarts its statistics.
   */
  resume(ckpt: Checkpoint<CheckpointHeader>): void {
    const h = ckpt.header;
    const names = this.trainIdentities.map((i) => this.inputs.chips.identities[i]);
    if (names.join('\n') !== h.trainIdentities.join('\n'))
      throw new FaceError(
        'INVALID_INPUT',
        '--resume continues the run in its --out folder, whose checkpoint was trained on other identities ' +
          '(different --data or --seed): use the same ones, a new --out, or --init to start from its weights',
      );
    this.model.restore({ params: ckpt.arrays.params, state: ckpt.arrays.state });
    this.optimizer.restore({ step: h.adamStep, m: ckpt.arrays.adamM, v: ckpt.arrays.adamV });
    this.rng.setState(h.rng);
    this.sampler.setState(h.sampler);
    this.step = h.step;
    this.trainSeconds = h.trainSeconds;
    this.records = [...h.records];
    this.budget = { ...h.budget };
  }

  /** Start from another model's weights (fine-tuning): parameters and batch-norm state only. */
  initFrom(arrays: { params: Record<string, NamedArray>; state: Record<string, NamedArray> }): void {
    this.model.restore(arrays);
  }

  /** Metadata recorded in the exported ONNX model. */
  metadata(extra: Record<string, unknown> = {}): Record<string, string> {
    const a = this.config.arch;
    const last = this.records[this.records.length - 1];
    const settings = {
      ...this.config,
      steps: this.step,
      trainSeconds: Math.round(this.trainSeconds),
      budget: this.budget,
      lastEpoch: last,
      ...extra,
    };
    if (isProjectionHead(a))
      return {
        [META_KEYS.inputSize]: String(a.inputSize),
        [META_KEYS.arch]: a.arch,
        [META_KEYS.embeddingDim]: String(a.embeddingDim),
        [META_KEYS.inputDim]: String(a.inputDim),
        [META_KEYS.pack]: a.pack,
        [META_KEYS.settings]: JSON.stringify(settings),
      };
    return {
      [META_KEYS.inputSize]: String(a.inputSize),
      [META_KEYS.arch]: a.arch,
      [META_KEYS.embeddingDim]: String(a.embeddingDim),
      // the graph normalises internally; these say how (head: the pretrained net's own normalisation)
      [META_KEYS.mean]: JSON.stringify(a.arch === 'small' ? SMALL_MEAN : [122.782, 117.001, 104.298]),
      [META_KEYS.std]: JSON.stringify(a.arch === 'small' ? SMALL_STD : [255, 255, 255]),
      [META_KEYS.settings]: JSON.stringify(settings),
    };
  }

  /** The trained model as ONNX bytes (`recognitionWeights` needed for the head arch). */
  exportOnnx(
    recognitionWeights?: WeightMap,
    extra: Record<string, unknown> = {},
    props: Record<string, string> = {},
  ): Uint8Array {
    return this.model.toGraph({ ...this.metadata(extra), ...props }, recognitionWeights).toBytes();
  }

  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
  }
}
