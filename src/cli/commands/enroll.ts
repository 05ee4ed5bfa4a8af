/** facenet enroll: add a person, or more photos of one, to the gallery. */
import type { Command } from 'commander';
import { FaceError } from '../../errors.js';
import { printableName } from '../../gallery/names.js';
import { action, printResult } from '../output.js';
import { boxJson, openGallery, r4, withGalleryOptions, type GalleryFlags } from './gallery-common.js';
import { livenessOf, withLivenessOptions } from './common.js';
import { livenessJson } from './pipeline.js';

export function registerEnrollCommand(program: Command): void {
  withLivenessOptions(
    withGalleryOptions(
      program
        .command('enroll <name> <images...>')
        .description('enroll a person from one or more photos (one face each)'),
    ),
    'the enrolled faces (require: nothing is enrolled when one looks like a photo or a screen)',
  )
    .option('--largest', 'take the largest face of a photo with several instead of refusing it')
    .option('--metadata <json>', 'JSON object stored with the person')
    .action(
      action(async (name: string, images: string[], flags: GalleryFlags & { largest?: boolean; metadata?: string }) => {
        const liveness = livenessOf(flags);
        let metadata: Record<string, unknown> | undefined;
        if (flags.metadata !== undefined) {
          try {
            metadata = JSON.parse(flags.metadata) as Record<string, unknown>;
          } catch {
            throw new FaceError('INVALID_INPUT', `--metadata must be a JSON object, got ${flags.metadata}`);
          }
          if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata))
            throw new FaceError('INVALID_INPUT', '--metadata must be a JSON object');
        }
        const { gallery } = await openGallery(flags, true);
        try {
          const r = await gallery.enroll(name, images, {
            largest: flags.largest,
            aligned: flags.aligned,
            metadata,
            liveness,
          });
          const json = {
            person: r.person.name,
            created: r.created,
            templates: r.templates,
            added: r.added.map((a) => ({
              source: a.source,
              sha256: a.sha256,
              detectionScore: r4(a.detectionScore),
              faceSize: Math.round(a.faceSize),
              facesInImage: a.facesInImage,
              box: boxJson(a.box),
              ...livenessJson(a.liveness),
            })),
            warnings: r.warnings,
            gallery: flags.gallery,
          };
          if (!flags.json) for (const w of r.warnings) process.stderr.write(`warning [${w.code}]: ${w.message}\n`);
          printResult(flags, json, () =>
            [
              `${r.created ? 'enrolled' : 'updated'} ${printableName(r.person.name)}: ${r.added.length} photo(s) added, ${r.templates} template(s) in ${flags.gallery}`,
              ...r.added.map(
                (a) =>
                  `  ${a.source}: face ${Math.round(a.faceSize)} px, detector score ${a.detectionScore.toFixed(3)}${a.facesInImage > 1 ? ` (largest of ${a.facesInImage})` : ''}`,
              ),
            ].join('\n'),
          );
        } finally {
          await gallery.close();
        }
      }),
    );
}
