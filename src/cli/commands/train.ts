/** facenet train: triplet-loss training with online mining on tfjs (wasm), exported to ONNX. */
import type { Command } from 'commander';
import { action, EXIT, printResult, writeErr } from '../output.js';
import { FaceError } from '../../errors.js';
import { MINING_METHODS, type Mining } from '../../train/triplet.js';
import { ARCHS, LOSSES, type Arch, type Loss } from '../../train/archs.js';
import type { Budget } from '../../train/trainer.js';
import type { TrainRunOptions } from '../../train/run.js';
import { numberFlag, POSITIVE_INT, type NumberRule } from '../flags.js';
import { addOptions, JSON_OPTION, type OptionSpec } from '../options.js';
import { trainJson, trainLines, trainProgress } from './train-output.js';

interface TrainFlags {
  data: string;
  out: string;
  arch: string;
  mining: string;
  warmupSteps?: string;
  epochs?: string;
  minutes?: string;
  steps?: string;
  seed: string;
  resume?: boolean;
  init?: string;
  json?: boolean;
  inputSize?: string;
  margin?: string;
  p?: string;
  k?: string;
  negatives?: string;
  lr?: string;
  weightDecay?: string;
  schedule?: string;
  valFraction?: string;
  valIdentities?: string;
  epochSteps?: string;
  aligned?: boolean;
  centreFallback?: boolean;
  chipCache?: string;
  threads?: string;
  backend?: string;
  augment: boolean;
  progress: boolean;
  pack?: string;
  models?: string;
  acceptLicense?: boolean;
  excludePairs?: string[];
  hidden?: string;
  dim?: string;
  loss: string;
  batch?: string;
  pcaInit: boolean;
  workers?: string;
  cache?: string | false;
}

const TRAIN_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--data <dir>',
    help:
      'identity folders: DIR/<person>/*.jpg ' +
      '(photos, or aligned 150×150 chips; an LFW folder holding lfw/ with --pack)',
    required: true,
  },
  {
    flags: '--out <dir>',
    help: 'output folder (model.onnx, settings.json, curves.json/.svg, checkpoints/)',
    required: true,
  },
  {
    flags: '--arch <arch>',
    help:
      'small: compact CNN from scratch; head: projection head on the frozen pretrained 128-D net, ' +
      "or with --pack on that pack's embedder (exported alone, as the pack's projection stage)",
    choices: ARCHS,
    default: 'small',
  },
  {
    flags: '--pack <name>',
    help:
      "--arch head: train on this pack's frozen embeddings (e.g. edgeface-xs: " +
      "512 → 128), read through the evaluations' embedding cache",
  },
  {
    flags: '--models <dir>',
    help: "folder holding the pack's model files (default: FACENET_MODELS, else ~/.local/share/facenet-ts/models)",
  },
  {
    flags: '--accept-license',
    help: 'use a pack whose weights are not permissively licensed (or FACENET_ACCEPT_LICENSE=1)',
  },
  {
    flags: '--exclude-pairs <files...>',
    help: 'leave out every person named in these LFW-format pairs files (e.g. the evaluation pairs)',
  },
  {
    flags: '--loss <loss>',
    help:
      'triplet: online-mined triplets over identities; distil (--pack heads): match the pack’s cosine ' +
      'similarities on every pair of a batch of images and their mirror images (identities unused, but for validation)',
    choices: LOSSES,
    default: 'triplet',
  },
  { flags: '--batch <n>', help: '--loss distil: images per batch, each with its mirror image (default 256)' },
  {
    flags: '--no-pca-init',
    help: '--loss distil: start a linear head from a random projection, not from the PCA of the training embeddings',
  },
  { flags: '--hidden <n>', help: 'head hidden width (0 = linear; default 0 with --pack, 256 without)' },
  { flags: '--dim <n>', help: 'output dimension of a --pack head (default 128)' },
  {
    flags: '--workers <n>',
    help:
      'with --pack: inference worker threads that embed images ' +
      'not in the cache (default one per core; 0 = main thread)',
  },
  {
    flags: '--cache <file>',
    help: 'with --pack: embedding cache file (default ~/.cache/facenet-ts/eval-embeddings.db)',
  },
  { flags: '--no-cache', help: 'with --pack: recompute every embedding' },
  { flags: '--mining <method>', help: 'triplet selection', choices: MINING_METHODS, default: 'semi-hard' },
  {
    flags: '--warmup-steps <n>',
    help: 'mine semi-hard for the first N steps before --mining takes over (batch-hard needs it from scratch)',
  },
  { flags: '--epochs <n>', help: 'train this many epochs (default 20)' },
  { flags: '--minutes <m>', help: 'train for this much time instead (validation time not counted)' },
  { flags: '--steps <n>', help: 'train this many batches instead' },
  {
    flags: '--seed <n>',
    help: 'seed for initialisation, split, batches, augmentation (repeatable runs)',
    default: '1',
  },
  { flags: '--resume', help: 'continue from OUT/checkpoints/last.ckpt (its settings are kept)' },
  { flags: '--init <path>', help: 'start from the weights of a checkpoint or training output folder (fine-tuning)' },
  { ...JSON_OPTION, help: 'machine-readable summary on stdout' },
  { flags: '--input-size <px>', help: 'small arch: chip side the network sees (64 or 96; default 64)' },
  { flags: '--margin <a>', help: 'triplet margin on squared L2 distance (default 0.2; 1.0 for a --pack head)' },
  { flags: '--p <n>', help: 'identities per batch (default 16)' },
  { flags: '--k <n>', help: 'images per identity in a batch (default 4)' },
  { flags: '--negatives <n>', help: 'single-image identities added per batch as negatives (default 8)' },
  { flags: '--lr <rate>', help: 'learning rate (default 1e-3 small, 3e-4 head, 1e-2 --pack head)' },
  { flags: '--weight-decay <w>', help: 'decoupled weight decay (default 5e-4 small, 0 head)' },
  { flags: '--schedule <s>', help: 'learning-rate schedule over the budget', choices: ['cosine', 'constant'] },
  { flags: '--val-fraction <f>', help: 'identities held out for validation (default 0.1)' },
  { flags: '--val-identities <n>', help: 'exact number of validation identities (0 = none)' },
  { flags: '--epoch-steps <n>', help: 'batches per epoch (default: one pass over the training identities)' },
  { flags: '--aligned', help: 'the images are aligned 150×150 chips already (default: detected from the first image)' },
  {
    flags: '--centre-fallback',
    help: 'photos without a detected face: align from a centre box (for LFW-style centred photos)',
  },
  { flags: '--chip-cache <dir>', help: 'where extracted chips are cached (default under the facenet cache)' },
  { flags: '--threads <n>', help: 'inference threads for chip extraction / pretrained features' },
  {
    flags: '--backend <b>',
    help: 'training backend (TensorFlow.js): wasm or cpu',
    choices: ['wasm', 'cpu'],
    default: 'wasm',
  },
  { flags: '--no-augment', help: 'no flips, shifts or brightness jitter' },
  { flags: '--no-progress', help: 'no progress bar' },
];

const COUNT: NumberRule = { int: true, min: 0 };

/** One of --epochs, --minutes, --steps (default: the trainer's 20 epochs). */
function budgetOf(flags: TrainFlags): Budget | undefined {
  if ([flags.epochs, flags.minutes, flags.steps].filter((v) => v !== undefined).length > 1)
    throw new FaceError('INVALID_INPUT', 'give one of --epochs, --minutes, --steps');
  if (flags.epochs) return { epochs: numberFlag('epochs', flags.epochs, POSITIVE_INT)! };
  if (flags.minutes) return { minutes: numberFlag('minutes', flags.minutes, { min: 0.01 })! };
  if (flags.steps) return { steps: numberFlag('steps', flags.steps, POSITIVE_INT)! };
  return undefined;
}

/** The run's settings from the flags, every number checked before anything loads. */
async function trainingOptions(flags: TrainFlags): Promise<TrainRunOptions> {
  const budget = budgetOf(flags);
  if (flags.pack !== undefined && flags.arch !== 'head')
    throw new FaceError('INVALID_INPUT', '--pack trains a projection head: use it with --arch head');
  const n = (name: string, v: string | undefined, rule: NumberRule = {}) => numberFlag(name, v, rule);
  const exclude = flags.excludePairs?.length
    ? (await import('../../train/pack-features.js')).peopleOfPairs(flags.excludePairs)
    : undefined;
  return {
    data: flags.data,
    out: flags.out,
    arch: flags.arch as Arch,
    mining: flags.mining as Mining,
    loss: flags.loss as Loss,
    batch: n('batch', flags.batch, { int: true, min: 2 }),
    // commander sets pcaInit (true) unless --no-pca-init: only the opt-out is passed on
    pcaInit: flags.pcaInit ? undefined : false,
    warmupSteps: n('warmup-steps', flags.warmupSteps, COUNT),
    inputSize: n('input-size', flags.inputSize, { int: true, min: 16, max: 256 }),
    margin: n('margin', flags.margin, { min: 0 }),
    P: n('p', flags.p, { int: true, min: 2 }),
    K: n('k', flags.k, { int: true, min: 2 }),
    negatives: n('negatives', flags.negatives, COUNT),
    lr: n('lr', flags.lr, { min: 0 }),
    weightDecay: n('weight-decay', flags.weightDecay, { min: 0 }),
    schedule: flags.schedule as 'cosine' | 'constant' | undefined,
    augment: flags.augment ? undefined : { flip: false, shift: 0, jitter: 0 },
    seed: n('seed', flags.seed, { int: true }),
    valFraction: n('val-fraction', flags.valFraction, { min: 0, max: 0.9 }),
    valIdentities: n('val-identities', flags.valIdentities, COUNT),
    epochSteps: n('epoch-steps', flags.epochSteps, POSITIVE_INT),
    budget,
    pack: flags.pack,
    models: flags.models,
    acceptLicense: flags.acceptLicense || undefined,
    exclude,
    hidden: n('hidden', flags.hidden, COUNT),
    embeddingDim: n('dim', flags.dim, { int: true, min: 2 }),
    workers: n('workers', flags.workers, COUNT),
    embeddingCache: flags.cache,
    resume: flags.resume,
    init: flags.init,
    source: flags.aligned ? 'aligned' : 'auto',
    centreFallback: flags.centreFallback,
    chipCacheDir: flags.chipCache,
    threads: n('threads', flags.threads, COUNT),
    backend: flags.backend as 'wasm' | 'cpu',
  };
}

/** Ctrl-C once: stop after this step, checkpoint and export; twice: abort. */
function stopOnSigint(): { signal: { stop: boolean }; dispose(): void } {
  const signal = { stop: false };
  const onSigint = () => {
    if (signal.stop) process.exit(130);
    signal.stop = true;
    writeErr('\nstopping: saving checkpoint and exporting the model (Ctrl-C again to abort)\n');
  };
  process.on('SIGINT', onSigint);
  return { signal, dispose: () => process.off('SIGINT', onSigint) };
}

async function train(flags: TrainFlags): Promise<number> {
  const opts = await trainingOptions(flags);
  const { runTraining } = await import('../../train/run.js');
  const sigint = stopOnSigint();
  const progress = trainProgress(flags.progress && process.stderr.isTTY === true, !!flags.json);
  try {
    const res = await runTraining({ ...opts, ...progress, signal: sigint.signal });
    progress.stop();
    printResult(flags, trainJson(res), () => trainLines(res));
    return EXIT.ok;
  } finally {
    progress.stop();
    sigint.dispose();
  }
}

export function registerTrainCommands(program: Command): void {
  const cmd = program
    .command('train')
    .description(
      'train an embedding model (triplet loss with online mining, or --loss distil: a smaller head that keeps a ' +
        "pack's similarities); writes model.onnx, settings, curves, checkpoints",
    );
  addOptions(cmd, TRAIN_OPTIONS).action(action(train));
}
