/** facenet calibrate: the FAR → τ tables from labelled pairs, stored in a gallery or a calibration JSON file. */
import type { Command } from 'commander';
import { tauForFar, type CalibrationTable } from '../../decide/calibration.js';
import { lfwCalibrationPlan, readPairsList, type CalibrationPlan } from '../../decide/calibration-pairs.js';
import { variantCalibrations, type VariantEmbeddings } from '../../decide/variant-calibration.js';
import { mergeIntoCalibrationFile } from '../../decide/default-calibration.js';
import { FaceError } from '../../errors.js';
import { faceCounts } from '../../eval/embed-dataset.js';
import type { EmbedImagesResult } from '../../eval/embed-images.js';
import { pickEmbedding } from '../../eval/lfw.js';
import { Gallery } from '../../gallery/gallery.js';
import { galleryModelId } from '../../gallery/face-source.js';
import { action, printResult } from '../output.js';
import { addOptions, JSON_OPTION, type OptionSpec } from '../options.js';
import {
  DETECTION_OPTIONS,
  flipOf,
  PACK_OPTIONS,
  PIPELINE_OPTIONS,
  recognizerOptions,
  type PipelineFlags,
} from './common.js';
import { CONCURRENCY_OPTION, embedForEvaluation, NO_CACHE_OPTION, WORKERS_OPTION } from './eval-common.js';
import { galleryDefault, withGalleryPack } from './gallery-common.js';

type CalibrateFlags = PipelineFlags & {
  cross?: boolean | string;
  lfw?: string;
  lfwPairs: string;
  exhaustive?: boolean;
  pairs?: string;
  gallery: string;
  out?: string;
  concurrency?: string;
  workers?: string;
  cache?: string | false;
};

const CALIBRATE_OPTIONS: readonly OptionSpec[] = [
  JSON_OPTION,
  ...PACK_OPTIONS,
  ...DETECTION_OPTIONS,
  PIPELINE_OPTIONS.model,
  PIPELINE_OPTIONS.crops,
  {
    flags: '--cross [flip]',
    help:
      'also calibrate queries of the other TTA variants (flip on/off, these crops or none) against templates ' +
      "of these crops with flip (`--cross flip`) or without (`--cross no-flip`); default: the pack's flip",
  },
  { flags: '--lfw <dir>', help: 'LFW folder (pairsDevTrain.txt by default)' },
  { flags: '--lfw-pairs <file>', help: 'LFW-format pairs file name or path', default: 'pairsDevTrain.txt' },
  {
    flags: '--exhaustive',
    help: 'with --lfw: score every pair of the listed images (millions of impostor pairs: resolves far lower FARs)',
  },
  { flags: '--pairs <file>', help: 'labelled pairs list: "IMAGE_A IMAGE_B 1|0" per line' },
  { flags: '--gallery <file>', help: 'gallery database to store the tables in', default: galleryDefault() },
  {
    flags: '--out <file>',
    help:
      'write/merge the tables into a calibration JSON file instead (the shipped ones: ' +
      'src/decide/calibrations/PACK.json)',
  },
  WORKERS_OPTION,
  CONCURRENCY_OPTION,
  { flags: '--cache <file>', help: 'embedding cache file (default: shared with eval lfw)' },
  NO_CACHE_OPTION,
];

function describeTable(t: CalibrationTable): string {
  const rows = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6].map((far) => {
    const c = tauForFar(t, far);
    return (
      `    FAR ${far.toExponential(0).padEnd(6)} τ ${c.threshold.toFixed(4)}  ` +
      `TAR ${(100 * c.tar).toFixed(2)}%${c.resolvable ? '' : '  (below resolution: strictest measured τ)'}`
    );
  });
  return [
    `  ${t.modelId}${t.probeModelId ? ` (templates) with queries of ${t.probeModelId}` : ''}: ` +
      `${t.genuinePairs.toLocaleString('en-US')} genuine / ` +
      `${t.impostorPairs.toLocaleString('en-US')} impostor pairs, ` +
      `AUC ${t.auc.toFixed(5)}, resolves FAR ≥ ${t.minResolvableFar.toExponential(2)}`,
    ...rows,
  ].join('\n');
}

/** `--cross` → the templates' flip: `flip`, `no-flip`, or (no value) the pack's. */
function crossFlip(v: true | string, packDefault: boolean): boolean {
  if (v === true) return packDefault;
  if (v === 'flip' || v === 'no-flip') return v === 'flip';
  throw new FaceError('INVALID_INPUT', `--cross takes flip or no-flip (the templates' flip setting), got "${v}"`);
}

/** The labelled pairs, with every flag checked before any work. */
function calibrationPlan(flags: CalibrateFlags): CalibrationPlan {
  if (!!flags.lfw === !!flags.pairs)
    throw new FaceError('INVALID_INPUT', 'give exactly one of --lfw DIR or --pairs FILE');
  if (typeof flags.cross === 'string') crossFlip(flags.cross, true);
  if (flags.exhaustive && !flags.lfw)
    throw new FaceError('INVALID_INPUT', '--exhaustive needs --lfw (identities come from the folder names)');
  return flags.lfw ? lfwCalibrationPlan(flags.lfw, flags.lfwPairs, !!flags.exhaustive) : readPairsList(flags.pairs!);
}

interface Pass {
  readonly crops: readonly number[];
  readonly res: EmbedImagesResult;
}

/** The plain and flipped variant of each pass, under their gallery model ids. */
function variantsOf(modelId: string, passes: readonly Pass[]): VariantEmbeddings[] {
  return passes.flatMap((p) =>
    (['plain', 'flip'] as const).map((variant) => {
      const embs = new Map([...p.res.embeddings].map(([f, e]) => [f, pickEmbedding(e, variant)]));
      return {
        modelId: galleryModelId(modelId, variant === 'flip', p.crops),
        embeddingOf: (f: string) => embs.get(f)!,
      };
    }),
  );
}

async function storeTables(flags: CalibrateFlags, tables: readonly CalibrationTable[]): Promise<string> {
  if (flags.out) {
    mergeIntoCalibrationFile(flags.out, tables);
    return flags.out;
  }
  const gallery = await Gallery.open({ location: flags.gallery });
  try {
    for (const t of tables) await gallery.store.saveCalibration(t);
  } finally {
    await gallery.close();
  }
  return flags.gallery;
}

function tableJson(t: CalibrationTable) {
  return {
    modelId: t.modelId,
    ...(t.probeModelId ? { probeModelId: t.probeModelId } : {}),
    genuinePairs: t.genuinePairs,
    impostorPairs: t.impostorPairs,
    minResolvableFar: t.minResolvableFar,
    auc: t.auc,
    thresholds: Object.fromEntries([1e-2, 1e-3, 1e-4, 1e-5, 1e-6].map((far) => [String(far), tauForFar(t, far)])),
  };
}

async function calibrateCommand(given: CalibrateFlags): Promise<void> {
  // into a gallery: with the pack its templates record unless one is named (a dlib128 gallery stays dlib128)
  const flags = given.out ? given : await withGalleryPack(given, given.gallery);
  const plan = calibrationPlan(flags);
  const t0 = performance.now();
  const { res, fr } = await embedForEvaluation(flags, recognizerOptions({ ...flags, flip: false }), plan.files);
  // each pass gives the plain and the flipped embedding; --cross adds a pass without crops (when crops are on)
  const passes: Pass[] = [{ crops: fr.ttaPaddings, res }];
  if (flags.cross && fr.ttaPaddings.length) {
    const noCrops = recognizerOptions({ ...flags, crops: 'none', flip: false });
    passes.push({ crops: [], res: (await embedForEvaluation(flags, noCrops, plan.files)).res });
  }
  const templates = flags.cross
    ? galleryModelId(fr.modelId, crossFlip(flags.cross, flipOf({ pack: flags.pack })), fr.ttaPaddings)
    : undefined;
  const tables = variantCalibrations(plan, variantsOf(fr.modelId, passes), templates);
  const computed = passes.reduce((n, p) => n + p.res.computed, 0);
  const fromCache = passes.reduce((n, p) => n + p.res.fromCache, 0);
  const where = await storeTables(flags, tables);
  const seconds = (performance.now() - t0) / 1000;
  const json = {
    stored: where,
    source: plan.source,
    images: plan.files.length,
    faces: faceCounts(res),
    embeddingsComputed: computed,
    embeddingsFromCache: fromCache,
    seconds,
    tables: tables.map(tableJson),
  };
  printResult(flags, json, () =>
    [
      `calibration from ${plan.source}, ${plan.files.length} images ` +
        `(${computed} embedded, ${fromCache} cached), ${seconds.toFixed(1)} s → ${where}`,
      ...tables.map(describeTable),
    ].join('\n'),
  );
}

export function registerCalibrateCommand(program: Command): void {
  const cmd = program
    .command('calibrate')
    .description(
      'compute the FAR → τ table from labelled pairs and store it with ' +
        'the gallery (or --out FILE); both flip variants are calibrated',
    );
  addOptions(cmd, CALIBRATE_OPTIONS).action(action(calibrateCommand));
}
