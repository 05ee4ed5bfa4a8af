/**
 * facenet enroll | verify | identify | people | forget | calibrate: the gallery on the command line.
 * Exit codes (EXIT in ../output.ts): 0 match / ok, 1 no match (nobody recognised), 2 a typed error.
 */
import type { Command } from 'commander';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calibrate, tauForFar, type CalibrationTable } from '../../decide/calibration.js';
import { lfwCalibrationPlan, readPairsList, scorePlan, type CalibrationPlan } from '../../decide/calibration-pairs.js';
import { DEFAULT_IDENTIFY_FAR, DEFAULT_VERIFY_FAR } from '../../decide/decisions.js';
import { parseCalibrationFile, shippedCalibrations, withTable, type CalibrationFile } from '../../decide/default-calibration.js';
import { FaceError } from '../../errors.js';
import { pickEmbedding } from '../../eval/lfw.js';
import { DEFAULT_GALLERY_PATH, Gallery, type IdentifyResult } from '../../gallery/gallery.js';
import { galleryModelId, galleryRecognizer } from '../../gallery/face-source.js';
import { parseCombination } from '../../gallery/templates.js';
import { isPostgresUrl } from '../../gallery/open-store.js';
import { printableName } from '../../gallery/names.js';
import type { FaceRecognizer } from '../../recognizer.js';
import { action, EXIT, printResult } from '../output.js';
import { flipOf, loadRecognizer, recognizerOptions, withDetectionOptions, withEmbeddingOptions, withPackOptions, withPipelineOptions, type PipelineFlags } from './common.js';
import { CONCURRENCY_HELP, embedForEvaluation, progressBar, WORKERS_HELP } from './eval.js';
import { registerEvalIdentifyCommand } from './identify-eval.js';

export interface GalleryFlags extends PipelineFlags {
  gallery: string;
  combination?: string;
}

const IMAGE_EXT = /\.(jpe?g|png|webp|tiff?|gif|avif|heic|heif)$/i;
const r4 = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : v);
const boxJson = (b: { x: number; y: number; width: number; height: number }) => ({ x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) });

function num(name: string, v: string | undefined, fallback: number, check: (n: number) => boolean = () => true): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new FaceError('INVALID_INPUT', `--${name}: invalid value "${v}"`);
  return n;
}

const farOk = (n: number) => n > 0 && n < 1;

const galleryOption = (cmd: Command) => cmd.option('--gallery <file|url>', 'gallery: SQLite file or postgres:// URL', process.env.FACENET_GALLERY ?? DEFAULT_GALLERY_PATH);
const combinationOption = (cmd: Command) => cmd.option('--combination <how>', 'how several photos of a person are matched: nearest | centroid');
const withGalleryOptions = (cmd: Command): Command => galleryOption(withPipelineOptions(cmd));

/** Read-only commands pass create=false: a mistyped --gallery is GALLERY_NOT_FOUND, and no file or folder appears. */
function assertGalleryExists(location: string): void {
  if (!isPostgresUrl(location) && location !== ':memory:' && !existsSync(location))
    throw new FaceError('GALLERY_NOT_FOUND', `no gallery at ${location}: enroll someone first, or check --gallery`, { gallery: location });
}

async function openGallery(flags: GalleryFlags, create = false): Promise<{ gallery: Gallery; fr: FaceRecognizer }> {
  if (!create) assertGalleryExists(flags.gallery); // before the model loads
  const fr = await loadRecognizer(flags);
  const gallery = await Gallery.open({
    create,
    location: flags.gallery,
    recognizer: galleryRecognizer(fr, flipOf(flags)),
    combination: flags.combination ? parseCombination(flags.combination) : undefined,
  });
  return { gallery, fr };
}

/** Files named, and image files under folders named (recursive, sorted). */
export function expandImageArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && IMAGE_EXT.test(e.name)) out.push(p);
    }
  };
  for (const a of args) {
    let isDir = false;
    try {
      isDir = statSync(a).isDirectory();
    } catch {
      // not there: passed on, the decoder reports IMAGE_NOT_FOUND for it
    }
    if (isDir) walk(a);
    else out.push(a);
  }
  return out;
}

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

type IdentifyRow = { source: string; result?: IdentifyResult; error?: FaceError };
type IdentifiedFace = IdentifyResult['faces'][number];

/** The nearest candidate who is not the answer (candidates are per template, so [1] may be the same person). */
export function nearestOther(f: IdentifiedFace): IdentifiedFace['candidates'][number] | undefined {
  return f.candidates.find((c) => c.person !== f.person);
}

/** Identify output as CSV: one row per face (or per image without faces / with an error). */
export function identifyCsv(rows: readonly IdentifyRow[], threshold: number): string {
  const lines = [['source', 'face', 'person', 'distance', 'threshold', 'second', 'second_distance', 'x', 'y', 'width', 'height', 'score', 'error'].join(',')];
  for (const r of rows) {
    if (r.error) lines.push([r.source, '', '', '', '', '', '', '', '', '', '', '', `${r.error.code}: ${r.error.message}`].map(csvCell).join(','));
    else if (!r.result!.faces.length) lines.push([r.source, 0, 'no face', '', r4(threshold), '', '', '', '', '', '', '', ''].map(csvCell).join(','));
    else
      r.result!.faces.forEach((f, i) => {
        const b = boxJson(f.box);
        const second = nearestOther(f);
        lines.push([r.source, i + 1, f.person, r4(f.distance), r4(threshold), second?.person, second ? r4(second.distance) : '', b.x, b.y, b.width, b.height, r4(f.score), ''].map(csvCell).join(','));
      });
  }
  return lines.join('\n');
}

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
    `  ${t.modelId}: ${t.genuinePairs.toLocaleString('en-US')} genuine / ${t.impostorPairs.toLocaleString('en-US')} impostor pairs, AUC ${t.auc.toFixed(5)}, resolves FAR ≥ ${t.minResolvableFar.toExponential(2)}`,
    ...rows,
  ].join('\n');
}

export function registerGalleryCommands(program: Command): void {
  withGalleryOptions(program.command('enroll <name> <images...>').description('enroll a person from one or more photos (one face each)'))
    .option('--largest', 'take the largest face of a photo with several instead of refusing it')
    .option('--metadata <json>', 'JSON object stored with the person')
    .action(
      action(async (name: string, images: string[], flags: GalleryFlags & { largest?: boolean; metadata?: string }) => {
        let metadata: Record<string, unknown> | undefined;
        if (flags.metadata !== undefined) {
          try {
            metadata = JSON.parse(flags.metadata) as Record<string, unknown>;
          } catch {
            throw new FaceError('INVALID_INPUT', `--metadata must be a JSON object, got ${flags.metadata}`);
          }
          if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) throw new FaceError('INVALID_INPUT', '--metadata must be a JSON object');
        }
        const { gallery } = await openGallery(flags, true);
        try {
          const r = await gallery.enroll(name, images, { largest: flags.largest, aligned: flags.aligned, metadata });
          const json = {
            person: r.person.name,
            created: r.created,
            templates: r.templates,
            added: r.added.map((a) => ({ source: a.source, sha256: a.sha256, detectionScore: r4(a.detectionScore), faceSize: Math.round(a.faceSize), facesInImage: a.facesInImage, box: boxJson(a.box) })),
            warnings: r.warnings,
            gallery: flags.gallery,
          };
          if (!flags.json) for (const w of r.warnings) process.stderr.write(`warning [${w.code}]: ${w.message}\n`);
          printResult(flags, json, () =>
            [
              `${r.created ? 'enrolled' : 'updated'} ${printableName(r.person.name)}: ${r.added.length} photo(s) added, ${r.templates} template(s) in ${flags.gallery}`,
              ...r.added.map((a) => `  ${a.source}: face ${Math.round(a.faceSize)} px, detector score ${a.detectionScore.toFixed(3)}${a.facesInImage > 1 ? ` (largest of ${a.facesInImage})` : ''}`),
            ].join('\n'),
          );
        } finally {
          await gallery.close();
        }
      }),
    );

  combinationOption(withGalleryOptions(program.command('verify <image>').description('1:1: is the face in IMAGE the enrolled person NAME?')))
    .requiredOption('--as <name>', 'the claimed identity')
    .option('--far <rate>', `target false-accept rate (default ${DEFAULT_VERIFY_FAR})`)
    .action(
      action(async (image: string, flags: GalleryFlags & { as: string; far?: string }) => {
        const far = num('far', flags.far, DEFAULT_VERIFY_FAR, farOk);
        const { gallery } = await openGallery(flags);
        try {
          const r = await gallery.verify(image, flags.as, { far, aligned: flags.aligned });
          const json = {
            match: r.match,
            person: r.person,
            distance: r4(r.distance),
            threshold: r4(r.threshold),
            far: r.far,
            targetFar: r.targetFar,
            farAtDistance: r.farAtDistance,
            resolvable: r.resolvable,
            comparisons: r.comparisons,
            facesInImage: r.facesInImage,
            box: boxJson(r.box),
            calibration: r.calibration,
          };
          if (!r.resolvable && !flags.json) process.stderr.write(`WARNING: target FAR ${far} is below what the calibration resolves; τ is the strictest measured one\n`);
          printResult(flags, json, () =>
            `${r.match ? 'MATCH' : 'NO MATCH'}: ${image} ${r.match ? 'is' : 'is not'} ${printableName(r.person)} — distance ${r.distance.toFixed(4)} ${r.match ? '<' : '≥'} τ ${r.threshold.toFixed(4)} ` +
            `(FAR ${r.far.toExponential(1)} target ${far}${r.facesInImage > 1 ? `; largest of ${r.facesInImage} faces` : ''})`,
          );
          return r.match ? EXIT.ok : EXIT.noMatch;
        } finally {
          await gallery.close();
        }
      }),
    );

  combinationOption(withGalleryOptions(program.command('identify <inputs...>').description('1:N open-set: who is in each photo (files or folders, recursive)?')))
    .option('--far <rate>', `open-set false-alarm rate: chance a stranger is matched to anyone (default ${DEFAULT_IDENTIFY_FAR})`)
    .option('--top-k <k>', 'candidates per face', '5')
    .option('--csv', 'CSV output, one row per face')
    .action(
      action(async (inputs: string[], flags: GalleryFlags & { far?: string; topK: string; csv?: boolean }) => {
        const far = num('far', flags.far, DEFAULT_IDENTIFY_FAR, farOk);
        const topK = num('top-k', flags.topK, 5, (n) => Number.isInteger(n) && n >= 1);
        const files = expandImageArgs(inputs);
        if (!files.length) throw new FaceError('INVALID_INPUT', `no images found in ${inputs.join(', ')}`);
        const { gallery } = await openGallery(flags);
        try {
          const info = await gallery.openSet(far);
          if (info.warning) process.stderr.write(`\n${info.warning}\n\n`);
          const bar = progressBar('identifying', files.length > 1 && process.stderr.isTTY === true);
          const rows: IdentifyRow[] = [];
          for (const [i, file] of files.entries()) {
            try {
              rows.push({ source: file, result: await gallery.identify(file, { far, topK, aligned: flags.aligned }) });
            } catch (e) {
              if (!(e instanceof FaceError)) throw e;
              rows.push({ source: file, error: e });
            }
            bar.update(i + 1, files.length);
          }
          bar.stop();
          const faces = rows.flatMap((r) => r.result?.faces ?? []);
          const summary = {
            images: files.length,
            faces: faces.length,
            recognised: faces.filter((f) => f.person !== 'unknown').length,
            unknown: faces.filter((f) => f.person === 'unknown').length,
            imagesWithoutFace: rows.filter((r) => r.result && !r.result.faces.length).length,
            errors: rows.filter((r) => r.error).length,
          };
          if (flags.csv) process.stdout.write(`${identifyCsv(rows, info.threshold)}\n`);
          else
            printResult(
              flags,
              {
                threshold: r4(info.threshold),
                openSetFar: info.openSetFar,
                perComparisonFar: info.perComparisonFar,
                people: info.people,
                comparisons: info.comparisons,
                resolvable: info.resolvable,
                ...(info.warning ? { warning: info.warning } : {}),
                calibration: info.calibration,
                results: rows.map((r) =>
                  r.error
                    ? { source: r.source, error: r.error.toJSON() }
                    : {
                        source: r.source,
                        faces: r.result!.faces.map((f) => ({
                          person: f.person,
                          distance: r4(f.distance),
                          box: boxJson(f.box),
                          score: r4(f.score),
                          candidates: f.candidates.map((c) => ({ person: c.person, distance: r4(c.distance) })),
                        })),
                      },
                ),
                summary,
              },
              () => {
                const w = Math.min(60, Math.max(6, ...files.map((f) => f.length)));
                const lines = [`${'image'.padEnd(w)}  face  ${'person'.padEnd(20)}  distance  nearest other candidate`];
                for (const r of rows) {
                  if (r.error) lines.push(`${r.source.padEnd(w)}  -     error [${r.error.code}] ${r.error.message}`);
                  else if (!r.result!.faces.length) lines.push(`${r.source.padEnd(w)}  -     (no face)`);
                  else
                    r.result!.faces.forEach((f, i) => {
                      const next = nearestOther(f);
                      lines.push(
                        `${(i ? '' : r.source).padEnd(w)}  ${String(i + 1).padEnd(4)}  ${printableName(f.person).padEnd(20)}  ${Number.isFinite(f.distance) ? f.distance.toFixed(4) : '-'.padEnd(6)}    ${next ? `${printableName(next.person)} ${next.distance.toFixed(4)}` : ''}`,
                      );
                    });
                }
                lines.push(
                  `τ ${info.threshold.toFixed(4)} for ${info.people} people (${info.comparisons} comparisons) at open-set false-alarm rate ${far} ` +
                    `(per comparison ${info.perComparisonFar.toExponential(2)}; ${info.calibration})`,
                  `${summary.recognised} recognised, ${summary.unknown} unknown, ${summary.imagesWithoutFace} image(s) without a face, ${summary.errors} error(s)`,
                );
                return lines.join('\n');
              },
            );
          if (!flags.json && !flags.csv) for (const r of rows) if (r.error) process.stderr.write(`error [${r.error.code}]: ${r.error.message}\n`);
          return summary.errors ? EXIT.error : summary.recognised ? EXIT.ok : EXIT.noMatch;
        } finally {
          await gallery.close();
        }
      }),
    );

  program
    .command('people')
    .description('list enrolled people')
    .option('--gallery <file|url>', 'gallery: SQLite file or postgres:// URL', process.env.FACENET_GALLERY ?? DEFAULT_GALLERY_PATH)
    .option('--json', 'machine-readable output')
    .action(
      action(async (flags: { gallery: string; json?: boolean }) => {
        const gallery = await Gallery.open({ location: flags.gallery, create: false });
        try {
          const people = await gallery.people();
          printResult(flags, { gallery: flags.gallery, people: people.map((p) => ({ name: p.name, templates: p.templates, created: p.created, metadata: p.metadata, models: p.modelIds })) }, () =>
            people.length
              ? [`${people.length} people in ${flags.gallery}`, ...people.map((p) => `  ${printableName(p.name).padEnd(30)} ${String(p.templates).padStart(3)} photo(s)  since ${p.created.slice(0, 10)}${Object.keys(p.metadata).length ? `  ${JSON.stringify(p.metadata)}` : ''}`)].join('\n')
              : `nobody enrolled in ${flags.gallery}`,
          );
        } finally {
          await gallery.close();
        }
      }),
    );

  galleryOption(withEmbeddingOptions(withPackOptions(program.command('index').description('build the HNSW search graph of a large gallery now and save it beside the file (later opens reuse it)').option('--json', 'machine-readable output'))))
    .action(
      action(async (flags: GalleryFlags) => {
        const { gallery } = await openGallery(flags);
        try {
          const t0 = performance.now();
          const saved = await gallery.saveGraph(true);
          const info = gallery.indexInfo();
          const seconds = (performance.now() - t0) / 1000;
          printResult(flags, { ...info, saved, seconds }, () =>
            saved
              ? `HNSW graph of ${info.entries} templates saved to ${info.graphFile} in ${seconds.toFixed(1)} s`
              : `nothing saved: ${info.search === 'store' ? 'the database searches this gallery itself' : info.mode === 'exact' || info.mode === 'empty' ? `${info.entries ?? 0} templates are searched exactly (HNSW starts above 50,000)` : 'the gallery changed while it was open'}`,
          );
        } finally {
          await gallery.close();
        }
      }),
    );

  program
    .command('forget <name>')
    .description('remove a person with every template and thumbnail')
    .option('--gallery <file|url>', 'gallery: SQLite file or postgres:// URL', process.env.FACENET_GALLERY ?? DEFAULT_GALLERY_PATH)
    .option('--json', 'machine-readable output')
    .action(
      action(async (name: string, flags: { gallery: string; json?: boolean }) => {
        const gallery = await Gallery.open({ location: flags.gallery, create: false });
        try {
          const r = await gallery.forget(name);
          printResult(flags, { forgotten: r.person.name, templatesRemoved: r.templatesRemoved }, () => `forgot ${printableName(r.person.name)}: ${r.templatesRemoved} template(s) and thumbnail(s) removed`);
        } finally {
          await gallery.close();
        }
      }),
    );

  withDetectionOptions(withPackOptions(program.command('calibrate').description('compute the FAR → τ table from labelled pairs and store it with the gallery (or --out FILE); both flip variants are calibrated').option('--json', 'machine-readable output')))
    .option('--model <path>', "embedding model exported by `facenet train` (default: the pack's embedder)")
    .option('--crops <paddings>', 'crop test-time augmentation: chip paddings averaged with the 0.25 chip, e.g. 0.15,0.35 (the default); none = off')
    .option('--lfw <dir>', 'LFW folder (pairsDevTrain.txt by default)')
    .option('--lfw-pairs <file>', 'LFW-format pairs file name or path', 'pairsDevTrain.txt')
    .option('--exhaustive', 'with --lfw: score every pair of the listed images (millions of impostor pairs: resolves far lower FARs)')
    .option('--pairs <file>', 'labelled pairs list: "IMAGE_A IMAGE_B 1|0" per line')
    .option('--gallery <file>', 'gallery database to store the tables in', process.env.FACENET_GALLERY ?? DEFAULT_GALLERY_PATH)
    .option('--out <file>', 'write/merge the tables into a calibration JSON file instead (e.g. src/decide/default-calibration.json)')
    .option('--workers <n>', WORKERS_HELP)
    .option('--concurrency <n>', CONCURRENCY_HELP)
    .option('--cache <file>', 'embedding cache file (default: shared with eval lfw)')
    .option('--no-cache', 'recompute every embedding')
    .action(
      action(async (flags: PipelineFlags & { lfw?: string; lfwPairs: string; exhaustive?: boolean; pairs?: string; gallery: string; out?: string; concurrency?: string; workers?: string; cache?: string | false }) => {
        if (!!flags.lfw === !!flags.pairs) throw new FaceError('INVALID_INPUT', 'give exactly one of --lfw DIR or --pairs FILE');
        if (flags.exhaustive && !flags.lfw) throw new FaceError('INVALID_INPUT', '--exhaustive needs --lfw (identities come from the folder names)');
        const plan: CalibrationPlan = flags.lfw ? lfwCalibrationPlan(flags.lfw, flags.lfwPairs, !!flags.exhaustive) : readPairsList(flags.pairs!);
        const t0 = performance.now();
        const { res, fr } = await embedForEvaluation(flags, recognizerOptions({ ...flags, flip: false }), plan.files);
        const statuses = { ok: 0, central: 0, noface: 0 };
        for (const e of res.embeddings.values()) statuses[e.status]++;
        const tables = (['plain', 'flip'] as const).map((variant) => {
          const embs = new Map([...res.embeddings].map(([f, e]) => [f, pickEmbedding(e, variant)]));
          const pairs = scorePlan(plan, (f) => embs.get(f)!);
          return calibrate(pairs, { modelId: galleryModelId(fr.modelId, variant === 'flip', fr.ttaPaddings), source: plan.source });
        });
        let where: string;
        if (flags.out) {
          let file = readCalibrationFile(flags.out);
          if (!file.tables.length && !file.about) file = { about: shippedCalibrations().about, tables: [] };
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
            embeddingsComputed: res.computed,
            embeddingsFromCache: res.fromCache,
            seconds,
            tables: tables.map((t) => ({
              modelId: t.modelId,
              genuinePairs: t.genuinePairs,
              impostorPairs: t.impostorPairs,
              minResolvableFar: t.minResolvableFar,
              auc: t.auc,
              thresholds: Object.fromEntries([1e-2, 1e-3, 1e-4, 1e-5, 1e-6].map((far) => [String(far), tauForFar(t, far)])),
            })),
          },
          () => [`calibration from ${plan.source}, ${plan.files.length} images (${res.computed} embedded, ${res.fromCache} cached), ${seconds.toFixed(1)} s → ${where}`, ...tables.map(describeTable)].join('\n'),
        );
      }),
    );

  registerEvalIdentifyCommand(program);
}
