/** The options every command that runs the face pipeline shares, and the recognizer they load. */
import type { Command } from 'commander';
import { FaceRecognizer, type RecognizerOptions } from '../../recognizer.js';
import { packNames, resolvePack } from '../../pack/router.js';
import { DEFAULT_PACK } from '../../pack/packs.js';
import type { PackInfo } from '../../pack/types.js';
import { numberFlag, parseCrops, parseDetectSize } from '../flags.js';
import { addOptions, JSON_OPTION, type OptionSpec } from '../options.js';
import { writeErr } from '../output.js';

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
  'YuNet and SCRFD: faces turned by 45° or more are kept from this score when it is lower ' +
  '(default 0.6 YuNet, 0.5 SCRFD)';

export const DETECT_MIN_SIDE_HELP =
  'YuNet and SCRFD: photos whose longer side is under this many pixels are enlarged to it before detection';

export const DETECT_SIZE_HELP =
  "detector input for photos under 512 px: 'enlarge' to 512×512 (face-api's way, " +
  "finds smaller faces) or 'native' (their own resolution, up to 16× less work)";

const MODELS_HELP =
  "folder holding the packs' model files (default: FACENET_MODELS, else ~/.local/share/facenet-ts/models)";

/** Every option of the face pipeline, by name; the sets below (and `serve`) pick from it. */
export const PIPELINE_OPTIONS = {
  json: JSON_OPTION,
  pack: {
    flags: '--pack <name>',
    help: `recognition pipeline: ${packNames().join(', ')} (default ${DEFAULT_PACK}; \`facenet packs\` lists them)`,
  },
  models: { flags: '--models <dir>', help: MODELS_HELP },
  acceptLicense: {
    flags: '--accept-license',
    help:
      'use a pack whose weights are not permissively licensed (or FACENET_ACCEPT_LICENSE=1); ' +
      'read its licence line first',
  },
  threads: {
    flags: '--threads <n>',
    help: 'inference threads per model (default: one per core; 0 = let the inference engine choose)',
  },
  minScore: { flags: '--min-score <s>', help: 'detector score threshold (default 0.8)' },
  turnedMinScore: { flags: '--turned-min-score <s>', help: TURNED_MIN_SCORE_HELP },
  minFaceSize: { flags: '--min-face-size <px>', help: 'ignore faces smaller than this (default 20)' },
  detectSize: { flags: '--detect-size <mode>', help: `${DETECT_SIZE_HELP} (default enlarge)` },
  maxPixels: { flags: '--max-pixels <n>', help: 'largest accepted image in pixels' },
  allowSvg: {
    flags: '--allow-svg',
    help: 'accept SVG images (off by default: a few bytes of SVG can declare any size)',
  },
  model: {
    flags: '--model <path>',
    help: "embedding model exported by `facenet train` (default: the pack's embedder)",
  },
  flip: { flags: '--flip', help: "flip test-time augmentation on (default: the pack's setting)" },
  noFlip: { flags: '--no-flip', help: 'turn off flip test-time augmentation (mean of the chip and its mirror)' },
  crops: {
    flags: '--crops <paddings>',
    help:
      'crop test-time augmentation: chip paddings averaged with the 0.25 chip, ' +
      'e.g. 0.15,0.35 (the default); none = off',
  },
  aligned: {
    flags: '--aligned',
    help: "inputs are already aligned face chips (the pack's: 150×150 dlib, 112×112 ArcFace): skip detection",
  },
} satisfies Record<string, OptionSpec>;

const P = PIPELINE_OPTIONS;
export const PACK_OPTIONS: readonly OptionSpec[] = [P.pack, P.models, P.acceptLicense];
/** Options of the detector stage (every command that finds faces in photos; the pack options name the detector). */
export const DETECTION_OPTIONS: readonly OptionSpec[] = [
  P.threads,
  P.minScore,
  P.turnedMinScore,
  P.minFaceSize,
  P.detectSize,
  P.maxPixels,
  P.allowSvg,
];
/** Options that choose the embedding (network and test-time augmentation): they make the model id of a gallery. */
export const EMBEDDING_OPTIONS: readonly OptionSpec[] = [P.model, P.flip, P.noFlip, P.crops];
/** The whole pipeline: photos in, embeddings out. */
export const ALL_PIPELINE_OPTIONS: readonly OptionSpec[] = [
  P.json,
  ...PACK_OPTIONS,
  ...DETECTION_OPTIONS,
  ...EMBEDDING_OPTIONS,
  P.aligned,
];

export const withPipelineOptions = (cmd: Command): Command => addOptions(cmd, ALL_PIPELINE_OPTIONS);

/** --flip / --no-flip: absent leaves the pack's default (dlib128: on; EdgeFace packs: off). */
export function withFlipOptions(cmd: Command, noFlipHelp = P.noFlip.help): Command {
  return addOptions(cmd, [P.flip, { ...P.noFlip, help: noFlipHelp }]);
}

/** Whether flip TTA is on: the flag when given, else the pack's default. */
export function flipOf(flags: Pick<PipelineFlags, 'flip' | 'pack'>): boolean {
  return flags.flip ?? resolvePack(flags.pack).tta.flip;
}

/** Most intra-op threads per model we accept: more only costs memory and context switches. */
const MAX_THREADS = 256;

export function recognizerOptions(flags: PipelineFlags): RecognizerOptions {
  return {
    pack: flags.pack,
    models: flags.models,
    acceptLicense: flags.acceptLicense || undefined, // absent: FACENET_ACCEPT_LICENSE decides
    threads: numberFlag('threads', flags.threads, { int: true, min: 0, max: MAX_THREADS }),
    modelPath: flags.model,
    projectionPath: flags.projection,
    flip: flags.flip,
    ttaPaddings: parseCrops(flags.crops),
    maxPixels: numberFlag('max-pixels', flags.maxPixels, { int: true, min: 1 }),
    allowSvg: flags.allowSvg,
    detect: {
      minScore: numberFlag('min-score', flags.minScore),
      minFaceSize: numberFlag('min-face-size', flags.minFaceSize),
      enlarge: parseDetectSize(flags.detectSize),
      minSide: numberFlag('detect-min-side', flags.detectMinSide, { int: true, min: 0, max: 8192 }),
      turnedMinScore: numberFlag('turned-min-score', flags.turnedMinScore, { above: 0, below: 1 }),
    },
  };
}

/** Loads the pack's recognizer; a non-permissive pack's licence line goes to stderr (stdout stays the result). */
export async function loadRecognizer(
  flags: PipelineFlags,
  opts: RecognizerOptions = recognizerOptions(flags),
): Promise<FaceRecognizer> {
  const fr = await FaceRecognizer.load(opts);
  announceLicence(fr.packInfo);
  return fr;
}

/** The licence line of a non-permissive pack, on stderr. */
export function announceLicence(pack: PackInfo): void {
  if (!pack.permissive) writeErr(`pack ${pack.name} (licence accepted): ${pack.licence}\n`);
}
