/**
 * facenet cluster: who is in these photos. Groups every face of the folders into people, kept in a cluster state file
 * (so ids are stable and new photos join existing groups). `name` and `groups` (groups.ts) work on that state.
 */
import type { Command } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import { DEFAULT_ALGORITHM, parseAlgorithm, type ClusterOptions } from '../../cluster/cluster.js';
import { contactSheetHtml } from '../../cluster/contact-sheet.js';
import { clusterCalibration, clusterIntoState, facesOfPhoto, matchGroups } from '../../cluster/library.js';
import { ClusterState, type NewFace } from '../../cluster/state.js';
import type { CalibrationTable } from '../../decide/calibration.js';
import { FaceError, isInputError } from '../../errors.js';
import { galleryRecognizer, packOfModelId, type GalleryRecognizer } from '../../gallery/face-source.js';
import { notePack, withGalleryPack } from './gallery-common.js';
import { Gallery } from '../../gallery/gallery.js';
import { action, EXIT, printResult, writeErr, writeOut } from '../output.js';
import { numberFlag, POSITIVE_INT, RATE } from '../flags.js';
import { listPhotos, type RejectedInput } from '../inputs.js';
import { addOptions, type OptionSpec } from '../options.js';
import { progressBar } from '../progress.js';
import { loadRecognizer, withPipelineOptions, type PipelineFlags } from './common.js';
import { registerEvalClusterCommand } from './cluster-eval.js';
import { stateCsv, stateJson, stateTable } from './cluster-output.js';
import { registerGroupCommands, STATE_OPTION, type StateFlags } from './groups.js';

interface ClusterFlags extends PipelineFlags, StateFlags {
  algorithm?: string;
  far?: string;
  mergeRate?: string;
  threshold?: string;
  minSize?: string;
  gallery?: string;
  calibration?: string;
  csv?: boolean;
  html?: string;
}

const CLUSTER_OPTIONS: readonly OptionSpec[] = [
  STATE_OPTION,
  {
    flags: '--algorithm <name>',
    help:
      "average-linkage (default) | chinese-whispers (dlib's, faster) " +
      '| chinese-whispers-weighted | connected-components | dbscan | complete-linkage',
  },
  {
    flags: '--merge-rate <F>',
    help:
      'per-face false-merge rate: chance a face has a stranger within τ among all the others; ' +
      'τ from the calibration (default per algorithm: average-linkage 0.2 up to 1,000 faces, down to 0.12 from ' +
      '10,000; chinese-whispers 0.013; see docs/clustering.md)',
  },
  { flags: '--far <rate>', help: 'pairwise false-merge rate of one comparison instead of --merge-rate' },
  { flags: '--threshold <distance>', help: 'explicit L2 distance threshold instead of the calibration' },
  { flags: '--min-size <n>', help: 'smallest group; faces in smaller ones are unclustered', default: '2' },
  {
    flags: '--gallery <file|url>',
    help: 'also show which groups match people enrolled in this gallery (and use its calibration)',
  },
  {
    flags: '--calibration <file>',
    help:
      'calibration JSON (`facenet calibrate --out FILE`) ' +
      "with a table for this model; default: the gallery's, else the shipped one",
  },
  { flags: '--csv', help: 'CSV output, one row per face' },
  { flags: '--html <file>', help: 'write an HTML contact sheet: one row of face thumbnails per group' },
];

function clusterOptions(flags: ClusterFlags, calibration: CalibrationTable | undefined): ClusterOptions {
  return {
    algorithm: flags.algorithm ? parseAlgorithm(flags.algorithm) : undefined,
    targetFar: numberFlag('far', flags.far, RATE),
    mergeRate: numberFlag('merge-rate', flags.mergeRate, RATE),
    threshold: numberFlag('threshold', flags.threshold, { above: 0, max: 2 }),
    minSize: numberFlag('min-size', flags.minSize, POSITIVE_INT),
    calibration,
  };
}

interface EmbeddedPhotos {
  faces: NewFace[];
  noFace: string[];
  errors: RejectedInput[];
}

/** Every face of every photo; a photo with a typed error is listed with it, anything else stops the run. */
async function embedPhotos(recognizer: GalleryRecognizer, images: string[], flags: ClusterFlags) {
  const out: EmbeddedPhotos = { faces: [], noFace: [], errors: [] };
  const bar = progressBar('clustering', images.length > 1 && !flags.json && process.stderr.isTTY === true);
  for (const [i, file] of images.entries()) {
    try {
      const found = await facesOfPhoto(recognizer, file, file, { aligned: flags.aligned });
      if (!found.length) out.noFace.push(file);
      out.faces.push(...found);
    } catch (e) {
      if (!isInputError(e)) throw e;
      out.errors.push({ file, error: e });
    }
    bar.update(i + 1, images.length);
  }
  bar.stop();
  return out;
}

type ClusterRun = Awaited<ReturnType<typeof clusterIntoState>>;

interface ClusterContext {
  readonly inputs: readonly string[];
  readonly images: number;
  readonly model: string;
  readonly opts: ClusterOptions;
}

function clusterSummary(flags: ClusterFlags, c: ClusterContext, photos: EmbeddedPhotos, run?: ClusterRun) {
  return {
    images: c.images,
    faces: photos.faces.length,
    added: run?.added ?? 0,
    alreadyKnown: run?.alreadyKnown ?? 0,
    joinedExisting: run?.joined ?? 0,
    newGroups: run?.newGroups ?? [],
    imagesWithoutFace: photos.noFace,
    errors: photos.errors.map((r) => ({ file: r.file, error: r.error.toJSON() })),
    threshold: run
      ? {
          value: run.threshold.threshold,
          source: run.threshold.source,
          targetFar: run.threshold.calibrated?.targetFar,
          resolvable: run.threshold.calibrated?.resolvable,
        }
      : null,
    algorithm: c.opts.algorithm ?? DEFAULT_ALGORITHM,
    model: c.model,
    state: flags.state,
    ...(flags.html ? { html: flags.html } : {}),
  };
}

function summaryLine(s: ReturnType<typeof clusterSummary>, json: ReturnType<typeof stateJson>, run?: ClusterRun) {
  const calibrated = run?.threshold.calibrated;
  return (
    `${s.images} photos, ${s.faces} faces (${s.added} new, ${s.alreadyKnown} already in ${s.state}); ` +
    `${json.groups.length} groups (${s.newGroups.length} new, ` +
    `${s.joinedExisting} faces joined existing ones), ${json.unclustered.length} unclustered` +
    (run
      ? `; τ ${run.threshold.threshold.toFixed(4)} (${s.algorithm}` +
        (calibrated ? ` at pairwise false-merge rate ${calibrated.targetFar.toExponential(1)}` : '') +
        ')'
      : '') +
    (s.imagesWithoutFace.length ? `; ${s.imagesWithoutFace.length} photos without a face` : '') +
    (s.errors.length ? `; ${s.errors.length} files with errors` : '') +
    (s.html ? `; contact sheet → ${s.html}` : '')
  );
}

/** Cluster the faces into the state file and print the state; a run that found no face creates no state file. */
async function clusterIntoStateFile(
  flags: ClusterFlags,
  c: ClusterContext,
  gallery: Gallery | undefined,
  photos: EmbeddedPhotos,
): Promise<number> {
  const { faces, errors } = photos;
  const state = ClusterState.open(faces.length || existsSync(flags.state) ? flags.state : ':memory:');
  try {
    const run = faces.length ? await clusterIntoState(state, c.model, faces, c.opts) : undefined;
    const matches = gallery ? await matchGroups(state, gallery) : undefined;
    const json = stateJson(state, matches);
    if (flags.html)
      writeFileSync(flags.html, contactSheetHtml(state, { matches, title: `facenet cluster: ${c.inputs.join(', ')}` }));
    const summary = clusterSummary(flags, c, photos, run);
    if (!flags.json) for (const r of errors) writeErr(`error [${r.error.code}] ${r.file}: ${r.error.message}\n`);
    if (flags.csv) writeOut(`${stateCsv(json)}\n`);
    else printResult(flags, { ...json, ...summary }, () => `${stateTable(json)}\n\n${summaryLine(summary, json, run)}`);
    // nothing usable at all (every photo failed): a failed run for scripts, with the per-file errors above
    return errors.length && !faces.length && !photos.noFace.length ? EXIT.error : EXIT.ok;
  } finally {
    state.close();
  }
}

/** The pack named, else the gallery's, else the one the existing state file's faces were embedded with. */
async function clusterPack(flags: ClusterFlags): Promise<ClusterFlags> {
  if (flags.gallery) return withGalleryPack(flags, flags.gallery);
  if (flags.pack !== undefined || flags.model !== undefined || !existsSync(flags.state)) return flags;
  const state = ClusterState.open(flags.state, { mustExist: true });
  let model: string | undefined;
  try {
    model = state.modelId();
  } finally {
    state.close();
  }
  const recorded = model === undefined ? undefined : packOfModelId(model);
  if (recorded) notePack(recorded);
  return { ...flags, pack: recorded };
}

async function clusterCommand(inputs: string[], flags: ClusterFlags): Promise<number> {
  const { images, rejected } = listPhotos(inputs);
  if (!images.length)
    throw new FaceError(
      'INVALID_INPUT',
      `no images found in ${inputs.join(', ')}` +
        (rejected.length ? ` (${rejected.length} other files skipped)` : '') +
        '; nothing was changed',
      { errors: rejected.map((r) => ({ file: r.file, error: r.error.toJSON() })) },
    );
  clusterOptions(flags, undefined); // bad flags fail before any work
  const fr = await loadRecognizer(await clusterPack(flags));
  const recognizer = galleryRecognizer(fr, fr.flip);
  const gallery = flags.gallery ? await Gallery.open({ location: flags.gallery, recognizer }) : undefined;
  try {
    const calibration = await clusterCalibration(recognizer, { file: flags.calibration, gallery });
    const c = { inputs, images: images.length, model: recognizer.modelId, opts: clusterOptions(flags, calibration) };
    const photos = await embedPhotos(recognizer, images, flags);
    photos.errors.unshift(...rejected);
    return await clusterIntoStateFile(flags, c, gallery, photos);
  } finally {
    await gallery?.close();
  }
}

export function registerClusterCommands(program: Command): void {
  registerEvalClusterCommand(program);
  const cmd = program
    .command('cluster <inputs...>')
    .description('group every face in the photos (files or folders, recursive) into people');
  addOptions(withPipelineOptions(cmd), CLUSTER_OPTIONS).action(action(clusterCommand));
  registerGroupCommands(program);
}
