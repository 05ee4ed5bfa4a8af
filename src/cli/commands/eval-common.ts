/**
 * What the `facenet eval …` commands (and `calibrate`) share: the `eval` parent command, the image-set options
 * (throughput, the embedding cache, JSON) and embedding a file list with a progress bar.
 */
import type { Command } from 'commander';
import { embedDataset, type EmbeddedDataset } from '../../eval/embed-dataset.js';
import type { RecognizerOptions } from '../../recognizer.js';
import { numberFlag } from '../flags.js';
import { addOptions, JSON_OPTION, type OptionSpec } from '../options.js';
import { progressBar } from '../progress.js';
import { FACE_POLICY_HELP, parseFacePolicy, type FacePolicy } from '../../eval/labelled-face.js';
import { announceLicence, PACK_OPTIONS, recognizerOptions, type PipelineFlags } from './common.js';

export interface EvalFlags extends PipelineFlags {
  data: string;
  folds?: string;
  pairs?: string;
  concurrency?: string;
  workers?: string;
  cache?: string | false;
  align?: string;
  errors?: string;
  /** The face policy: which detection is each image's labelled face. */
  face?: string;
}

/** `facenet eval …`; other stages add their own subcommands to it. */
export function evalCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'eval') ??
    program.command('eval').description('evaluations on labelled datasets')
  );
}

export const WORKERS_OPTION: OptionSpec = {
  flags: '--workers <n>',
  help: 'inference worker threads, each with its own models (default: one per CPU core); 0 = on the main thread',
};
export const CONCURRENCY_OPTION: OptionSpec = {
  flags: '--concurrency <n>',
  help: 'images in flight (default: 4 per worker, 2 on the main thread)',
};
export const NO_CACHE_OPTION: OptionSpec = { flags: '--no-cache', help: 'recompute every embedding' };

/** Options every evaluation over an image set shares: throughput, the embedding cache, JSON. */
const EVAL_IMAGE_OPTIONS: readonly OptionSpec[] = [
  ...PACK_OPTIONS,
  {
    flags: '--crops <paddings>',
    help: 'crop test-time augmentation: chip paddings averaged with the 0.25 chip (default 0.15,0.35); none = off',
  },
  WORKERS_OPTION,
  CONCURRENCY_OPTION,
  { flags: '--threads <n>', help: 'inference threads per model', default: '1' },
  {
    flags: '--cache <file>',
    help: 'embedding cache file (default: ~/.cache/facenet-ts/eval-embeddings.db, shared by every evaluation)',
  },
  NO_CACHE_OPTION,
];

/** The image-set options, with the face policy whose default fits the dataset (LFW: centre; CFP: largest). */
export const withEvalImageOptions = (cmd: Command, face: FacePolicy = 'centre'): Command =>
  addOptions(cmd, [
    ...EVAL_IMAGE_OPTIONS,
    { flags: '--face <policy>', help: `${FACE_POLICY_HELP} (default ${face})` },
    JSON_OPTION,
  ]);

export const PROJECTION_HELP =
  'a projection head from `facenet train --arch head --pack P`, run after the pack embedder';

/** The flip headline of an evaluation: both variants are always measured, the flags pick which one leads. */
export const EVAL_NO_FLIP_HELP =
  "headline figure without flip test-time augmentation (both are always reported; default: the pack's setting)";

/**
 * Embeds `files` for an evaluation with the pipeline `opts` names, on `--workers` threads, through the shared
 * embedding cache, with a progress bar on a terminal. The recognizer comes back closed, for its ids.
 */
export async function embedForEvaluation(
  flags: Pick<EvalFlags, 'cache' | 'concurrency' | 'workers' | 'json' | 'face'> & PipelineFlags,
  opts: RecognizerOptions,
  files: readonly string[],
  faceDefault: FacePolicy = 'centre',
): Promise<EmbeddedDataset & { face: FacePolicy }> {
  const face = parseFacePolicy(flags.face, faceDefault);
  const concurrency = numberFlag('concurrency', flags.concurrency, { int: true, min: 1 });
  const workers = numberFlag('workers', flags.workers, { int: true, min: 0 });
  const bar = progressBar('embedding', !flags.json && process.stderr.isTTY === true);
  try {
    const embedded = await embedDataset(files, {
      recognizer: opts,
      face,
      workers,
      cacheFile: flags.cache,
      concurrency,
      detect: recognizerOptions(flags).detect,
      onLoaded: (fr) => announceLicence(fr.packInfo),
      onProgress: bar.update,
    });
    return { ...embedded, face };
  } finally {
    bar.stop();
  }
}
