/** facenet eval view1 | lfw: LFW View 1 (choosing pipeline variants) and the View 2 10-fold protocol. */
import { type Command, Option } from 'commander';
import { action } from '../output.js';
import { DETECT_MIN_SIDE_HELP, DETECT_SIZE_HELP, withFlipOptions } from './common.js';
import { EVAL_NO_FLIP_HELP, evalCommand, PROJECTION_HELP, withEvalImageOptions } from './eval-common.js';
import { ALIGN_HELP, evalLfw, evalView1 } from './lfw-eval.js';

export {
  CONCURRENCY_OPTION,
  embedForEvaluation,
  evalCommand,
  WORKERS_OPTION,
  withEvalImageOptions,
  type EvalFlags,
} from './eval-common.js';
export { progressBar } from '../progress.js';

export function registerEvalCommands(program: Command): void {
  withEvalImageOptions(evalCommand(program).command('view1'))
    .description(
      'choose pipeline variants without touching View 2: ' +
        'every pair of the LFW View 1 training images (pairsDevTrain), AUC and TAR at low FAR',
    )
    .requiredOption('--data <dir>', 'LFW folder holding pairsDevTrain.txt and the image folders')
    .option('--pairs <file>', 'LFW-format pairs file whose images are used', 'pairsDevTrain.txt')
    .option('--align <json>', ALIGN_HELP)
    .action(action(evalView1));

  withFlipOptions(
    withEvalImageOptions(evalCommand(program).command('lfw'))
      .description('LFW View 2: 10-fold accuracy, ROC AUC, TAR@FAR=1e-3, calibrated τ')
      .requiredOption('--data <dir>', 'LFW folder holding pairs.txt and the image folders')
      .option('--folds <k>', 'use only the first K folds (quick check)')
      .option('--pairs <file>', 'pairs file (default DATA/pairs.txt)'),
    EVAL_NO_FLIP_HELP,
  )
    .option('--model <path>', 'embedding model exported by `facenet train`')
    .addOption(new Option('--projection <file>', PROJECTION_HELP))
    .option('--min-score <s>', 'detector score threshold (default 0.5 here: LFW faces are often cut by the frame)')
    .option('--detect-size <mode>', `${DETECT_SIZE_HELP} (default native here: LFW photos are 250×250)`)
    .option('--detect-min-side <px>', `${DETECT_MIN_SIDE_HELP} (default: none)`)
    .option('--align <json>', ALIGN_HELP)
    .option('--errors <file>', 'write the misclassified pairs (CSV) for inspection')
    .action(action(evalLfw));
}
