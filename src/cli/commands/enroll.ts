/** facenet enroll: add a person, or more photos of one, to the gallery. */
import type { Command } from 'commander';
import type { EnrollResult } from '../../gallery/gallery.js';
import { printableName } from '../../gallery/names.js';
import { boxJson, r4 } from '../../face-json.js';
import { action, printResult, writeErr } from '../output.js';
import { FaceError } from '../../errors.js';
import { FACE_OPTION_HELP, faceBoxFlag, jsonObjectFlag } from '../flags.js';
import { openGallery, undoNewGallery, withGalleryOptions, type GalleryFlags } from './gallery-common.js';

type EnrollFlags = GalleryFlags & { largest?: boolean; face?: string; metadata?: string };

function enrollJson(r: EnrollResult, gallery: string) {
  return {
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
    gallery,
  };
}

function enrollLines(r: EnrollResult, gallery: string): string {
  return [
    `${r.created ? 'enrolled' : 'updated'} ${printableName(r.person.name)}: ${r.added.length} ` +
      `photo(s) added, ${r.templates} template(s) in ${gallery}`,
    ...r.added.map(
      (a) =>
        `  ${a.source}: face ${Math.round(a.faceSize)} px, detector score ${a.detectionScore.toFixed(3)}` +
        (a.facesInImage > 1 ? ` (largest of ${a.facesInImage})` : ''),
    ),
  ].join('\n');
}

async function enroll(name: string, images: string[], flags: EnrollFlags): Promise<void> {
  const face = faceBoxFlag(flags.face, flags);
  if (face && images.length > 1)
    throw new FaceError('INVALID_INPUT', '--face picks a face in one photo: enroll one photo at a time with it');
  if (face && flags.largest) throw new FaceError('INVALID_INPUT', 'use --face or --largest, not both');
  const metadata = jsonObjectFlag('metadata', flags.metadata);
  const undo = undoNewGallery(flags.gallery);
  const { gallery } = await openGallery(flags, true);
  let done = false;
  try {
    const r = await gallery.enroll(name, images, { largest: flags.largest, face, aligned: flags.aligned, metadata });
    if (!flags.json) for (const w of r.warnings) writeErr(`warning [${w.code}]: ${w.message}\n`);
    printResult(flags, enrollJson(r, flags.gallery), () => enrollLines(r, flags.gallery));
    done = true;
  } finally {
    await gallery.close();
    if (!done) await undo();
  }
}

export function registerEnrollCommand(program: Command): void {
  const cmd = program
    .command('enroll <name> <images...>')
    .description('enroll a person from one or more photos (one face each)');
  withGalleryOptions(cmd)
    .option('--largest', 'take the largest face of a photo with several instead of refusing it')
    .option('--face <x,y,width,height>', `${FACE_OPTION_HELP} (one photo at a time)`)
    .option('--metadata <json>', 'JSON object stored with the person')
    .action(action(enroll));
}
