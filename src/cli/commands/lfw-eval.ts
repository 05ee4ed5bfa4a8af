/** The actions of `facenet eval view1` and `facenet eval lfw`, and what they print. */
import os from 'node:os';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { printResult } from '../output.js';
import { flipOf, recognizerOptions } from './common.js';
import { embedForEvaluation, type EvalFlags } from './eval-common.js';
import type { RecognizerOptions } from '../../recognizer.js';
import { lfwImageRoot, readPairs, type LfwPair } from '../../eval/lfw-pairs.js';
import { faceCounts, faceCountsLine } from '../../eval/embed-dataset.js';
import { PooledRecognizer } from '../../workers/worker-pool.js';
import {
  misclassifiedCsv,
  pickEmbedding,
  scorePairs,
  tenFold,
  type EmbeddingVariant,
  type LfwResult,
} from '../../eval/lfw.js';
import { FaceError } from '../../errors.js';
import { checkTurnedOptions } from '../../align/turned.js';
import { lfwCalibrationPlan, scorePlan } from '../../decide/calibration-pairs.js';
import { equalErrorRate, rocAuc, rocCurve, tarAtFar } from '../../eval/roc.js';
import { numberFlag } from '../flags.js';

/** `--align '{"chip":{…},"landmarks":{…},"landmarkPasses":2}'`: alignment variants for experiments. */
type AlignmentVariant = Pick<
  RecognizerOptions,
  'chip' | 'landmarks' | 'landmarkPasses' | 'landmarkFlip' | 'ttaPaddings' | 'turned'
>;

export const ALIGN_HELP =
  'pipeline variant, e.g. \'{"chip":{"template":"dlib68-all"},"landmarkPasses":2,"ttaPaddings":[0.2,0.3]}\'';

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

/** Both flip variants are embedded at once (plain and mirrored); the flags only pick the headline. */
const bothFlips = (flags: EvalFlags): RecognizerOptions => ({
  ...recognizerOptions({ ...flags, flip: false }),
  ...alignmentVariant(flags.align),
});

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const VIEW1_FARS = [1e-3, 1e-4, 1e-5];

export async function evalView1(flags: EvalFlags & { pairs: string }): Promise<void> {
  const t0 = performance.now();
  const plan = lfwCalibrationPlan(flags.data, flags.pairs, true);
  const { res } = await embedForEvaluation(flags, bothFlips(flags), plan.files);
  const variants = (['plain', 'flip'] as const).map((variant) => {
    const embs = new Map([...res.embeddings].map(([f, e]) => [f, pickEmbedding(e, variant)]));
    const pairs = scorePlan(plan, (f) => embs.get(f)!);
    const roc = rocCurve(pairs);
    return {
      variant,
      genuinePairs: pairs.filter((p) => p.same).length,
      impostorPairs: pairs.filter((p) => !p.same).length,
      auc: rocAuc(roc),
      tarAtFar: Object.fromEntries(VIEW1_FARS.map((f) => [String(f), tarAtFar(roc, f)])),
      eer: equalErrorRate(roc),
    };
  });
  const seconds = (performance.now() - t0) / 1000;
  const align = flags.align ? (JSON.parse(flags.align) as unknown) : {};
  printResult(flags, { source: plan.source, images: plan.files.length, align, variants, seconds }, () =>
    [
      plan.source,
      ...variants.map(
        (v) =>
          `  ${v.variant === 'flip' ? 'flip TTA' : 'no flip '}  AUC ${v.auc.toFixed(5)}  ` +
          `${VIEW1_FARS.map((f) => `TAR@${f.toExponential(0)} ${pct(v.tarAtFar[String(f)])}`).join('  ')}  ` +
          `EER ${pct(v.eer)}`,
      ),
      `  ${res.computed} embedded, ${res.fromCache} from cache; ${seconds.toFixed(1)} s`,
    ].join('\n'),
  );
}

function lfwFolds(flags: EvalFlags): { pairsFile: string; folds: LfwPair[][] } {
  const pairsFile = flags.pairs ?? path.join(flags.data, 'pairs.txt');
  const folds = readPairs(pairsFile, lfwImageRoot(flags.data));
  const k = numberFlag('folds', flags.folds, { int: true, min: 2, max: folds.length });
  return { pairsFile, folds: k === undefined ? folds : folds.slice(0, k) };
}

function lfwLines(json: ReturnType<typeof lfwJson>, pairsFile: string): string {
  const { variants, folds, pairs, images, embeddingsComputed: computed, embeddingsFromCache, seconds } = json;
  const head: EmbeddingVariant = json.flip ? 'flip' : 'plain';
  return [
    `LFW ${path.basename(pairsFile)}: ${folds} folds, ${pairs} pairs, ${images} images`,
    ...(['plain', 'flip'] as const).map(
      (v) =>
        `  ${v === 'flip' ? 'flip TTA ' : 'no flip  '}${head === v ? '*' : ' '} ` +
        `accuracy ${pct(variants[v].accuracy)} ± ${pct(variants[v].std)}  ` +
        `AUC ${variants[v].auc.toFixed(5)}  TAR@FAR=1e-3 ${pct(variants[v].tarAtFar1e3)}  ` +
        `τ ${variants[v].threshold.toFixed(4)}`,
    ),
    `  TAR@FAR linearly interpolated between ROC points over all ${pairs} pairs; ` +
      'τ = mean of the per-fold thresholds',
    `  faces (policy ${json.facePolicy}): ${faceCountsLine(json.faces)}`,
    `  ${computed} embedded (${json.imagesPerSecond ? json.imagesPerSecond.toFixed(1) : '-'} img/s), ` +
      `${embeddingsFromCache} from cache; total ${seconds.toFixed(1)} s`,
  ].join('\n');
}

function lfwJson(
  run: Awaited<ReturnType<typeof embedForEvaluation>>,
  byVariant: Record<EmbeddingVariant, LfwResult>,
  flip: boolean,
  sizes: { folds: number; images: number; seconds: number },
) {
  const { res, fr, loadSeconds, face } = run;
  const head = byVariant[flip ? 'flip' : 'plain'];
  return {
    accuracy: head.accuracy,
    std: head.std,
    auc: head.auc,
    tarAtFar1e3: head.tarAtFar1e3,
    threshold: head.threshold,
    seconds: sizes.seconds,
    flip,
    folds: sizes.folds,
    pairs: head.pairs,
    images: sizes.images,
    imagesPerSecond: res.computed ? res.computed / res.seconds : null,
    embeddingsComputed: res.computed,
    embeddingsFromCache: res.fromCache,
    modelLoadSeconds: loadSeconds,
    faces: faceCounts(res),
    facePolicy: face,
    variants: byVariant,
    model: fr.modelId,
    pack: fr.packInfo.name,
    workers: fr instanceof PooledRecognizer ? fr.size : 0,
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
  };
}

export async function evalLfw(flags: EvalFlags): Promise<void> {
  const { pairsFile, folds } = lfwFolds(flags);
  const files = [...new Set(folds.flat().flatMap((p) => [p.a, p.b]))];
  const tLoad = performance.now();
  const run = await embedForEvaluation(flags, bothFlips(flags), files);
  const byVariant = {} as Record<EmbeddingVariant, LfwResult>;
  for (const v of ['plain', 'flip'] as const)
    byVariant[v] = tenFold(folds.map((f) => scorePairs(f, run.res.embeddings, v)));
  const flip = flipOf(flags);
  const head = flip ? 'flip' : 'plain';
  if (flags.errors) writeFileSync(flags.errors, misclassifiedCsv(folds, run.res.embeddings, head, byVariant[head]));
  const seconds = (performance.now() - tLoad) / 1000;
  const json = lfwJson(run, byVariant, flip, { folds: folds.length, images: files.length, seconds });
  printResult(flags, json, () => lfwLines(json, pairsFile));
}
