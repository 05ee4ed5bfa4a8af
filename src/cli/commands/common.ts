/** Options shared by every command that runs the face pipeline. */
import { Command, Option } from 'commander';
import { FaceRecognizer, type RecognizerOptions } from '../../recognizer.js';
import { FaceError } from '../../errors.js';
import { packNames, resolvePack } from '../../pack/router.js';
import { DEFAULT_PACK } from '../../pack/packs.js';
import type { PackInfo } from '../../pack/types.js';

/** The options naming the recognition pipeline, shared by every command that runs it. */
export interface PackFlags {
  pack?: string;
  models?: string;
  acceptLicense?: boolean;
}

export interface PipelineFlags extends PackFlags {
  json?: boolean;
  threads?: string;
  model?: string;
  /** A projection head from `facenet train --arch head --pack` (run after the pack's embedder). */
  projection?: string;
  flip?: boolean;
  crops?: string;
  aligned?: boolean;
  minScore?: string;
  minFaceSize?: string;
  detectSize?: string;
  /** 5-point detectors: photos smaller than this (longer side, px) are enlarged to it first. */
  detectMinSide?: string;
  /** 5-point detectors: the score from which turned faces are kept. */
  turnedMinScore?: string;
  maxPixels?: string;
  allowSvg?: boolean;
}

export const TURNED_MIN_SCORE_HELP =
  'YuNet and SCRFD: faces turned by 45° or more are kept from this score when it is lower (default 0.6 YuNet, 0.5 SCRFD)';

export const DETECT_MIN_SIDE_HELP =
  'YuNet and SCRFD: photos whose longer side is under this many pixels are enlarged to it before detection';

export const DETECT_SIZE_HELP =
  "detector input for photos under 512 px: 'enlarge' to 512×512 (face-api's way, finds smaller faces) or 'native' (their own resolution, up to 16× less work)";

/** --pack, --models, --accept-license. */
export function withPackOptions(cmd: Command): Command {
  return cmd
    .option(
      '--pack <name>',
      `recognition pipeline: ${packNames().join(', ')} (default ${DEFAULT_PACK}; \`facenet packs\` lists them)`,
    )
    .option(
      '--models <dir>',
      "folder holding the packs' model files (default: FACENET_MODELS, else ~/.local/share/facenet-ts/models)",
    )
    .option(
      '--accept-license',
      'use a pack whose weights are not permissively licensed (or FACENET_ACCEPT_LICENSE=1); read its licence line first',
    );
}

/** --flip / --no-flip: absent leaves the pack's default (dlib128: on; EdgeFace packs: off). */
export function withFlipOptions(
  cmd: Command,
  noFlipHelp = 'turn off flip test-time augmentation (mean of the chip and its mirror)',
): Command {
  return cmd
    .option('--flip', "flip test-time augmentation on (default: the pack's setting)")
    .option('--no-flip', noFlipHelp);
}

/** Whether flip TTA is on: the flag when given, else the pack's default. */
export function flipOf(flags: Pick<PipelineFlags, 'flip' | 'pack'>): boolean {
  return flags.flip ?? resolvePack(flags.pack).tta.flip;
}

/** Options of the detector stage (every command that finds faces in photos; the pack options name the detector). */
export function withDetectionOptions(cmd: Command): Command {
  return cmd
    .option('--threads <n>', 'inference threads per model (default: one per core; 0 = the onnxruntime choice)')
    .option('--min-score <s>', 'detector score threshold (default 0.8)')
    .option('--turned-min-score <s>', TURNED_MIN_SCORE_HELP)
    .option('--min-face-size <px>', 'ignore faces smaller than this (default 20)')
    .option('--detect-size <mode>', `${DETECT_SIZE_HELP} (default enlarge)`)
    .addOption(new Option('--max-pixels <n>', 'largest accepted image in pixels').default(undefined))
    .option('--allow-svg', 'accept SVG images (off by default: a few bytes of SVG can declare any size)');
}

/** Options that choose the embedding (network and test-time augmentation): they make the model id of a gallery. */
export function withEmbeddingOptions(cmd: Command): Command {
  cmd.option('--model <path>', "embedding model exported by `facenet train` (default: the pack's embedder)");
  return withFlipOptions(cmd).option(
    '--crops <paddings>',
    'crop test-time augmentation: chip paddings averaged with the 0.25 chip, e.g. 0.15,0.35 (the default); none = off',
  );
}

/** The whole pipeline: photos in, embeddings out. */
export function withPipelineOptions(cmd: Command): Command {
  return withEmbeddingOptions(
    withDetectionOptions(withPackOptions(cmd.option('--json', 'machine-readable output'))),
  ).option(
    '--aligned',
    "inputs are already aligned face chips (the pack's: 150×150 dlib, 112×112 ArcFace): skip detection",
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
export function intOption(
  name: string,
  v: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new FaceError(
      'INVALID_INPUT',
      `--${name} expects an integer from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any' : max}, got "${v}"`,
    );
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
  if (list.some((x) => !(x >= 0 && x <= 1)))
    throw new FaceError('INVALID_INPUT', `--crops expects paddings in [0, 1] separated by commas, or none; got "${v}"`);
  return list;
}

export function recognizerOptions(flags: PipelineFlags): RecognizerOptions {
  return {
    pack: flags.pack,
    models: flags.models,
    acceptLicense: flags.acceptLicense || undefined, // absent: FACENET_ACCEPT_LICENSE decides
    threads: intOption('threads', flags.threads, 0, MAX_THREADS),
    modelPath: flags.model,
    projectionPath: flags.projection,
    flip: flags.flip,
    ttaPaddings: parseCrops(flags.crops),
    maxPixels: intOption('max-pixels', flags.maxPixels, 1),
    allowSvg: flags.allowSvg,
    detect: {
      minScore: num('min-score', flags.minScore),
      minFaceSize: num('min-face-size', flags.minFaceSize),
      enlarge: parseDetectSize(flags.detectSize),
      minSide: intOption('detect-min-side', flags.detectMinSide, 0, 8192),
      turnedMinScore: num('turned-min-score', flags.turnedMinScore),
    },
  };
}

/** Loads the pack's recognizer; a non-permissive pack's licence line goes to stderr (stdout stays the result). */
export async function loadRecognizer(flags: PipelineFlags): Promise<FaceRecognizer> {
  const fr = await FaceRecognizer.load(recognizerOptions(flags));
  announceLicence(fr.packInfo);
  return fr;
}

/** The licence line of a non-permissive pack, on stderr. */
export function announceLicence(pack: PackInfo): void {
  if (!pack.permissive) process.stderr.write(`pack ${pack.name} (licence accepted): ${pack.licence}\n`);
}
