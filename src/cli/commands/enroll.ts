/** facenet enroll: add a person, or more photos of one, to the gallery. */
import type { Command } from 'commander';
import { FaceError } from '../../errors.js';
import { printableName } from '../../gallery/names.js';
import { action, printResult, writeErr } from '../output.js';
import { boxJson, openGallery, r4, undoNewGallery, withGalleryOptions, type GalleryFlags } from './gallery-common.js';

export function registerEnrollCommand(program: Command): void {
  withGalleryOptions(
    program.command('enroll <name> <images...>').description('enroll a person from one or more photos (one face each)'),
  )
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
          if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata))
            throw new FaceError('INVALID_INPUT', '--metadata must be a JSON object');
        }
        const undo = undoNewGallery(flags.gallery);
        const { gallery } = await openGallery(flags, true);
        let done = false;
        try {
          const r = await gallery.enroll(name, images, { largest: flags.largest, aligned: flags.aligned, metadata });
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
            })),
            warnings: r.warnings,
            gallery: flags.gallery,
          };
          if (!flags.json) for (const w of r.warnings) writeErr(`warning [${w.code}]: ${w.message}\n`);
          printResult(flags, json, () =>
            [
              `${r.created ? 'enrolled' : 'updated'} ${printableName(r.person.name)}: ${r.added.length} ` +
                `photo(s) added, ${r.templates} template(s) in ${flags.gallery}`,
              ...r.added.map(
                (a) =>
                  `  ${a.source}: face ${Math.round(a.faceSize)} px, detector score ${a.detectionScore.toFixed(3)}` +
                  (a.facesInImage > 1 ? ` (largest of ${a.facesInImage})` : ''),
              ),
            ].join('\n'),
          );
          done = true;
        } finally {
          await gallery.close();
          if (!done) await undo();
        }
      }),
    );
}
