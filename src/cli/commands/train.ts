/** facenet train: triplet-loss training with online mining on tfjs (wasm), exported to ONNX. */
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { action, EXIT, printResult } from '../output.js';
import { ttaFlagsOf } from '../../gallery/face-source.js';
import { FaceError } from '../../errors.js';
import { MINING_METHODS, type Mining } from '../../train/triplet.js';
import { ARCHS, type Arch } from '../../train/archs.js';
import type { Budget } from '../../train/trainer.js';
import type { EpochRecord } from '../../train/curves.js';

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
  workers?: string;
  cache?: string | false;
}

function num(
  name: string,
  v: string | undefined,
  opts: { int?: boolean; min?: number; max?: number } = {},
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (
    !Number.isFinite(n) ||
    (opts.int && !Number.isInteger(n)) ||
    (opts.min !== undefined && n < opts.min) ||
    (opts.max !== undefined && n > opts.max)
  )
    throw new FaceError(
      'INVALID_INPUT',
      `--${name} expects ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` ≤ ${opts.max}` : ''}, got "${v}"`,
    );
  return n;
}

const pct = (v: number | undefined) => (v === undefined ? '   –  ' : `${(100 * v).toFixed(1).padStart(5)}%`);

export function epochLine(r: EpochRecord): string {
  return (
    `epoch ${String(r.epoch).padStart(3)}  step ${String(r.step).padStart(6)}  loss ${r.loss.toFixed(4)}  active ${pct(r.activeFraction)}  ` +
    `d+ ${r.meanPos.toFixed(3)} d− ${r.meanNeg.toFixed(3)}  val acc ${pct(r.valAccuracy)} TAR@FAR1e-3 ${pct(r.valTarAtFar1e3)}  ` +
    `${r.imagesPerSec.toFixed(1)} img/s ${r.tripletsPerSec.toFixed(0)} triplets/s  lr ${r.lr.toExponential(1)}`
  );
}

export function registerTrainCommands(program: Command): void {
  program
    .command('train')
    .description(
      'train an embedding model with triplet loss and online mining; writes model.onnx, settings, curves, checkpoints',
    )
    .requiredOption(
      '--data <dir>',
      'identity folders: DIR/<person>/*.jpg (photos, or aligned 150×150 chips; an LFW folder holding lfw/ with --pack)',
    )
    .requiredOption('--out <dir>', 'output folder (model.onnx, settings.json, curves.json/.svg, checkpoints/)')
    .addOption(
      new Option(
        '--arch <arch>',
        "small: compact CNN from scratch; head: projection head on the frozen pretrained 128-D net, or with --pack on that pack's embedder (exported alone, as the pack's projection stage)",
      )
        .choices([...ARCHS])
        .default('small'),
    )
    .option(
      '--pack <name>',
      "--arch head: train on this pack's frozen embeddings (e.g. edgeface-xs: 512 → 128), read through the evaluations' embedding cache",
    )
    .option(
      '--models <dir>',
      "folder holding the pack's model files (default: FACENET_MODELS, else ~/.local/share/facenet-ts/models)",
    )
    .option('--accept-license', 'use a pack whose weights are not permissively licensed (or FACENET_ACCEPT_LICENSE=1)')
    .option(
      '--exclude-pairs <files...>',
      'leave out every person named in these LFW-format pairs files (e.g. the evaluation pairs)',
    )
    .option('--hidden <n>', 'head hidden width (0 = linear; default 0 with --pack, 256 without)')
    .option('--dim <n>', 'output dimension of a --pack head (default 128)')
    .option(
      '--workers <n>',
      'with --pack: inference worker threads that embed images not in the cache (default one per core; 0 = main thread)',
    )
    .option('--cache <file>', 'with --pack: embedding cache file (default ~/.cache/facenet-ts/eval-embeddings.db)')
    .option('--no-cache', 'with --pack: recompute every embedding')
    .addOption(new Option('--mining <method>', 'triplet selection').choices([...MINING_METHODS]).default('semi-hard'))
    .option(
      '--warmup-steps <n>',
      'mine semi-hard for the first N steps before --mining takes over (batch-hard needs it from scratch)',
    )
    .option('--epochs <n>', 'train this many epochs (default 20)')
    .option('--minutes <m>', 'train for this much time instead (validation time not counted)')
    .option('--steps <n>', 'train this many batches instead')
    .option('--seed <n>', 'seed for initialisation, split, batches, augmentation (repeatable runs)', '1')
    .option('--resume', 'continue from OUT/checkpoints/last.ckpt (its settings are kept)')
    .option('--init <path>', 'start from the weights of a checkpoint or training output folder (fine-tuning)')
    .option('--json', 'machine-readable summary on stdout')
    .option('--input-size <px>', 'small arch: chip side the network sees (64 or 96; default 64)')
    .option('--margin <a>', 'triplet margin on squared L2 distance (default 0.2; 1.0 for a --pack head)')
    .option('--p <n>', 'identities per batch (default 16)')
    .option('--k <n>', 'images per identity in a batch (default 4)')
    .option('--negatives <n>', 'single-image identities added per batch as negatives (default 8)')
    .option('--lr <rate>', 'learning rate (default 1e-3 small, 3e-4 head, 1e-2 --pack head)')
    .option('--weight-decay <w>', 'decoupled weight decay (default 5e-4 small, 0 head)')
    .addOption(new Option('--schedule <s>', 'learning-rate schedule over the budget').choices(['cosine', 'constant']))
    .option('--val-fraction <f>', 'identities held out for validation (default 0.1)')
    .option('--val-identities <n>', 'exact number of validation identities (0 = none)')
    .option('--epoch-steps <n>', 'batches per epoch (default: one pass over the training identities)')
    .option('--aligned', 'the images are aligned 150×150 chips already (default: detected from the first image)')
    .option(
      '--centre-fallback',
      'photos without a detected face: align from a centre box (for LFW-style centred photos)',
    )
    .option('--chip-cache <dir>', 'where extracted chips are cached (default under the facenet cache)')
    .option('--threads <n>', 'inference threads for chip extraction / pretrained features')
    .addOption(
      new Option('--backend <b>', 'training backend (TensorFlow.js): wasm or cpu')
        .choices(['wasm', 'cpu'])
        .default('wasm'),
    )
    .option('--no-augment', 'no flips, shifts or brightness jitter')
    .option('--no-progress', 'no progress bar')
    .action(
      action(async (flags: TrainFlags) => {
        const budgets = [flags.epochs, flags.minutes, flags.steps].filter((v) => v !== undefined).length;
        if (budgets > 1) throw new FaceError('INVALID_INPUT', 'give one of --epochs, --minutes, --steps');
        const budget: Budget | undefined = flags.epochs
          ? { epochs: num('epochs', flags.epochs, { int: true, min: 1 }) }
          : flags.minutes
            ? { minutes: num('minutes', flags.minutes, { min: 0.01 }) }
            : flags.steps
              ? { steps: num('steps', flags.steps, { int: true, min: 1 }) }
              : undefined;
        if (flags.pack !== undefined && flags.arch !== 'head')
          throw new FaceError('INVALID_INPUT', '--pack trains a projection head: use it with --arch head');
        const { runTraining } = await import('../../train/run.js');
        const exclude = flags.excludePairs?.length
          ? (await import('../../train/pack-features.js')).peopleOfPairs(flags.excludePairs)
          : undefined;
        const signal = { stop: false };
        const onSigint = () => {
          if (signal.stop) process.exit(130);
          signal.stop = true;
          process.stderr.write('\nstopping: saving checkpoint and exporting the model (Ctrl-C again to abort)\n');
        };
        process.on('SIGINT', onSigint);
        const showBar = flags.progress && process.stderr.isTTY;
        const bar = showBar
          ? new cliProgress.SingleBar(
              {
                format: 'train |{bar}| {percentage}% step {step} loss {loss} active {active} {ips} img/s',
                stream: process.stderr,
                hideCursor: true,
                clearOnComplete: true,
              },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        let loadBar: cliProgress.SingleBar | undefined;
        let loadWhat = '';
        const log = (s: string) => {
          if (bar) bar.stop();
          process.stderr.write(`${s}\n`);
        };
        try {
          const res = await runTraining({
            data: flags.data,
            out: flags.out,
            arch: flags.arch as Arch,
            mining: flags.mining as Mining,
            warmupSteps: num('warmup-steps', flags.warmupSteps, { int: true, min: 0 }),
            inputSize: num('input-size', flags.inputSize, { int: true, min: 16, max: 256 }),
            margin: num('margin', flags.margin, { min: 0 }),
            P: num('p', flags.p, { int: true, min: 2 }),
            K: num('k', flags.k, { int: true, min: 2 }),
            negatives: num('negatives', flags.negatives, { int: true, min: 0 }),
            lr: num('lr', flags.lr, { min: 0 }),
            weightDecay: num('weight-decay', flags.weightDecay, { min: 0 }),
            schedule: flags.schedule as 'cosine' | 'constant' | undefined,
            augment: flags.augment ? undefined : { flip: false, shift: 0, jitter: 0 },
            seed: num('seed', flags.seed, { int: true }),
            valFraction: num('val-fraction', flags.valFraction, { min: 0, max: 0.9 }),
            valIdentities: num('val-identities', flags.valIdentities, { int: true, min: 0 }),
            epochSteps: num('epoch-steps', flags.epochSteps, { int: true, min: 1 }),
            budget,
            pack: flags.pack,
            models: flags.models,
            acceptLicense: flags.acceptLicense || undefined,
            exclude,
            hidden: num('hidden', flags.hidden, { int: true, min: 0 }),
            embeddingDim: num('dim', flags.dim, { int: true, min: 2 }),
            workers: num('workers', flags.workers, { int: true, min: 0 }),
            embeddingCache: flags.cache,
            resume: flags.resume,
            init: flags.init,
            source: flags.aligned ? 'aligned' : 'auto',
            centreFallback: flags.centreFallback,
            chipCacheDir: flags.chipCache,
            threads: num('threads', flags.threads, { int: true, min: 0 }),
            backend: flags.backend as 'wasm' | 'cpu',
            signal,
            onLoad: (done, total, what) => {
              if (!showBar) return;
              if (!loadBar || what !== loadWhat) {
                loadBar?.stop();
                loadWhat = what;
                loadBar = new cliProgress.SingleBar(
                  { format: `${what} |{bar}| {value}/{total}`, stream: process.stderr, clearOnComplete: true },
                  cliProgress.Presets.shades_classic,
                );
                loadBar.start(total, 0);
              }
              loadBar.update(done);
              if (done === total) loadBar.stop();
            },
            onStart: (t) => {
              loadBar?.stop();
              if (!flags.json || process.stderr.isTTY)
                process.stderr.write(
                  `training ${t.config.arch.arch} (${t.config.arch.inputSize}px) with ${t.config.mining} mining: ${t.trainIdentities.length} identities for training, ` +
                    `${t.valIdentities.length} for validation (${t.valPairs.length} pairs), ${t.stepsPerEpoch} batches per epoch, seed ${t.config.seed}\n`,
                );
              bar?.start(1000, Math.round(t.progress() * 1000), { step: t.step, loss: '-', active: '-', ips: '-' });
            },
            onStep: (t, s) => {
              bar?.update(Math.round(t.progress() * 1000), {
                step: s.step,
                loss: s.loss.toFixed(4),
                active: pct(s.activeFraction).trim(),
                ips: (s.images / s.seconds).toFixed(1),
              });
            },
            onEpoch: (t, r) => {
              log(epochLine(r));
              bar?.start(1000, Math.round(t.progress() * 1000), {
                step: t.step,
                loss: r.loss.toFixed(4),
                active: pct(r.activeFraction).trim(),
                ips: r.imagesPerSec.toFixed(1),
              });
            },
          });
          bar?.stop();
          const json = {
            out: res.out,
            model: res.modelPath,
            settings: res.settingsPath,
            curves: { json: res.curvesJson, svg: res.curvesSvg },
            checkpoint: res.checkpoint,
            steps: res.steps,
            epochs: res.epochs,
            trainSeconds: Math.round(res.trainSeconds * 10) / 10,
            imagesPerSec: Math.round(res.imagesPerSec * 10) / 10,
            tripletsPerSec: Math.round(res.tripletsPerSec * 10) / 10,
            stopped: res.stopped,
            trainImages: res.trainImages,
            trainIdentities: res.trainIdentities,
            valIdentities: res.valIdentities,
            missingFaces: res.missingFaces,
            final: res.final ?? null,
            calibration: res.calibration
              ? {
                  source: res.calibration.table.source,
                  genuinePairs: res.calibration.table.genuinePairs,
                  impostorPairs: res.calibration.table.impostorPairs,
                  crops: res.calibration.crops,
                  flip: res.calibration.flip,
                }
              : null,
          };
          printResult(flags, json, () =>
            [
              `${res.stopped ? 'stopped' : 'done'} after ${res.steps} steps (${res.epochs} epochs, ${res.trainSeconds.toFixed(0)} s of training)`,
              `throughput: ${res.imagesPerSec.toFixed(1)} images/s, ${res.tripletsPerSec.toFixed(0)} triplets/s`,
              res.final?.valAccuracy !== undefined
                ? `validation accuracy ${(100 * res.final.valAccuracy).toFixed(1)} %, TAR@FAR=1e-3 ${(100 * (res.final.valTarAtFar1e3 ?? 0)).toFixed(1)} %`
                : 'no validation identities',
              `model: ${res.modelPath}`,
              res.calibration
                ? `calibration: stored in the model (${res.calibration.table.impostorPairs} impostor pairs of the validation split; for ${ttaFlagsOf(res.calibration)}; \`facenet calibrate\` replaces it in a gallery)`
                : 'calibration: none stored (no validation pairs): run `facenet calibrate` before deciding with this model',
              `curves: ${res.curvesSvg}`,
            ].join('\n'),
          );
          return EXIT.ok;
        } finally {
          bar?.stop();
          process.off('SIGINT', onSigint);
        }
      }),
    );
}
