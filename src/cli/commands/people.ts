/** facenet people | index | forget: list, index and delete what the gallery holds. */
import type { Command } from 'commander';
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
    .option('--json', 'machine-readable output')
    .action(
      action(async (name: string, flags: { gallery: string; json?: boolean }) => {
        const gallery = await Gallery.open({ location: flags.gallery, create: false });
        try {
          const r = await gallery.forget(name);
          printResult(
            flags,
            { forgotten: r.person.name, templatesRemoved: r.templatesRemoved },
            () => `forgot ${printableName(r.person.name)}: ${r.templatesRemoved} template(s) and thumbnail(s) removed`,
          );
        } finally {
          await gallery.close();
        }
      }),
    );
}
