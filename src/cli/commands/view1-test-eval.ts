/**
 * facenet eval view1-test: LFW View 1 as its protocol says. τ is chosen on the training pairs (pairsDevTrain.txt),
 * accuracy measured on the 1,000 test pairs (pairsDevTest.txt); also the test pairs' best-threshold accuracy, AUC and
 * TAR at FAR 1e-2 / 1e-3, so that two pipelines (e.g. a 512-D pack and its 128-D projection) compare the same way.
 */
import type { Command } from 'commander';
import path from 'node:path';
import { action, printResult } from '../output.js';
import { flipOf, recognizerOptions, withFlipOptions } from './common.js';
import {
  embedForEvaluation,
  EVAL_NO_FLIP_HELP,
  evalCommand,
  PROJECTION_HELP,
  withEvalImageOptions,
  type EvalFlags,
} from './eval-common.js';
import { lfwImageRoot, readPairs } from '../../eval/lfw-pairs.js';
import { view1Test } from '../../eval/lfw.js';

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

async function evalView1Test(flags: EvalFlags): Promise<void> {
  const root = lfwImageRoot(flags.data);
  const train = readPairs(path.join(flags.data, 'pairsDevTrain.txt'), root).flat();
  const test = readPairs(path.join(flags.data, 'pairsDevTest.txt'), root).flat();
  const files = [...new Set([...train, ...test].flatMap((p) => [p.a, p.b]))];
  const { res, fr } = await embedForEvaluation(flags, recognizerOptions({ ...flags, flip: false }), files);
  const dim = res.embeddings.values().next().value?.embedding.length ?? 0;
  const variants = (['plain', 'flip'] as const).map((v) => view1Test(train, test, res.embeddings, v));
  const head = variants[flipOf(flags) ? 1 : 0];
  const json = {
    ...head,
    variants,
    dim,
    trainPairs: train.length,
    testPairs: test.length,
    images: files.length,
    model: fr.modelId,
    pack: fr.packInfo.name,
    embeddingsComputed: res.computed,
    embeddingsFromCache: res.fromCache,
  };
  printResult(flags, json, () =>
    [
      `LFW View 1 (${fr.modelId}, ${dim}-D): ` +
        `τ from ${train.length} pairsDevTrain pairs, tested on ${test.length} pairsDevTest pairs`,
      ...variants.map(
        (v) =>
          `  ${v.variant === 'flip' ? 'flip TTA' : 'no flip '}${v === head ? '*' : ' '} ` +
          `accuracy ${pct(v.accuracy)} (τ ${v.threshold.toFixed(4)})  best-τ ${pct(v.bestAccuracy)}  ` +
          `AUC ${v.auc.toFixed(5)}  TAR@FAR=1e-2 ${pct(v.tarAtFar1e2)}  1e-3 ${pct(v.tarAtFar1e3)}`,
      ),
      `  ${res.computed} embedded, ${res.fromCache} from cache`,
    ].join('\n'),
  );
}

export function registerView1TestCommand(program: Command): void {
  withFlipOptions(
    withEvalImageOptions(evalCommand(program).command('view1-test'))
      .description(
        'LFW View 1 protocol: τ from pairsDevTrain.txt, accuracy on the 1,000 pairsDevTest.txt pairs; ' +
          'best-τ accuracy, AUC, TAR@FAR 1e-2/1e-3',
      )
      .requiredOption('--data <dir>', 'LFW folder holding pairsDevTrain.txt, pairsDevTest.txt and the image folders')
      .option('--projection <file>', PROJECTION_HELP),
    EVAL_NO_FLIP_HELP,
  ).action(action(evalView1Test));
}
