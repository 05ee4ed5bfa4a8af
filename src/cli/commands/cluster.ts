/**
 * facenet cluster | name | groups: who is in these photos. `cluster` groups every face of the folders into people
 * (kept in a cluster state file, so ids are stable and new photos join existing groups); `name` enrolls a group in
 * the gallery; `groups` lists, shows, renames, corrects and deletes what the state holds.
 */
import type { Command } from 'commander';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_ALGORITHM, parseAlgorithm, type ClusterOptions } from '../../cluster/cluster.js';
import { contactSheetHtml } from '../../cluster/contact-sheet.js';
import { clusterIntoState, facesOfPhoto, matchGroups, nameGroup, type GroupMatch } from '../../cluster/library.js';
import { ClusterState, DEFAULT_CLUSTER_STATE, type NewFace, type StoredFace } from '../../cluster/state.js';
import type { CalibrationTable } from '../../decide/calibration.js';
import { calibrationFromFile, defaultCalibration } from '../../decide/default-calibration.js';
import { FaceError, ImageError } from '../../errors.js';
import { galleryRecognizer, packOfModelId } from '../../gallery/face-source.js';
import { packForGallery } from '../../gallery/recorded-pack.js';
import { DEFAULT_GALLERY_PATH, Gallery } from '../../gallery/gallery.js';
import { action, EXIT, printResult } from '../output.js';
import { flipOf, loadRecognizer, withPipelineOptions, type PipelineFlags } from './common.js';
import { progressBar } from './eval.js';
import { notePack } from './gallery-common.js';
import { registerEvalClusterCommand } from './cluster-eval.js';

const IMAGE_EXT = /\.(jpe?g|png|webp|tiff?|gif|avif|heic|heif)$/i;

interface StateFlags {
  state: string;
  json?: boolean;
}

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

const STATE_HELP = 'cluster state file: groups with stable ids, kept between runs';
const defaultState = () => process.env.FACENET_CLUSTERS ?? DEFAULT_CLUSTER_STATE;

function withState(cmd: Command): Command {
  return cmd.option('--state <file>', STATE_HELP, defaultState()).option('--json', 'machine-readable output');
}

/** Image files under the inputs (recursive, sorted); other files are reported, not read; hidden ones ignored. */
export function listPhotos(inputs: readonly string[]): {
  images: string[];
  rejected: { file: string; error: FaceError }[];
} {
  const images: string[] = [];
  const rejected: { file: string; error: FaceError }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && IMAGE_EXT.test(e.name)) images.push(p);
      else if (e.isFile())
        rejected.push({
          file: p,
          error: new ImageError('IMAGE_UNSUPPORTED', `${p} is not an image file (by its extension); skipped`, {
            source: p,
          }),
        });
    }
  };
  for (const a of inputs) {
    let st;
    try {
      st = statSync(a);
    } catch {
      rejected.push({ file: a, error: new ImageError('IMAGE_NOT_FOUND', `${a} does not exist`, { source: a }) });
      continue;
    }
    if (st.isDirectory()) walk(a);
    else images.push(a);
  }
  return { images, rejected };
}

function positive(name: string, v: string | undefined, check: (n: number) => boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new FaceError('INVALID_INPUT', `--${name}: invalid value "${v}"`);
  return n;
}

function clusterOptions(flags: ClusterFlags, calibration: CalibrationTable | undefined): ClusterOptions {
  return {
    algorithm: flags.algorithm ? parseAlgorithm(flags.algorithm) : undefined,
    targetFar: positive('far', flags.far, (n) => n > 0 && n < 1),
    mergeRate: positive('merge-rate', flags.mergeRate, (n) => n > 0 && n < 1),
    threshold: positive('threshold', flags.threshold, (n) => n > 0 && n <= 2),
    minSize: positive('min-size', flags.minSize, (n) => Number.isInteger(n) && n >= 1),
    calibration,
  };
}

const boxJson = (b: { x: number; y: number; width: number; height: number }) => ({
  x: Math.round(b.x),
  y: Math.round(b.y),
  width: Math.round(b.width),
  height: Math.round(b.height),
});
const faceJson = (f: StoredFace) => ({ id: f.id, file: f.file, box: boxJson(f.box) });

/** The state as the issue's JSON: groups with their faces, then the unclustered faces. */
export function stateJson(state: ClusterState, matches?: Map<number, GroupMatch>) {
  return {
    groups: state.groups().map((g) => ({
      id: g.id,
      name: g.name,
      person: g.person,
      ...(matches ? { match: matches.get(g.id) ?? null } : {}),
      faces: state.faces(g.id).map(faceJson),
    })),
    unclustered: state.faces(null).map(faceJson),
  };
}

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function stateCsv(json: ReturnType<typeof stateJson>): string {
  const lines = [['group', 'name', 'person', 'match', 'face', 'file', 'x', 'y', 'width', 'height'].join(',')];
  const row = (
    g: string | number,
    name: string | null,
    person: string | null,
    match: string,
    f: ReturnType<typeof faceJson>,
  ) =>
    lines.push(
      [g, name, person, match, f.id, f.file, f.box.x, f.box.y, f.box.width, f.box.height].map(csvCell).join(','),
    );
  for (const g of json.groups)
    for (const f of g.faces) row(g.id, g.name, g.person, 'match' in g && g.match ? g.match.person : '', f);
  for (const f of json.unclustered) row('', null, null, '', f);
  return lines.join('\n');
}

function stateTable(json: ReturnType<typeof stateJson>, maxFiles = 6): string {
  const files = (fs: { file: string }[]) =>
    fs
      .slice(0, maxFiles)
      .map((f) => path.basename(f.file))
      .join(', ') + (fs.length > maxFiles ? `, … (+${fs.length - maxFiles})` : '');
  const lines = json.groups.map((g) => {
    const name = g.person ? `${g.person} (enrolled)` : (g.name ?? 'unnamed');
    const match = 'match' in g && g.match ? `  ≈ ${g.match.person} (${g.match.faces}/${g.match.of} faces)` : '';
    return `group ${String(g.id).padStart(4)}  ${name.padEnd(20)} ${String(g.faces.length).padStart(4)} faces${match}: ${files(g.faces)}`;
  });
  if (json.unclustered.length)
    lines.push(
      `unclustered       ${''.padEnd(20)} ${String(json.unclustered.length).padStart(4)} faces: ${files(json.unclustered)}`,
    );
  return lines.join('\n');
}

/** The pack named, else the one the gallery records (packForGallery). */
const galleryPack = (location: string, flags: PipelineFlags) =>
  packForGallery(location, { pack: flags.pack, modelPath: flags.model }, notePack);

/** The pack named, else the gallery's, else the one the existing state file's faces were embedded with. */
async function clusterPack(flags: ClusterFlags): Promise<string | undefined> {
  const pack = flags.gallery ? await galleryPack(flags.gallery, flags) : flags.pack;
  if (pack !== undefined || flags.model !== undefined || !existsSync(flags.state)) return pack;
  const model = await withStateOpen(flags.state, (s) => s.modelId());
  const recorded = model === undefined ? undefined : packOfModelId(model);
  if (recorded) notePack(recorded);
  return recorded;
}

async function openGalleryFor(
  flags: { gallery: string },
  fr: Awaited<ReturnType<typeof loadRecognizer>>,
  flip: boolean,
): Promise<Gallery> {
  return Gallery.open({ location: flags.gallery, recognizer: galleryRecognizer(fr, flip) });
}

function withStateOpen<R>(file: string, fn: (s: ClusterState) => R | Promise<R>): Promise<R> {
  const state = ClusterState.open(file, { mustExist: true });
  return Promise.resolve()
    .then(() => fn(state))
    .finally(() => state.close());
}

const parseId = (what: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new FaceError('INVALID_INPUT', `${what} must be a positive integer id, got "${v}"`);
  return n;
};

export function registerClusterCommands(program: Command): void {
  registerEvalClusterCommand(program);
  withPipelineOptions(
    program
      .command('cluster <inputs...>')
      .description('group every face in the photos (files or folders, recursive) into people'),
  )
    .option('--state <file>', STATE_HELP, defaultState())
    .option(
      '--algorithm <name>',
      "average-linkage (default) | chinese-whispers (dlib's, faster) | chinese-whispers-weighted | connected-components | dbscan | complete-linkage",
    )
    .option(
      '--merge-rate <F>',
      'per-face false-merge rate: chance a face has a stranger within τ among all the others; τ from the calibration (default per algorithm: 0.12 for average-linkage, 0.013 for chinese-whispers; see docs/clustering.md)',
    )
    .option('--far <rate>', 'pairwise false-merge rate of one comparison instead of --merge-rate')
    .option('--threshold <distance>', 'explicit L2 distance threshold instead of the calibration')
    .option('--min-size <n>', 'smallest group; faces in smaller ones are unclustered', '2')
    .option(
      '--gallery <file|url>',
      'also show which groups match people enrolled in this gallery (and use its calibration)',
    )
    .option(
      '--calibration <file>',
      "calibration JSON (`facenet calibrate --out FILE`) with a table for this model; default: the gallery's, else the shipped one",
    )
    .option('--csv', 'CSV output, one row per face')
    .option('--html <file>', 'write an HTML contact sheet: one row of face thumbnails per group')
    .action(
      action(async (inputs: string[], flags: ClusterFlags) => {
        const { images, rejected } = listPhotos(inputs);
        if (!images.length)
          throw new FaceError(
            'INVALID_INPUT',
            `no images found in ${inputs.join(', ')}${rejected.length ? ` (${rejected.length} other files skipped)` : ''}; nothing was changed`,
            {
              errors: rejected.map((r) => ({ file: r.file, error: r.error.toJSON() })),
            },
          );
        clusterOptions(flags, undefined); // bad flags fail before any work
        flags = { ...flags, pack: await clusterPack(flags) };
        const fr = await loadRecognizer(flags);
        const recognizer = galleryRecognizer(fr, flipOf(flags));
        const gallery = flags.gallery ? await openGalleryFor({ gallery: flags.gallery }, fr, flipOf(flags)) : undefined;
        try {
          const calibration = flags.calibration
            ? calibrationFromFile(flags.calibration, recognizer.modelId)
            : gallery && gallery.templateModelId === recognizer.modelId
              ? (await gallery.calibration()).table
              : // faces are compared with each other: a gallery of another TTA variant lends its own table for them only
                ((await gallery?.store.calibration(recognizer.modelId)) ??
                recognizer.calibration ??
                defaultCalibration(recognizer.modelId));
          const opts = clusterOptions(flags, calibration);
          const errors = [...rejected];
          const noFace: string[] = [];
          const faces: NewFace[] = [];
          const bar = progressBar('clustering', images.length > 1 && !flags.json && process.stderr.isTTY === true);
          for (const [i, file] of images.entries()) {
            try {
              const found = await facesOfPhoto(recognizer, file, file, { aligned: flags.aligned });
              if (!found.length) noFace.push(file);
              faces.push(...found);
            } catch (e) {
              if (!(e instanceof FaceError)) throw e;
              errors.push({ file, error: e });
            }
            bar.update(i + 1, images.length);
          }
          bar.stop();
          // a run that found no face creates no state file (an empty one in memory answers the output)
          const state = ClusterState.open(faces.length || existsSync(flags.state) ? flags.state : ':memory:');
          try {
            const run = faces.length ? await clusterIntoState(state, recognizer.modelId, faces, opts) : undefined;
            const matches = gallery ? await matchGroups(state, gallery) : undefined;
            const json = stateJson(state, matches);
            if (flags.html)
              writeFileSync(
                flags.html,
                contactSheetHtml(state, { matches, title: `facenet cluster: ${inputs.join(', ')}` }),
              );
            const summary = {
              images: images.length,
              faces: faces.length,
              added: run?.added ?? 0,
              alreadyKnown: run?.alreadyKnown ?? 0,
              joinedExisting: run?.joined ?? 0,
              newGroups: run?.newGroups ?? [],
              imagesWithoutFace: noFace,
              errors: errors.map((r) => ({ file: r.file, error: r.error.toJSON() })),
              threshold: run
                ? {
                    value: run.threshold.threshold,
                    source: run.threshold.source,
                    targetFar: run.threshold.calibrated?.targetFar,
                    resolvable: run.threshold.calibrated?.resolvable,
                  }
                : null,
              algorithm: opts.algorithm ?? DEFAULT_ALGORITHM,
              model: recognizer.modelId,
              state: flags.state,
              ...(flags.html ? { html: flags.html } : {}),
            };
            if (!flags.json)
              for (const r of errors) process.stderr.write(`error [${r.error.code}] ${r.file}: ${r.error.message}\n`);
            if (flags.csv) process.stdout.write(`${stateCsv(json)}\n`);
            else
              printResult(flags, { ...json, ...summary }, () =>
                [
                  stateTable(json),
                  '',
                  `${images.length} photos, ${faces.length} faces (${summary.added} new, ${summary.alreadyKnown} already in ${flags.state}); ` +
                    `${json.groups.length} groups (${summary.newGroups.length} new, ${summary.joinedExisting} faces joined existing ones), ${json.unclustered.length} unclustered` +
                    (run
                      ? `; τ ${run.threshold.threshold.toFixed(4)} (${summary.algorithm}${run.threshold.calibrated ? ` at pairwise false-merge rate ${run.threshold.calibrated.targetFar.toExponential(1)}` : ''})`
                      : '') +
                    (noFace.length ? `; ${noFace.length} photos without a face` : '') +
                    (errors.length ? `; ${errors.length} files with errors` : '') +
                    (flags.html ? `; contact sheet → ${flags.html}` : ''),
                ].join('\n'),
              );
            // nothing usable at all (every photo failed): a failed run for scripts, with the per-file errors above
            return errors.length && !faces.length && !noFace.length ? EXIT.error : EXIT.ok;
          } finally {
            state.close();
          }
        } finally {
          await gallery?.close();
        }
      }),
    );

  withPipelineOptions(
    program
      .command('name <group> <person>')
      .description('enroll a cluster group in the gallery as PERSON (created, or templates added)'),
  )
    .option('--state <file>', STATE_HELP, defaultState())
    .option(
      '--gallery <file|url>',
      'gallery: SQLite file or postgres:// URL',
      process.env.FACENET_GALLERY ?? DEFAULT_GALLERY_PATH,
    )
    .action(
      action(async (groupArg: string, person: string, flags: PipelineFlags & StateFlags & { gallery: string }) => {
        const id = parseId('GROUP', groupArg);
        await withStateOpen(flags.state, async (state) => {
          state.group(id); // NOT_FOUND before loading any model
          const withPack = { ...flags, pack: await galleryPack(flags.gallery, flags) };
          const fr = await loadRecognizer(withPack);
          const gallery = await openGalleryFor(flags, fr, flipOf(withPack));
          try {
            const r = await nameGroup(state, gallery, id, person);
            printResult(
              flags,
              {
                group: r.group,
                person: r.person,
                created: r.created,
                templatesAdded: r.templatesAdded,
                skipped: r.skipped,
                gallery: flags.gallery,
              },
              () =>
                `group ${id} → ${r.person}: ${r.templatesAdded} face(s) enrolled${r.skipped ? ` (${r.skipped} already enrolled)` : ''}${r.created ? ' (new person)' : ''} in ${flags.gallery}`,
            );
          } finally {
            await gallery.close();
          }
        });
      }),
    );

  const groups = program
    .command('groups')
    .description('the cluster state: list, show, rename, move or delete groups and faces');
  withState(
    groups
      .command('list', { isDefault: true })
      .description('every group with its size and name, and the unclustered count'),
  ).action(
    action(async (flags: StateFlags) =>
      withStateOpen(flags.state, (s) => {
        const list = s.groups();
        const unclustered = s.faces(null).length;
        printResult(flags, { groups: list, unclustered, model: s.modelId() ?? null, settings: s.settings() }, () =>
          [
            ...list.map(
              (g) =>
                `group ${String(g.id).padStart(4)}  ${(g.person ? `${g.person} (enrolled)` : (g.name ?? 'unnamed')).padEnd(24)} ${g.faces} faces`,
            ),
            `${list.length} groups, ${unclustered} unclustered faces in ${flags.state}`,
          ].join('\n'),
        );
      }),
    ),
  );
  withState(groups.command('show <group>').description('the faces of one group (or "unclustered")')).action(
    action(async (g: string, flags: StateFlags) =>
      withStateOpen(flags.state, (s) => {
        const id = g === 'unclustered' ? null : parseId('GROUP', g);
        const group = id === null ? null : s.group(id);
        const faces = s.faces(id).map(faceJson);
        printResult(
          flags,
          { group, faces },
          () =>
            faces
              .map((f) => `face ${f.id}: ${f.file} (${f.box.x}, ${f.box.y}, ${f.box.width}×${f.box.height})`)
              .join('\n') || 'no faces',
        );
      }),
    ),
  );
  withState(
    groups.command('rename <group> [name]').description('give a group a name (a label; `facenet name` enrolls it)'),
  )
    .option('--clear', 'remove the name')
    .action(
      action(async (g: string, name: string | undefined, flags: StateFlags & { clear?: boolean }) =>
        withStateOpen(flags.state, (s) => {
          if (!flags.clear && name === undefined)
            throw new FaceError('INVALID_INPUT', 'give a NAME, or --clear to remove the name');
          const r = s.rename(parseId('GROUP', g), flags.clear ? null : name!);
          printResult(
            flags,
            { group: r },
            () => `group ${r.id} ${r.name === null ? 'is unnamed' : `is now "${r.name}"`}`,
          );
        }),
      ),
    );
  withState(
    groups
      .command('delete <group>')
      .description('delete a group and its faces from the state (the gallery is not touched)'),
  ).action(
    action(async (g: string, flags: StateFlags) =>
      withStateOpen(flags.state, (s) => {
        const r = s.deleteGroup(parseId('GROUP', g));
        printResult(
          flags,
          { deleted: r.group, facesRemoved: r.facesRemoved },
          () => `deleted group ${r.group.id} and its ${r.facesRemoved} faces`,
        );
      }),
    ),
  );
  withState(
    groups.command('move <face> <group>').description('move a face to another group, or to "none" (unclustered)'),
  ).action(
    action(async (f: string, g: string, flags: StateFlags) =>
      withStateOpen(flags.state, (s) => {
        const r = s.moveFace(parseId('FACE', f), g === 'none' ? null : parseId('GROUP', g));
        printResult(
          flags,
          { face: faceJson(r), group: r.groupId },
          () => `face ${r.id} → ${r.groupId === null ? 'unclustered' : `group ${r.groupId}`}`,
        );
      }),
    ),
  );
  withState(groups.command('delete-face <face>').description('delete one face from the state')).action(
    action(async (f: string, flags: StateFlags) =>
      withStateOpen(flags.state, (s) => {
        const r = s.deleteFace(parseId('FACE', f));
        printResult(flags, { deleted: faceJson(r) }, () => `deleted face ${r.id} (${r.file})`);
      }),
    ),
  );
}
