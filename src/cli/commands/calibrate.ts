/** facenet calibrate: the FAR → τ tables from labelled pairs, stored in a gallery or a calibration JSON file. */
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { tauForFar, type CalibrationTable } from '../../decide/calibration.js';
import { lfwCalibrationPlan, readPairsList, type CalibrationPlan } from '../../decide/calibration-pairs.js';
import { variantCalibrations, type VariantEmbeddings } from '../../decide/variant-calibration.js';
import { parseCalibrationFile, withTable, type CalibrationFile } from '../../decide/default-calibration.js';
import { FaceError } from '../../errors.js';
import { pickEmbedding } from '../../eval/lfw.js';
import { DEFAULT_GALLERY_PATH, Gallery } from '../../gallery/gallery.js';
import { galleryModelId } from '../../gallery/face-source.js';
import { action, printResult } from '../output.js';
import { flipOf, recognizerOptions, withDetectionOptions, withPackOptions, type PipelineFlags } from './common.js';
import { CONCURRENCY_HELP, embedForEvaluation, WORKERS_HELP } from './eval.js';
import { notePack } from './gallery-common.js';
import { packForGallery } from '../../gallery/recorded-pack.js';

function readCalibrationFile(file: string): CalibrationFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { tables: [] };
  }
  try {
    return parseCalibrationFile(JSON.parse(text), file);
  } catch (e) {
    if (e instanceof FaceError) throw e;
    throw new FaceError('CALIBRATION_ERROR', `${file} is not JSON: ${(e as Error).message}`);
  }
}

function describeTable(t: CalibrationTable): string {
  const rows = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6].map((far) => {
    const c = tauForFar(t, far);
    return `    FAR ${far.toExponential(0).padEnd(6)} τ ${c.threshold.toFixed(4)}  TAR ${(100 * c.tar).toFixed(2)}%${c.resolvable ? '' : '  (below resolution: strictest measured τ)'}`;
  });
  return [
    `  ${t.modelId}${t.probeModelId ? ` (templates) with queries of ${t.probeModelId}` : ''}: ${t.genuinePairs.toLocaleString('en-US')} genuine / ${t.impostorPairs.toLocaleString('en-US')} impostor pairs, AUC ${t.auc.toFixed(5)}, resolves FAR ≥ ${t.minResolvableFar.toExponential(2)}`,
    ...rows,
  ].join('\n');
}

/** `--cross` → the templates' flip: `flip`, `no-flip`, or (no value) the pack's. */
function crossFlip(v: true | string, packDefault: boolean): boolean {
  if (v === true) return packDefault;
  if (v === 'flip' || v === 'no-flip') return v === 'flip';
  throw new FaceError('INVALID_INPUT', `--cross takes flip or no-flip (the templates' flip setting), got "${v}"`);
}

export function registerCalibrateCommand(program: Command): void {
  withDetectionOptions(
    withPackOptions(
      program
        .command('calibrate')
        .description(
          'compute the FAR → τ table from labelled pairs and store it with the gallery (or --out FILE); both flip variants are calibrated',
        )
        .option('--json', 'machine-readable output'),
    ),
  )
    .option('--model <path>', "embedding model exported by `facenet train` (default: the pack's embedder)")
    .option(
      '--crops <paddings>',
      'crop test-time augmentation: chip paddings averaged with the 0.25 chip, e.g. 0.15,0.35 (the default); none = off',
    )
    .option(
      '--cross [flip]',
      "also calibrate queries of the other TTA variants (flip on/off, these crops or none) against templates of these crops with flip (`--cross flip`) or without (`--cross no-flip`); default: the pack's flip",
    )
    .option('--lfw <dir>', 'LFW folder (pairsDevTrain.txt by default)')
    .option('--lfw-pairs <file>', 'LFW-format pairs file name or path', 'pairsDevTrain.txt')
    .option(
      '--exhaustive',
      'with --lfw: score every pair of the listed images (millions of impostor pairs: resolves far lower FARs)',
    )
    .option('--pairs <file>', 'labelled pairs list: "IMAGE_A IMAGE_B 1|0" per line')
    .option(
      '--gallery <file>',
      'gallery database to store the tables in',
      process.env.FACENET_GALLERY ?? DEFAULT_GALLERY_PATH,
    )
    .option(
      '--out <file>',
      'write/merge the tables into a calibration JSON file instead (the shipped ones: src/decide/calibrations/PACK.json)',
    )
    .option('--workers <n>', WORKERS_HELP)
    .option('--concurrency <n>', CONCURRENCY_HELP)
    .option('--cache <file>', 'embedding cache file (default: shared with eval lfw)')
    .option('--no-cache', 'recompute every embedding')
    .action(
      action(
        async (
          flags: PipelineFlags & {
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
          },
        ) => {
          if (!!flags.lfw === !!flags.pairs)
            throw new FaceError('INVALID_INPUT', 'give exactly one of --lfw DIR or --pairs FILE');
          if (typeof flags.cross === 'string') crossFlip(flags.cross, true); // a bad value fails before any work
          if (flags.exhaustive && !flags.lfw)
            throw new FaceError('INVALID_INPUT', '--exhaustive needs --lfw (identities come from the folder names)');
          const plan: CalibrationPlan = flags.lfw
            ? lfwCalibrationPlan(flags.lfw, flags.lfwPairs, !!flags.exhaustive)
            : readPairsList(flags.pairs!);
          const t0 = performance.now();
          // into a gallery: with the pack its templates record unless one is named (a dlib128 gallery stays dlib128)
          if (!flags.out)
            flags = {
              ...flags,
              pack: await packForGallery(flags.gallery, { pack: flags.pack, modelPath: flags.model }, notePack),
            };
          const { res, fr } = await embedForEvaluation(flags, recognizerOptions({ ...flags, flip: false }), plan.files);
          const statuses = { ok: 0, central: 0, noface: 0 };
          for (const e of res.embeddings.values()) statuses[e.status]++;
          // each pass gives the plain and the flipped embedding; --cross adds a pass without crops (when crops are on)
          const passes = [{ crops: fr.ttaPaddings, res }];
          if (flags.cross && fr.ttaPaddings.length)
            passes.push({
              crops: [],
              res: (
                await embedForEvaluation(flags, recognizerOptions({ ...flags, crops: 'none', flip: false }), plan.files)
              ).res,
            });
          const variants: VariantEmbeddings[] = passes.flatMap((p) =>
            (['plain', 'flip'] as const).map((variant) => {
              const embs = new Map([...p.res.embeddings].map(([f, e]) => [f, pickEmbedding(e, variant)]));
              return {
                modelId: galleryModelId(fr.modelId, variant === 'flip', p.crops),
                embeddingOf: (f: string) => embs.get(f)!,
              };
            }),
          );
          const templates = flags.cross
            ? galleryModelId(fr.modelId, crossFlip(flags.cross, flipOf({ pack: flags.pack })), fr.ttaPaddings)
            : undefined;
          const tables = variantCalibrations(plan, variants, templates);
          const [computed, fromCache] = [
            passes.reduce((n, p) => n + p.res.computed, 0),
            passes.reduce((n, p) => n + p.res.fromCache, 0),
          ];
          let where: string;
          if (flags.out) {
            let file = readCalibrationFile(flags.out);
            if (!file.tables.length && !file.about)
              file = {
                about: `FAR → τ tables written by facenet calibrate --out ${flags.out}, one per model variant`,
                tables: [],
              };
            for (const t of tables) file = withTable(file, t);
            writeFileSync(flags.out, `${JSON.stringify(file, null, 1)}\n`);
            where = flags.out;
          } else {
            const gallery = await Gallery.open({ location: flags.gallery });
            try {
              for (const t of tables) await gallery.store.saveCalibration(t);
            } finally {
              await gallery.close();
            }
            where = flags.gallery;
          }
          const seconds = (performance.now() - t0) / 1000;
          printResult(
            flags,
            {
              stored: where,
              source: plan.source,
              images: plan.files.length,
              faces: { single: statuses.ok, centralOfSeveral: statuses.central, noFaceCentreFallback: statuses.noface },
              embeddingsComputed: computed,
              embeddingsFromCache: fromCache,
              seconds,
              tables: tables.map((t) => ({
                modelId: t.modelId,
                ...(t.probeModelId ? { probeModelId: t.probeModelId } : {}),
                genuinePairs: t.genuinePairs,
                impostorPairs: t.impostorPairs,
                minResolvableFar: t.minResolvableFar,
                auc: t.auc,
                thresholds: Object.fromEntries(
                  [1e-2, 1e-3, 1e-4, 1e-5, 1e-6].map((far) => [String(far), tauForFar(t, far)]),
                ),
              })),
            },
            () =>
              [
                `calibration from ${plan.source}, ${plan.files.length} images (${computed} embedded, ${fromCache} cached), ${seconds.toFixed(1)} s → ${where}`,
                ...tables.map(describeTable),
              ].join('\n'),
          );
        },
      ),
    );
}
