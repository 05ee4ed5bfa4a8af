/** facenet eval lfw: the LFW View 2 10-fold protocol on this pipeline. */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import os from 'node:os';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { action, printResult } from '../output.js';
import {
  announceLicence,
  DETECT_MIN_SIDE_HELP,
  DETECT_SIZE_HELP,
  flipOf,
  recognizerOptions,
  withFlipOptions,
  withPackOptions,
  type PipelineFlags,
} from './common.js';
import { FaceRecognizer, type RecognizerOptions } from '../../recognizer.js';
import { lfwImageRoot, readPairs } from '../../eval/lfw-pairs.js';
import { embedImages, type EmbedImagesResult, type EvalRecognizer } from '../../eval/embed-images.js';
import { PooledRecognizer } from '../../workers/worker-pool.js';
import { EmbeddingCache } from '../../eval/embedding-cache.js';
import { checkTurnedOptions } from '../../align/turned.js';
import { FACE_POLICY_HELP, parseFacePolicy, type FacePolicy } from '../../eval/labelled-face.js';
import { scorePairs, tenFold, type EmbeddingVariant, type LfwResult } from '../../eval/lfw.js';
import { defaultCacheDir } from '../../engine/model-store.js';
import { FaceError } from '../../errors.js';
import { lfwCalibrationPlan, scorePlan } from '../../decide/calibration-pairs.js';
import { equalErrorRate, rocAuc, rocCurve, tarAtFar } from '../../eval/roc.js';
import { pickEmbedding } from '../../eval/lfw.js';

export interface EvalFlags extends PipelineFlags {
  data: string;
  folds?: string;
  pairs?: string;
  concurrency?: string;
  workers?: string;
  cache?: string | false;
  align?: string;
  errors?: string;
  face?: string;
}

/** `--align '{"chip":{…},"landmarks":{…},"landmarkPasses":2}'`: alignment variants for experiments. */
type AlignmentVariant = Pick<
  RecognizerOptions,
  'chip' | 'landmarks' | 'landmarkPasses' | 'landmarkFlip' | 'ttaPaddings' | 'turned'
>;

export function alignmentVariant(json: string | undefined): AlignmentVariant {
  if (!json) return {};
  try {
    const v = JSON.parse(json) as AlignmentVariant;
    const picked = {
      chip: v.chip,
      landmarks: v.landmarks,
      landmarkPasses: v.landmarkPasses,
      landmarkFlip: v.landmarkFlip,
      ttaPaddings: v.ttaPaddings,
      turned: v.turned ? checkTurnedOptions(v.turned) : v.turned,
    };
    // only what the JSON names: an absent key must not override --crops or other flags
    return Object.fromEntries(Object.entries(picked).filter(([, x]) => x !== undefined)) as AlignmentVariant;
  } catch (e) {
    throw new FaceError('INVALID_INPUT', `--align expects JSON: ${(e as Error).message}`);
  }
}

/** `facenet eval …`; other stages add their own subcommands to it. */
export function evalCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'eval') ??
    program.command('eval').description('evaluations on labelled datasets')
  );
}

export function progressBar(
  label: string,
  enabled: boolean,
): { update: (done: number, total: number) => void; stop: () => void } {
  if (!enabled) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate} img/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const t0 = performance.now();
  return {
    update(done, total) {
      if (!started) bar.start(total, 0, { rate: '0' });
      started = true;
      bar.update(done, { rate: (done / ((performance.now() - t0) / 1000)).toFixed(1) });
    },
    stop: () => started && bar.stop(),
  };
}

export const WORKERS_HELP =
  'inference worker threads, each with its own models (default: one per CPU core); 0 = on the main thread';
export const CONCURRENCY_HELP = 'images in flight (default: 4 per worker, 2 on the main thread)';

/** Options every evaluation over an image set shares: throughput, the embedding cache, JSON. */
export function withEvalImageOptions(cmd: Command, face: FacePolicy = 'centre'): Command {
  return withPackOptions(cmd)
    .option(
      '--crops <paddings>',
      'crop test-time augmentation: chip paddings averaged with the 0.25 chip (default 0.15,0.35); none = off',
    )
    .option('--workers <n>', WORKERS_HELP)
    .option('--concurrency <n>', CONCURRENCY_HELP)
    .option('--threads <n>', 'inference threads per model', '1')
    .option(
      '--cache <file>',
      'embedding cache file (default: ~/.cache/facenet-ts/eval-embeddings.db, shared by every evaluation)',
    )
    .option('--no-cache', 'recompute every embedding')
    .option('--face <policy>', `${FACE_POLICY_HELP} (default ${face})`)
    .option('--json', 'machine-readable output');
}

function count(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new FaceError('INVALID_INPUT', `--${name} expects an integer ≥ ${min}, got "${v}"`);
  return n;
}

/** `--concurrency`: undefined lets embedImages choose (4 per worker). */
function parseConcurrency(v: string | undefined): number | undefined {
  return count('concurrency', v, 1);
}

/**
 * The pipeline an evaluation embeds with: `--workers` threads with a FaceRecognizer each, or (0) this thread.
 * One worker per core by default: onnxruntime-node's session.run blocks the thread that calls it, so a single
 * thread keeps one core busy however many images are in flight. Closed by embedForEvaluation (live workers keep
 * the process from exiting).
 */
async function loadEvalRecognizer(opts: RecognizerOptions, workers: string | undefined): Promise<EvalRecognizer> {
  const n = count('workers', workers, 0) ?? os.availableParallelism();
  if (n === 0) return FaceRecognizer.load(opts);
  // the workers are the parallelism: onnxruntime's default (a thread per core in each) would oversubscribe
  return PooledRecognizer.start(n, { ...opts, threads: opts.threads ?? 1 });
}

/**
 * What every evaluation command does first: load the recognizer (`--workers`), embed `files` through the shared
 * embedding cache with a progress bar, and close the cache and the workers whatever happens. The recognizer is
 * returned closed, for its ids (modelId, ttaPaddings, size).
 */
export async function embedForEvaluation(
  flags: Pick<EvalFlags, 'cache' | 'concurrency' | 'workers' | 'json' | 'face'> & PipelineFlags,
  opts: RecognizerOptions,
  files: readonly string[],
  faceDefault: FacePolicy = 'centre',
): Promise<{ res: EmbedImagesResult; fr: EvalRecognizer; loadSeconds: number; face: FacePolicy }> {
  const concurrency = parseConcurrency(flags.concurrency);
  const face = parseFacePolicy(flags.face, faceDefault);
  const tLoad = performance.now();
  const fr = await loadEvalRecognizer(opts, flags.workers);
  announceLicence(fr.packInfo);
  const loadSeconds = (performance.now() - tLoad) / 1000;
  try {
    const cache =
      flags.cache === false
        ? undefined
        : new EmbeddingCache(flags.cache ?? path.join(defaultCacheDir(), 'eval-embeddings.db'));
    const bar = progressBar('embedding', !flags.json && process.stderr.isTTY === true);
    try {
      const res = await embedImages(fr, files, {
        cache,
        detect: recognizerOptions(flags).detect,
        face,
        concurrency,
        onProgress: bar.update,
      });
      return { res, fr, loadSeconds, face };
    } finally {
      bar.stop();
      cache?.close();
    }
  } finally {
    if (fr instanceof PooledRecognizer) await fr.close();
  }
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

export const ALIGN_HELP =
  'pipeline variant, e.g. \'{"chip":{"template":"dlib68-all"},"landmarkPasses":2,"ttaPaddings":[0.2,0.3]}\'';

export function registerEvalCommands(program: Command): void {
  withEvalImageOptions(evalCommand(program).command('view1'))
    .description(
      'choose pipeline variants without touching View 2: every pair of the LFW View 1 training images (pairsDevTrain), AUC and TAR at low FAR',
    )
    .requiredOption('--data <dir>', 'LFW folder holding pairsDevTrain.txt and the image folders')
    .option('--pairs <file>', 'LFW-format pairs file whose images are used', 'pairsDevTrain.txt')
    .option('--align <json>', ALIGN_HELP)
    .action(
      action(async (flags: EvalFlags & { pairs: string }) => {
        const t0 = performance.now();
        const plan = lfwCalibrationPlan(flags.data, flags.pairs, true);
        const { res, fr } = await embedForEvaluation(
          flags,
          { ...recognizerOptions({ ...flags, flip: false }), ...alignmentVariant(flags.align) },
          plan.files,
        );
        const fars = [1e-3, 1e-4, 1e-5];
        const variants = (['plain', 'flip'] as const).map((variant) => {
          const embs = new Map([...res.embeddings].map(([f, e]) => [f, pickEmbedding(e, variant)]));
          const pairs = scorePlan(plan, (f) => embs.get(f)!);
          const roc = rocCurve(pairs);
          return {
            variant,
            genuinePairs: pairs.filter((p) => p.same).length,
            impostorPairs: pairs.filter((p) => !p.same).length,
            auc: rocAuc(roc),
            tarAtFar: Object.fromEntries(fars.map((f) => [String(f), tarAtFar(roc, f)])),
            eer: equalErrorRate(roc),
          };
        });
        printResult(
          flags,
          {
            source: plan.source,
            images: plan.files.length,
            align: flags.align ? JSON.parse(flags.align) : {},
            variants,
            seconds: (performance.now() - t0) / 1000,
          },
          () =>
            [
              plan.source,
              ...variants.map(
                (v) =>
                  `  ${v.variant === 'flip' ? 'flip TTA' : 'no flip '}  AUC ${v.auc.toFixed(5)}  ${fars.map((f) => `TAR@${f.toExponential(0)} ${pct(v.tarAtFar[String(f)])}`).join('  ')}  EER ${pct(v.eer)}`,
              ),
              `  ${res.computed} embedded, ${res.fromCache} from cache; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
            ].join('\n'),
        );
      }),
    );

  withFlipOptions(
    withEvalImageOptions(evalCommand(program).command('lfw'))
      .description('LFW View 2: 10-fold accuracy, ROC AUC, TAR@FAR=1e-3, calibrated τ')
      .requiredOption('--data <dir>', 'LFW folder holding pairs.txt and the image folders')
      .option('--folds <k>', 'use only the first K folds (quick check)')
      .option('--pairs <file>', 'pairs file (default DATA/pairs.txt)'),
    "headline figure without flip test-time augmentation (both are always reported; default: the pack's setting)",
  )
    .option('--model <path>', 'embedding model exported by `facenet train`')
    .option(
      '--projection <file>',
      'a projection head from `facenet train --arch head --pack P`, run after the pack embedder',
    )
    .option('--min-score <s>', 'detector score threshold (default 0.5 here: LFW faces are often cut by the frame)')
    .option('--detect-size <mode>', `${DETECT_SIZE_HELP} (default native here: LFW photos are 250×250)`)
    .option('--detect-min-side <px>', `${DETECT_MIN_SIDE_HELP} (default: none)`)
    .option('--align <json>', ALIGN_HELP)
    .option('--errors <file>', 'write the misclassified pairs (CSV) for inspection')
    .action(
      action(async (flags: EvalFlags) => {
        const root = lfwImageRoot(flags.data);
        const pairsFile = flags.pairs ?? path.join(flags.data, 'pairs.txt');
        let folds = readPairs(pairsFile, root);
        if (flags.folds !== undefined) {
          const k = Number(flags.folds);
          if (!Number.isInteger(k) || k < 2 || k > folds.length)
            throw new FaceError('INVALID_INPUT', `--folds must be an integer in [2, ${folds.length}]`);
          folds = folds.slice(0, k);
        }
        const files = [...new Set(folds.flat().flatMap((p) => [p.a, p.b]))];
        const tLoad = performance.now();
        const variant = alignmentVariant(flags.align);
        const { res, fr, loadSeconds, face } = await embedForEvaluation(
          flags,
          { ...recognizerOptions({ ...flags, flip: false }), ...variant },
          files,
        );
        const statuses = { ok: 0, central: 0, noface: 0 };
        for (const e of res.embeddings.values()) statuses[e.status]++;
        const byVariant = {} as Record<EmbeddingVariant, LfwResult>;
        for (const v of ['plain', 'flip'] as const)
          byVariant[v] = tenFold(folds.map((f) => scorePairs(f, res.embeddings, v)));
        const headVariant = flipOf(flags) ? 'flip' : 'plain';
        const head = byVariant[headVariant];
        if (flags.errors) {
          const variant = headVariant;
          const rows = ['fold,same,distance,threshold,a,b'];
          folds.forEach((fold, k) =>
            scorePairs(fold, res.embeddings, variant).forEach((s, i) => {
              const tau = head.foldThresholds[k];
              if (s.distance < tau !== s.same)
                rows.push([k + 1, s.same, s.distance.toFixed(4), tau.toFixed(4), fold[i].a, fold[i].b].join(','));
            }),
          );
          writeFileSync(flags.errors, `${rows.join('\n')}\n`);
        }
        const seconds = (performance.now() - tLoad) / 1000;
        const json = {
          accuracy: head.accuracy,
          std: head.std,
          auc: head.auc,
          tarAtFar1e3: head.tarAtFar1e3,
          threshold: head.threshold,
          seconds,
          flip: headVariant === 'flip',
          folds: folds.length,
          pairs: head.pairs,
          images: files.length,
          imagesPerSecond: res.computed ? res.computed / res.seconds : null,
          embeddingsComputed: res.computed,
          embeddingsFromCache: res.fromCache,
          modelLoadSeconds: loadSeconds,
          faces: { single: statuses.ok, centralOfSeveral: statuses.central, noFaceCentreFallback: statuses.noface },
          facePolicy: face,
          variants: byVariant,
          model: fr.modelId,
          pack: fr.packInfo.name,
          workers: fr instanceof PooledRecognizer ? fr.size : 0,
          machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
        };
        printResult(flags, json, () =>
          [
            `LFW ${path.basename(pairsFile)}: ${folds.length} folds, ${head.pairs} pairs, ${files.length} images`,
            ...(['plain', 'flip'] as const).map(
              (v) =>
                `  ${v === 'flip' ? 'flip TTA ' : 'no flip  '}${headVariant === v ? '*' : ' '} accuracy ${pct(byVariant[v].accuracy)} ± ${pct(byVariant[v].std)}  AUC ${byVariant[v].auc.toFixed(5)}  TAR@FAR=1e-3 ${pct(byVariant[v].tarAtFar1e3)}  τ ${byVariant[v].threshold.toFixed(4)}`,
            ),
            `  TAR@FAR linearly interpolated between ROC points over all ${head.pairs} pairs; τ = mean of the per-fold thresholds`,
            `  faces (policy ${face}): ${statuses.ok} single, ${statuses.central} picked of several, ${statuses.noface} no face (centre-box fallback)`,
            `  ${res.computed} embedded (${res.computed ? (res.computed / res.seconds).toFixed(1) : '-'} img/s), ${res.fromCache} from cache; total ${seconds.toFixed(1)} s`,
          ].join('\n'),
        );
      }),
    );
}
