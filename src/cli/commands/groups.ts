/**
 * facenet name | groups: what a cluster state holds. `name` enrolls a group in the gallery; `groups` lists, shows,
 * renames, corrects and deletes groups and faces.
 */
import type { Command } from 'commander';
import { nameGroup } from '../../cluster/library.js';
import { ClusterState, DEFAULT_CLUSTER_STATE } from '../../cluster/state.js';
import { FaceError } from '../../errors.js';
import { Gallery } from '../../gallery/gallery.js';
import { action, printResult } from '../output.js';
import { idArgument } from '../flags.js';
import { addOptions, JSON_OPTION, type OptionSpec } from '../options.js';
import { loadRecognizer, withPipelineOptions, type PipelineFlags } from './common.js';
import { storedFaceJson } from './cluster-output.js';
import { GALLERY_OPTION, withGalleryPack } from './gallery-common.js';

export interface StateFlags {
  state: string;
  json?: boolean;
}

export const STATE_OPTION: OptionSpec = {
  flags: '--state <file>',
  help: 'cluster state file: groups with stable ids, kept between runs',
  default: process.env.FACENET_CLUSTERS ?? DEFAULT_CLUSTER_STATE,
};

const withState = (cmd: Command): Command => addOptions(cmd, [STATE_OPTION, JSON_OPTION]);

function withStateOpen<R>(file: string, fn: (s: ClusterState) => R | Promise<R>): Promise<R> {
  const state = ClusterState.open(file, { mustExist: true });
  return Promise.resolve()
    .then(() => fn(state))
    .finally(() => state.close());
}

type NameFlags = PipelineFlags & StateFlags & { gallery: string };

async function name(groupArg: string, person: string, flags: NameFlags): Promise<void> {
  const id = idArgument('GROUP', groupArg);
  await withStateOpen(flags.state, async (state) => {
    state.group(id); // NOT_FOUND before loading any model
    const fr = await loadRecognizer(await withGalleryPack(flags, flags.gallery));
    const gallery = await Gallery.open({ location: flags.gallery, recognizer: fr });
    try {
      const r = await nameGroup(state, gallery, id, person);
      const { group, created, templatesAdded, skipped } = r;
      printResult(
        flags,
        { group, person: r.person, created, templatesAdded, skipped, gallery: flags.gallery },
        () =>
          `group ${id} → ${r.person}: ${templatesAdded} face(s) enrolled` +
          (skipped ? ` (${skipped} already enrolled)` : '') +
          (created ? ' (new person)' : '') +
          ` in ${flags.gallery}`,
      );
    } finally {
      await gallery.close();
    }
  });
}

const list = (flags: StateFlags) =>
  withStateOpen(flags.state, (s) => {
    const groups = s.groups();
    const unclustered = s.faces(null).length;
    printResult(flags, { groups, unclustered, model: s.modelId() ?? null, settings: s.settings() }, () =>
      [
        ...groups.map(
          (g) =>
            `group ${String(g.id).padStart(4)}  ` +
            `${(g.person ? `${g.person} (enrolled)` : (g.name ?? 'unnamed')).padEnd(24)} ${g.faces} faces`,
        ),
        `${groups.length} groups, ${unclustered} unclustered faces in ${flags.state}`,
      ].join('\n'),
    );
  });

const show = (g: string, flags: StateFlags) =>
  withStateOpen(flags.state, (s) => {
    const id = g === 'unclustered' ? null : idArgument('GROUP', g);
    const group = id === null ? null : s.group(id);
    const faces = s.faces(id).map(storedFaceJson);
    printResult(
      flags,
      { group, faces },
      () =>
        faces
          .map((f) => `face ${f.id}: ${f.file} (${f.box.x}, ${f.box.y}, ${f.box.width}×${f.box.height})`)
          .join('\n') || 'no faces',
    );
  });

const rename = (g: string, label: string | undefined, flags: StateFlags & { clear?: boolean }) =>
  withStateOpen(flags.state, (s) => {
    if (!flags.clear && label === undefined)
      throw new FaceError('INVALID_INPUT', 'give a NAME, or --clear to remove the name');
    const r = s.rename(idArgument('GROUP', g), flags.clear ? null : label!);
    printResult(flags, { group: r }, () => `group ${r.id} ${r.name === null ? 'is unnamed' : `is now "${r.name}"`}`);
  });

const remove = (g: string, flags: StateFlags) =>
  withStateOpen(flags.state, (s) => {
    const r = s.deleteGroup(idArgument('GROUP', g));
    printResult(
      flags,
      { deleted: r.group, facesRemoved: r.facesRemoved },
      () => `deleted group ${r.group.id} and its ${r.facesRemoved} faces`,
    );
  });

const move = (f: string, g: string, flags: StateFlags) =>
  withStateOpen(flags.state, (s) => {
    const r = s.moveFace(idArgument('FACE', f), g === 'none' ? null : idArgument('GROUP', g));
    printResult(
      flags,
      { face: storedFaceJson(r), group: r.groupId },
      () => `face ${r.id} → ${r.groupId === null ? 'unclustered' : `group ${r.groupId}`}`,
    );
  });

const removeFace = (f: string, flags: StateFlags) =>
  withStateOpen(flags.state, (s) => {
    const r = s.deleteFace(idArgument('FACE', f));
    printResult(flags, { deleted: storedFaceJson(r) }, () => `deleted face ${r.id} (${r.file})`);
  });

export function registerGroupCommands(program: Command): void {
  const nameCommand = program
    .command('name <group> <person>')
    .description('enroll a cluster group in the gallery as PERSON (created, or templates added)');
  addOptions(withPipelineOptions(nameCommand), [STATE_OPTION, GALLERY_OPTION]).action(action(name));

  const groups = program
    .command('groups')
    .description('the cluster state: list, show, rename, move or delete groups and faces');
  const sub = (usage: string, description: string, opts?: { isDefault: boolean }) =>
    withState(groups.command(usage, opts).description(description));
  sub('list', 'every group with its size and name, and the unclustered count', { isDefault: true }).action(
    action(list),
  );
  sub('show <group>', 'the faces of one group (or "unclustered")').action(action(show));
  sub('rename <group> [name]', 'give a group a name (a label; `facenet name` enrolls it)')
    .option('--clear', 'remove the name')
    .action(action(rename));
  sub('delete <group>', 'delete a group and its faces from the state (the gallery is not touched)').action(
    action(remove),
  );
  sub('move <face> <group>', 'move a face to another group, or to "none" (unclustered)').action(action(move));
  sub('delete-face <face>', 'delete one face from the state').action(action(removeFace));
}
