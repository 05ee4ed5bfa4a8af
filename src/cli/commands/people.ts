/** facenet people | index | forget: list, index and delete what the gallery holds. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ClusterState, DEFAULT_CLUSTER_STATE } from '../../cluster/state.js';
import { Gallery } from '../../gallery/gallery.js';
import { printableName } from '../../gallery/names.js';
import { action, printResult } from '../output.js';
import { withEmbeddingOptions, withPackOptions } from './common.js';
import { galleryOption, openGallery, type GalleryFlags } from './gallery-common.js';

export function registerPeopleCommands(program: Command): void {
  galleryOption(program.command('people').description('list enrolled people'))
    .option('--json', 'machine-readable output')
    .action(
      action(async (flags: { gallery: string; json?: boolean }) => {
        const gallery = await Gallery.open({ location: flags.gallery, create: false });
        try {
          const people = await gallery.people();
          printResult(
            flags,
            {
              gallery: flags.gallery,
              people: people.map((p) => ({
                name: p.name,
                templates: p.templates,
                created: p.created,
                metadata: p.metadata,
                models: p.modelIds,
              })),
            },
            () =>
              people.length
                ? [
                    `${people.length} people in ${flags.gallery}`,
                    ...people.map(
                      (p) =>
                        `  ${printableName(p.name).padEnd(30)} ${String(p.templates).padStart(3)} photo(s)  ` +
                        `since ${p.created.slice(0, 10)}` +
                        (Object.keys(p.metadata).length ? `  ${JSON.stringify(p.metadata)}` : ''),
                    ),
                  ].join('\n')
                : `nobody enrolled in ${flags.gallery}`,
          );
        } finally {
          await gallery.close();
        }
      }),
    );

  galleryOption(
    withEmbeddingOptions(
      withPackOptions(
        program
          .command('index')
          .description(
            'build the HNSW search graph of a large gallery now and save it beside the file (later opens reuse it)',
          )
          .option('--json', 'machine-readable output'),
      ),
    ),
  ).action(
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
            : 'nothing saved: ' +
              (info.search === 'store'
                ? 'the database searches this gallery itself'
                : info.mode === 'exact' || info.mode === 'empty'
                  ? `${info.entries ?? 0} templates are searched exactly (HNSW starts above 50,000)`
                  : 'the gallery changed while it was open'),
        );
      } finally {
        await gallery.close();
      }
    }),
  );

  galleryOption(program.command('forget <name>').description('remove a person with every template and thumbnail'))
    .option(
      '--state <file>',
      'cluster state whose groups named after the person are unnamed too (when the file exists)',
      process.env.FACENET_CLUSTERS ?? DEFAULT_CLUSTER_STATE,
    )
    .option('--json', 'machine-readable output')
    .action(
      action(async (name: string, flags: { gallery: string; state: string; json?: boolean }) => {
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
      }),
    );
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
