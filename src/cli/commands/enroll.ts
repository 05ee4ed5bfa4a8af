/** facenet enroll: add a person, or more photos of one, to the gallery. */
import type { Command } from 'commander';
import { FaceError } from '../../errors.js';
import { printableName } from '../../gallery/names.js';
import { action, printResult } from '../output.js';
import { boxJson, openGallery, r4, withGalleryOptions, type GalleryFlags } from './gallery-common.js';
import { FACE_OPTION_HELP, parseFaceOption } from './common.js';

type EnrollFlags = GalleryFlags & { largest?: boolean; face?: string; metadata?: string };

export function registerEnrollCommand(program: Command): void {
  withGalleryOptions(
    program.command('enroll <name> <images...>').description('enroll a person from one or more photos (one face each)'),
  )
    .option('--largest', 'take the largest face of a photo with several instead of refusing it')
    .option('--face <x,y,width,height>', `${FACE_OPTION_HELP} (one photo at a time)`)
    .option('--metadata <json>', 'JSON object stored with the person')
    .action(
      action(async (name: string, images: string[], flags: EnrollFlags) => {
        const face = parseFaceOption(flags.face, flags);
        if (face && images.length > 1)
          throw new FaceError('INVALID_INPUT', '--face picks a face in one photo: enroll one photo at a time with it');
        if (face && flags.largest) throw new FaceError('INVALID_INPUT', 'use --face or --largest, not both');
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
            face,
            aligned: flags.aligned,
            metadata,
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
