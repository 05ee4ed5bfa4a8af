/**
 * A whole training run, as `facenet train` does it: load (and cache) chips, compute pretrained features for the
 * head arch, train within the budget with per-epoch validation, checkpoints and learning curves, and export
 * model.onnx with its settings. Stops cleanly (checkpoint + export) when `signal.stop` is set, e.g. on Ctrl-C.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { useBackend, type TrainBackend } from './backend.js';
import type { Loss } from './archs.js';
import { defaultArch, isProjectionHead, type Arch, type ArchSettings } from './model.js';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import { curvesSvg, type EpochRecord } from './curves.js';
import {
  defaultChipCacheDir,
  loadChips,
  type AugmentOptions,
  type ChipExtractor,
  type ChipSet,
  type ChipSource,
} from './data.js';
import { Trainer, type Budget, type CheckpointHeader, type StepStats, type TrainConfig } from './trainer.js';
import type { Mining } from './triplet.js';
import { FaceError, invariant } from '../errors.js';
import { flipHorizontal } from '../image/transform.js';
import type { RgbImage } from '../image/types.js';
import { CHIP_SIZE } from '../embed/recognition-graph.js';
import { faceApiModelDir } from '../engine/model-store.js';
import { loadTfjsWeights, type WeightMap } from '../engine/tfjs-weights.js';
import { calibrate } from '../decide/calibration.js';
import { DEFAULT_PACK } from '../pack/packs.js';
import { calibrationProp, type StoredCalibration } from './model-meta.js';
import { headSource, packFeatures } from './pack-features.js';
import { resolvePack } from '../pack/router.js';

export interface TrainRunOptions {
  data: string;
  out: string;
  arch?: Arch;
  /** Small arch input size S (default 64). */
  inputSize?: number;
  /** Full architecture settings (overrides arch / inputSize). */
  archSettings?: ArchSettings;
  mining?: Mining;
  /** 'triplet' (default) or 'distil' (a pack head matching the pack's similarities; src/train/distil.ts). */
  loss?: Loss;
  /** Distillation: images per batch (each with its mirror image). */
  batch?: number;
  /** Distillation, linear head: start from the PCA of the training embeddings (default true). */
  pcaInit?: boolean;
  /** Semi-hard steps before `mining` takes over (see TrainConfig.warmupSteps). */
  warmupSteps?: number;
  margin?: number;
  P?: number;
  K?: number;
  negatives?: number;
  lr?: number;
  weightDecay?: number;
  schedule?: 'cosine' | 'constant';
  augment?: Partial<AugmentOptions>;
  seed?: number;
  valFraction?: number;
  valIdentities?: number;
  valPairs?: number;
  epochSteps?: number;
  /** Default: 20 epochs. */
  budget?: Budget;
  /** Continue from OUT/checkpoints/last.ckpt. */
  resume?: boolean;
  /** Start from the weights of a checkpoint (file, or a training output folder). */
  init?: string;
  /** How photos become chips (default 'auto'). */
  source?: ChipSource;
  chipCacheDir?: string;
  extractor?: ChipExtractor;
  /** No face detected: align from a centre box (LFW-style photos). */
  centreFallback?: boolean;
  /** Identities (folder names) to leave out of training, e.g. evaluation people. */
  exclude?: ReadonlySet<string>;
  maxPerIdentity?: number;
  /**
   * Head arch on a pack: the features are this pack's frozen embeddings (a projection head exported alone),
   * instead of the built-in 128-D net's (a residual head composed with it).
   */
  pack?: string;
  models?: string;
  acceptLicense?: boolean;
  /** Head hidden width (pack heads: default 0, a linear projection). */
  hidden?: number;
  /** Output dimension of a pack head (default 128). */
  embeddingDim?: number;
  /** Inference workers that embed images for a pack head (default one per core). */
  workers?: number;
  /** Embedding cache for a pack head (default the evaluations' cache); false = none. */
  embeddingCache?: string | false;
  /** ONNX model cache of the pipeline (pretrained features for --arch head). */
  cacheDir?: string;
  threads?: number;
  backend?: TrainBackend;
  /** Also checkpoint every this many seconds of training (default 300). */
  checkpointEverySec?: number;
  signal?: { stop: boolean };
  onLoad?: (done: number, total: number, what: string) => void;
  /** A distilled head started from the PCA: the share of the embeddings' variance its dimensions keep. */
  onPca?: (kept: number) => void;
  onStart?: (t: Trainer) => void;
  onStep?: (t: Trainer, s: StepStats) => void;
  onEpoch?: (t: Trainer, r: EpochRecord) => void;
}

export interface TrainRunResult {
  readonly out: string;
  readonly modelPath: string;
  readonly settingsPath: string;
  readonly curvesJson: string;
  readonly curvesSvg: string;
  readonly checkpoint: string;
  readonly steps: number;
  readonly epochs: number;
  readonly trainSeconds: number;
  readonly stopped: boolean;
  readonly records: EpochRecord[];
  readonly imagesPerSec: number;
  readonly tripletsPerSec: number;
  readonly trainImages: number;
  readonly trainIdentities: number;
  readonly valIdentities: number;
  readonly missingFaces: number;
  readonly final?: EpochRecord;
  /** The calibration stored in model.onnx (absent when the run had no validation pairs of both kinds). */
  readonly calibration?: StoredCalibration;
}

/**
 * The calibration table of the validation pairs under the trained weights, by the same `calibrate` as
 * `facenet calibrate`: plain chips (no crop TTA, no flip) aligned by the default pack (as loadChips makes them),
 * as validation embeds them. Undefined without validation.
 */
export function validationCalibration(
  trainer: Trainer,
  chips: string,
  pack = DEFAULT_PACK,
): StoredCalibration | undefined {
  const scored = trainer.validationDistances();
  if (!scored.some((p) => p.same) || !scored.some((p) => !p.same)) return undefined;
  const source = `facenet train validation split: ${trainer.valIdentities.length} identities, ${scored.length} pairs`;
  // the model id is a hash of the exported bytes, which hold this table: the recognizer supplies it on load
  return { flip: false, crops: [], chips, pack, table: calibrate(scored, { modelId: '', source }) };
}

const DEFAULTS = {
  mining: 'semi-hard' as Mining,
  margin: 0.2,
  P: 16,
  K: 4,
  negatives: 8,
  lr: 1e-3,
  weightDecay: 5e-4,
  schedule: 'cosine' as const,
  seed: 1,
  valFraction: 0.1,
  valPairs: 1000,
};

export function buildConfig(o: TrainRunOptions, arch?: ArchSettings): TrainConfig {
  const source = o.pack !== undefined && (o.arch ?? 'small') === 'head' ? headSource(resolvePack(o.pack)) : undefined;
  const a =
    arch ??
    o.archSettings ??
    defaultArch(o.arch ?? 'small', o.inputSize, source, { hidden: o.hidden, embeddingDim: o.embeddingDim });
  const headish = a.arch === 'head';
  // a projection of a strong pack's embeddings starts with few active triplets at margin 0.2 and lr 3e-4: measured
  // on EdgeFace-XS (docs/packs.md, "512 → 128 head"), margin 1.0 and lr 1e-2 lose nothing on LFW View 1
  const projection = isProjectionHead(a);
  const distil = o.loss === 'distil';
  if (distil && !projection)
    throw new FaceError('INVALID_INPUT', '--loss distil trains a pack head: use it with --arch head --pack P');
  const linear = projection && a.hidden === 0;
  if (o.pcaInit && !(distil && linear))
    throw new FaceError(
      'INVALID_INPUT',
      'a PCA start is for distilling a linear pack head (--loss distil, --hidden 0)',
    );
  const pcaInit = o.pcaInit ?? linear;
  return {
    arch: a,
    ...(distil ? { loss: o.loss, ...(o.batch ? { batch: o.batch } : {}), pcaInit } : {}),
    mining: o.mining ?? DEFAULTS.mining,
    ...(o.warmupSteps ? { warmupSteps: o.warmupSteps } : {}),
    margin: o.margin ?? (projection ? 1 : DEFAULTS.margin),
    P: o.P ?? DEFAULTS.P,
    K: o.K ?? DEFAULTS.K,
    negatives: o.negatives ?? DEFAULTS.negatives,
    // distillation starts from the PCA, already close: a tenth of the triplet head's rate
    lr: o.lr ?? (distil ? 1e-3 : projection ? 1e-2 : headish ? 3e-4 : DEFAULTS.lr),
    weightDecay: o.weightDecay ?? (headish ? 0 : DEFAULTS.weightDecay),
    schedule: o.schedule ?? DEFAULTS.schedule,
    augment: { flip: true, shift: headish ? 0 : Math.round(a.inputSize / 16), jitter: headish ? 0 : 0.1, ...o.augment },
    seed: o.seed ?? DEFAULTS.seed,
    valFraction: o.valFraction ?? DEFAULTS.valFraction,
    ...(o.valIdentities !== undefined ? { valIdentities: o.valIdentities } : {}),
    valPairs: o.valPairs ?? DEFAULTS.valPairs,
    ...(o.epochSteps !== undefined ? { epochSteps: o.epochSteps } : {}),
  };
}

export function recognitionWeights(): Promise<WeightMap> {
  return loadTfjsWeights(path.join(faceApiModelDir(), 'face_recognition_model-weights_manifest.json'));
}

/**
 * Pretrained normalised 128-D embeddings of 150×150 chips and of their mirror images (head arch inputs),
 * cached next to the chips, keyed by the model id and the chip files.
 */
export async function pretrainedFeatures(
  chips: ChipSet,
  opts: {
    cacheFile?: string;
    cacheDir?: string;
    threads?: number;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<{ orig: Float32Array; flipped: Float32Array }> {
  invariant(chips.size === CHIP_SIZE, `pretrained features need ${CHIP_SIZE}px chips`);
  const { Embedder } = await import('../embed/embedder.js');
  const embedder = await Embedder.load({ cacheDir: opts.cacheDir, threads: opts.threads });
  const n = chips.files.length;
  const key = createHash('sha256').update(embedder.modelId).update(chips.files.join('\n')).digest('hex').slice(0, 16);
  const file = opts.cacheFile ? `${opts.cacheFile}-${key}.f32` : undefined;
  try {
    if (file && existsSync(file)) {
      const buf = await readFile(file);
      if (buf.length === n * 128 * 2 * 4) {
        const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
        return { orig: all.slice(0, n * 128), flipped: all.slice(n * 128) };
      }
    }
    const orig = new Float32Array(n * 128);
    const flipped = new Float32Array(n * 128);
    const per = CHIP_SIZE * CHIP_SIZE * 3;
    const B = 32;
    for (let i = 0; i < n; i += B) {
      const batch: RgbImage[] = [];
      for (let k = i; k < Math.min(n, i + B); k++)
        batch.push({ width: CHIP_SIZE, height: CHIP_SIZE, data: chips.pixels.subarray(k * per, (k + 1) * per) });
      const e = await embedder.embedChips(batch);
      const f = await embedder.embedChips(batch.map(flipHorizontal));
      e.forEach((v, k) => orig.set(v, (i + k) * 128));
      f.forEach((v, k) => flipped.set(v, (i + k) * 128));
      opts.onProgress?.(Math.min(n, i + B), n);
    }
    if (file) {
      await mkdir(path.dirname(file), { recursive: true });
      const all = new Float32Array(2 * n * 128);
      all.set(orig);
      all.set(flipped, n * 128);
      await writeFileAtomic(file, Buffer.from(all.buffer));
    }
    return { orig, flipped };
  } finally {
    await embedder.close();
  }
}

/** A checkpoint path from a file or a training output folder. */
export async function resolveCheckpoint(p: string): Promise<string> {
  try {
    const st = await stat(p);
    if (st.isDirectory()) {
      const f = path.join(p, 'checkpoints', 'last.ckpt');
      if (existsSync(f)) return f;
      const g = path.join(p, 'last.ckpt');
      if (existsSync(g)) return g;
      throw new FaceError('INVALID_INPUT', `no checkpoint in ${p} (expected checkpoints/last.ckpt)`, { path: p });
    }
    return p;
  } catch (e) {
    if (e instanceof FaceError) throw e;
    throw new FaceError(
      'INVALID_INPUT',
      `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { path: p },
    );
  }
}

async function writeJson(file: string, v: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(v, null, 2)}\n`);
}

/** Load the chips (and features) a configuration needs. */
export async function loadTrainInputs(
  o: TrainRunOptions,
  config: TrainConfig,
): Promise<{ chips: ChipSet; features?: { orig: Float32Array; flipped: Float32Array } }> {
  const a = config.arch;
  if (isProjectionHead(a)) {
    const pf = await packFeatures(o.data, {
      pack: a.pack,
      models: o.models,
      acceptLicense: o.acceptLicense,
      workers: o.workers,
      cacheFile: o.embeddingCache,
      exclude: o.exclude,
      maxPerIdentity: o.maxPerIdentity,
      onProgress: (d, t) => o.onLoad?.(d, t, 'embeddings'),
    });
    return { chips: pf.chips, features: pf.features };
  }
  const size = config.arch.arch === 'head' ? CHIP_SIZE : config.arch.inputSize;
  const chips = await loadChips(o.data, {
    size,
    source: o.source,
    chipCacheDir: o.chipCacheDir,
    extractor: o.extractor,
    centreFallback: o.centreFallback,
    exclude: o.exclude,
    maxPerIdentity: o.maxPerIdentity,
    onProgress: (d, t) => o.onLoad?.(d, t, 'chips'),
  });
  if (config.arch.arch !== 'head') return { chips };
  const cacheBase = path.join(o.chipCacheDir ?? defaultChipCacheDir(o.data), 'features');
  const features = await pretrainedFeatures(chips, {
    cacheFile: cacheBase,
    cacheDir: o.cacheDir,
    threads: o.threads,
    onProgress: (d, t) => o.onLoad?.(d, t, 'features'),
  });
  return { chips, features };
}

export async function runTraining(o: TrainRunOptions): Promise<TrainRunResult> {
  await useBackend(o.backend ?? 'wasm');
  const out = path.resolve(o.out);
  const ckptDir = path.join(out, 'checkpoints');
  const lastCkpt = path.join(ckptDir, 'last.ckpt');
  let resumeFrom: Checkpoint<CheckpointHeader> | undefined;
  let initFrom: Checkpoint<CheckpointHeader> | undefined;
  if (o.resume) {
    if (!existsSync(lastCkpt))
      throw new FaceError('INVALID_INPUT', `--resume: no checkpoint at ${lastCkpt}`, { path: lastCkpt });
    resumeFrom = await readCheckpoint<CheckpointHeader>(lastCkpt);
  } else if (o.init) {
    initFrom = await readCheckpoint<CheckpointHeader>(await resolveCheckpoint(o.init));
  }
  // a resumed run keeps its settings; --init keeps the architecture of the weights it starts from
  const config: TrainConfig = resumeFrom ? resumeFrom.header.config : buildConfig(o, initFrom?.header.config.arch);
  const budget: Budget = o.budget ?? resumeFrom?.header.budget ?? { epochs: 20 };
  const { chips, features } = await loadTrainInputs(o, config);
  const trainer = new Trainer(config, { chips, features });
  let pcaKept: number | undefined;
  if (resumeFrom) trainer.resume(resumeFrom);
  else if (initFrom) trainer.initFrom(initFrom.arrays);
  else if (config.pcaInit) pcaKept = trainer.initPca();
  if (pcaKept !== undefined) o.onPca?.(pcaKept);
  trainer.budget = budget;
  await mkdir(ckptDir, { recursive: true });
  const projection = isProjectionHead(config.arch);
  const recWeights = config.arch.arch === 'head' && !projection ? await recognitionWeights() : undefined;
  const files = {
    model: path.join(out, 'model.onnx'),
    settings: path.join(out, 'settings.json'),
    curvesJson: path.join(out, 'curves.json'),
    curvesSvg: path.join(out, 'curves.svg'),
  };
  const dataInfo = {
    data: path.resolve(o.data),
    images: chips.files.length,
    identities: chips.identities.length,
    trainIdentities: trainer.trainIdentities.length,
    valIdentities: trainer.valIdentities.length,
    valPairs: trainer.valPairs.length,
    missingFaces: chips.missing.length,
    stepsPerEpoch: trainer.stepsPerEpoch,
  };
  let calibration: StoredCalibration | undefined;
  const saveAll = async (final: boolean) => {
    await writeCheckpoint(lastCkpt, trainer.checkpoint());
    await writeJson(files.curvesJson, trainer.records);
    await writeFile(
      files.curvesSvg,
      curvesSvg(trainer.records, `facenet train: ${config.arch.arch}, ${config.mining}, seed ${config.seed}`),
    );
    if (final) {
      const a = config.arch;
      calibration = isProjectionHead(a)
        ? validationCalibration(
            trainer,
            `pack ${a.pack} embeddings of ${a.inputSize}px chips ` +
              '(labelled face of each photo, as evaluations embed it)',
            a.pack,
          )
        : validationCalibration(
            trainer,
            `${a.arch === 'head' ? CHIP_SIZE : a.inputSize}px chips (source ${o.source ?? 'auto'})`,
          );
      const bytes = trainer.exportOnnx(recWeights, { data: dataInfo }, calibration ? calibrationProp(calibration) : {});
      await writeFileAtomic(files.model, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    await writeJson(files.settings, {
      config,
      budget,
      data: dataInfo,
      steps: trainer.step,
      epochs: trainer.records.length,
      trainSeconds: trainer.trainSeconds,
      final: trainer.records[trainer.records.length - 1] ?? null,
      ...(pcaKept !== undefined ? { pcaVarianceKept: pcaKept } : {}),
      model: final ? 'model.onnx' : null,
      calibration:
        final && calibration
          ? {
              source: calibration.table.source,
              impostorPairs: calibration.table.impostorPairs,
              auc: calibration.table.auc,
            }
          : null,
    });
  };
  o.onStart?.(trainer);
  const signal = o.signal ?? { stop: false };
  const every = o.checkpointEverySec ?? 300;
  let lastSave = trainer.trainSeconds;
  let sumImages = 0;
  let sumTriplets = 0;
  let sumSeconds = 0;
  try {
    while (!trainer.done() && !signal.stop) {
      const s = trainer.trainStep();
      sumImages += s.images;
      sumTriplets += s.triplets;
      sumSeconds += s.seconds;
      o.onStep?.(trainer, s);
      if (trainer.atEpochEnd() || trainer.done()) {
        const rec = trainer.endEpoch();
        o.onEpoch?.(trainer, rec);
        await saveAll(false);
        lastSave = trainer.trainSeconds;
      } else if (trainer.trainSeconds - lastSave >= every) {
        await saveAll(false);
        lastSave = trainer.trainSeconds;
      }
      // let signals (Ctrl-C) and I/O in between steps
      await new Promise((r) => setImmediate(r));
    }
    // a stop mid-epoch still records (and validates) the partial epoch
    if (signal.stop && trainer.pendingSteps > 0) o.onEpoch?.(trainer, trainer.endEpoch());
    await saveAll(true);
  } finally {
    trainer.dispose();
  }
  const final = trainer.records[trainer.records.length - 1];
  return {
    out,
    modelPath: files.model,
    settingsPath: files.settings,
    curvesJson: files.curvesJson,
    curvesSvg: files.curvesSvg,
    checkpoint: lastCkpt,
    steps: trainer.step,
    epochs: trainer.records.length,
    trainSeconds: trainer.trainSeconds,
    stopped: signal.stop,
    records: trainer.records,
    imagesPerSec: sumSeconds ? sumImages / sumSeconds : 0,
    tripletsPerSec: sumSeconds ? sumTriplets / sumSeconds : 0,
    trainImages: chips.files.length,
    trainIdentities: trainer.trainIdentities.length,
    valIdentities: trainer.valIdentities.length,
    missingFaces: chips.missing.length,
    final,
    ...(calibration ? { calibration } : {}),
  };
}
