/** facenet people | index | forget: list, index and delete what the gallery holds. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ClusterState, DEFAULT_CLUSTER_STATE } from '../../cluster/state.js';
import { Gallery } from '../../gallery/gallery.js';
import { printableName } from '../../gallery/names.js';
import type { PersonSummary } from '../../gallery/store/store.js';
import { action, printResult } from '../output.js';
import { addOptions, JSON_OPTION, type OptionSpec } from '../options.js';
import { EMBEDDING_OPTIONS, PACK_OPTIONS } from './common.js';
import { GALLERY_OPTION, openGallery, type GalleryFlags } from './gallery-common.js';

type ReadFlags = { gallery: string; json?: boolean };

function peopleLines(people: readonly PersonSummary[], gallery: string): string {
  if (!people.length) return `nobody enrolled in ${gallery}`;
  return [
    `${people.length} people in ${gallery}`,
    ...people.map(
      (p) =>
        `  ${printableName(p.name).padEnd(30)} ${String(p.templates).padStart(3)} photo(s)  ` +
        `since ${p.created.slice(0, 10)}` +
        (Object.keys(p.metadata).length ? `  ${JSON.stringify(p.metadata)}` : ''),
    ),
  ].join('\n');
}

async function people(flags: ReadFlags): Promise<void> {
  const gallery = await Gallery.open({ location: flags.gallery, create: false });
  try {
    const list = await gallery.people();
    const json = {
      gallery: flags.gallery,
      people: list.map((p) => ({
        name: p.name,
        templates: p.templates,
        created: p.created,
        metadata: p.metadata,
        models: p.modelIds,
      })),
    };
    printResult(flags, json, () => peopleLines(list, flags.gallery));
  } finally {
    await gallery.close();
  }
}

type IndexInfo = ReturnType<Gallery['indexInfo']>;

function indexLine(saved: boolean, info: IndexInfo, seconds: number): string {
  if (saved) return `HNSW graph of ${info.entries} templates saved to ${info.graphFile} in ${seconds.toFixed(1)} s`;
  return (
    'nothing saved: ' +
    (info.search === 'store'
      ? 'the database searches this gallery itself'
      : info.mode === 'exact' || info.mode === 'empty'
        ? `${info.entries ?? 0} templates are searched exactly (HNSW starts above 50,000)`
        : 'the gallery changed while it was open')
  );
}

async function index(flags: GalleryFlags): Promise<void> {
  const { gallery } = await openGallery(flags);
  try {
    const t0 = performance.now();
    const saved = await gallery.saveGraph(true);
    const info = gallery.indexInfo();
    const seconds = (performance.now() - t0) / 1000;
    printResult(flags, { ...info, saved, seconds }, () => indexLine(saved, info, seconds));
  } finally {
    await gallery.close();
  }
}

const STATE_OPTION: OptionSpec = {
  flags: '--state <file>',
  help: 'cluster state whose groups named after the person are unnamed too (when the file exists)',
  default: process.env.FACENET_CLUSTERS ?? DEFAULT_CLUSTER_STATE,
};

async function forget(name: string, flags: ReadFlags & { state: string }): Promise<void> {
  const gallery = await Gallery.open({ location: flags.gallery, create: false });
  try {
    const r = await gallery.forget(name);
    const groupsUnnamed = unnameGroups(flags.state, r.person.name);
    printResult(
      flags,
      { forgotten: r.person.name, templatesRemoved: r.templatesRemoved, groupsUnnamed },
      () =>
        `forgot ${printableName(r.person.name)}: ${r.templatesRemoved} template(s) and thumbnail(s) removed` +
        (groupsUnnamed.length ? `; cluster group(s) ${groupsUnnamed.join(', ')} unnamed in ${flags.state}` : ''),
    );
  } finally {
    await gallery.close();
  }
}

/** Unname the groups of the cluster state `file` (if there is one) enrolled as `person`; never fails the forget. */
function unnameGroups(file: string, person: string): number[] {
  if (!existsSync(file)) return [];
  try {
    const state = ClusterState.open(file, { mustExist: true });
    try {
      return state.forgetPerson(person);
    } finally {
      state.close();
    }
  } catch (e) {
    process.emitWarning(
      `facenet: the person is forgotten, but cluster state ${file} was not updated: ${(e as Error).message}`,
    );
    return [];
  }
}

export function registerPeopleCommands(program: Command): void {
  const peopleCommand = program.command('people').description('list enrolled people');
  addOptions(peopleCommand, [GALLERY_OPTION, JSON_OPTION]).action(action(people));

  const indexCommand = program
    .command('index')
    .description(
      'build the HNSW search graph of a large gallery now and save it beside the file (later opens reuse it)',
    );
  addOptions(indexCommand, [JSON_OPTION, ...PACK_OPTIONS, ...EMBEDDING_OPTIONS, GALLERY_OPTION]).action(action(index));

  const forgetCommand = program
    .command('forget <name>')
    .description('remove a person with every template and thumbnail');
  addOptions(forgetCommand, [GALLERY_OPTION, STATE_OPTION, JSON_OPTION]).action(action(forget));
}
