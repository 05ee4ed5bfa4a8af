/** Options shared by every command that runs the face pipeline. */
import { Command, Option } from 'commander';
import { FaceRecognizer, type RecognizerOptions } from '../../recognizer.js';
import { FaceError } from '../../errors.js';

export interface PipelineFlags {
  json?: boolean;
  threads?: string;
  model?: string;
  flip?: boolean;
  crops?: string;
  aligned?: boolean;
  minScore?: string;
  minFaceSize?: string;
  detectSize?: string;
  maxPixels?: string;
  allowSvg?: boolean;
}

export const DETECT_SIZE_HELP =
  "detector input for photos under 512 px: 'enlarge' to 512×512 (face-api's way, finds smaller faces) or 'native' (their own resolution, up to 16× less work)";

/** Options of the detector stage (every command that finds faces in photos). */
export function withDetectionOptions(cmd: Command): Command {
  return cmd
    .option('--threads <n>', 'inference threads per model (0 = onnxruntime default: one per core)')
    .option('--min-score <s>', 'detector score threshold (default 0.8)')
    .option('--min-face-size <px>', 'ignore faces smaller than this (default 20)')
    .option('--detect-size <mode>', `${DETECT_SIZE_HELP} (default enlarge)`)
    .addOption(new Option('--max-pixels <n>', 'largest accepted image in pixels').default(undefined))
    .option('--allow-svg', 'accept SVG images (off by default: a few bytes of SVG can declare any size)');
}

/** Options that choose the embedding (network and test-time augmentation): they make the model id of a gallery. */
export function withEmbeddingOptions(cmd: Command): Command {
  return cmd
    .option('--model <path>', 'embedding model exported by `facenet train` (default: built-in 128-D ResNet)')
    .option('--no-flip', 'turn off flip test-time augmentation (on by default: mean of the chip and its mirror)')
    .option('--crops <paddings>', 'crop test-time augmentation: chip paddings averaged with the 0.25 chip, e.g. 0.15,0.35 (the default); none = off');
}

/** The whole pipeline: photos in, embeddings out. */
export function withPipelineOptions(cmd: Command): Command {
  return withEmbeddingOptions(withDetectionOptions(cmd.option('--json', 'machine-readable output'))).option(
    '--aligned',
    'inputs are already aligned 150×150 face chips: skip detection',
  );
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new FaceError('INVALID_INPUT', `--${name} expects a number, got "${v}"`);
  return n;
}

/** Most intra-op threads per model we accept: more only costs memory and context switches. */
export const MAX_THREADS = 256;

/** An integer option within [min, max]; INVALID_INPUT (exit 2) otherwise, before anything loads. */
export function intOption(name: string, v: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new FaceError('INVALID_INPUT', `--${name} expects an integer from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any' : max}, got "${v}"`);
  return n;
}

/** `--detect-size enlarge|native` → DetectOptions.enlarge; absent → undefined (the default). */
export function parseDetectSize(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'enlarge' || v === 'native') return v === 'enlarge';
  throw new FaceError('INVALID_INPUT', `--detect-size expects enlarge or native, got "${v}"`);
}

/** `--crops 0.15,0.35` → paddings; `none` → []; absent → undefined (the recognizer's default). */
export function parseCrops(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  if (v.trim() === 'none' || v.trim() === '') return [];
  const list = v.split(',').map((x) => Number(x.trim()));
  if (list.some((x) => !(x >= 0 && x <= 1))) throw new FaceError('INVALID_INPUT', `--crops expects paddings in [0, 1] separated by commas, or none; got "${v}"`);
  return list;
}

export function recognizerOptions(flags: PipelineFlags): RecognizerOptions {
  return {
    threads: intOption('threads', flags.threads, 0, MAX_THREADS),
    modelPath: flags.model,
    flip: flags.flip !== false,
    ttaPaddings: parseCrops(flags.crops),
    maxPixels: intOption('max-pixels', flags.maxPixels, 1),
    allowSvg: flags.allowSvg,
    detect: { minScore: num('min-score', flags.minScore), minFaceSize: num('min-face-size', flags.minFaceSize), enlarge: parseDetectSize(flags.detectSize) },
  };
}

export function loadRecognizer(flags: PipelineFlags): Promise<FaceRecognizer> {
  return FaceRecognizer.load(recognizerOptions(flags));
}
