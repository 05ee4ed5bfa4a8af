/**
 * What the gallery commands (enroll, verify, identify, people, index, forget) share: the --gallery option and
 * opening a gallery with the pipeline the flags name.
 */
import type { Command } from 'commander';
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { FaceError } from '../../errors.js';
import { DEFAULT_GALLERY_PATH, Gallery } from '../../gallery/gallery.js';
import { galleryRecognizer } from '../../gallery/face-source.js';
import { parseCombination } from '../../gallery/templates.js';
import { isPostgresUrl } from '../../gallery/store/location.js';
import { openStore } from '../../gallery/store/open-store.js';
import type { FaceRecognizer } from '../../recognizer.js';
import { packForGallery } from '../../gallery/recorded-pack.js';
import { DEFAULT_PACK } from '../../pack/packs.js';
import { writeErr } from '../output.js';
import { addOptions, type OptionSpec } from '../options.js';
import { loadRecognizer, withPipelineOptions, type PipelineFlags } from './common.js';

export interface GalleryFlags extends PipelineFlags {
  gallery: string;
  combination?: string;
}

export const galleryDefault = (): string => process.env.FACENET_GALLERY ?? DEFAULT_GALLERY_PATH;

export const GALLERY_OPTION: OptionSpec = {
  flags: '--gallery <file|url>',
  help: 'gallery: SQLite file or postgres:// URL',
  default: galleryDefault(),
};
const COMBINATION_OPTION: OptionSpec = {
  flags: '--combination <how>',
  help: 'how several photos of a person are matched: nearest | centroid',
};

const galleryOption = (cmd: Command): Command => addOptions(cmd, [GALLERY_OPTION]);
export const combinationOption = (cmd: Command): Command => addOptions(cmd, [COMBINATION_OPTION]);
export const withGalleryOptions = (cmd: Command): Command => galleryOption(withPipelineOptions(cmd));

/** Read-only commands pass create=false: a mistyped --gallery is GALLERY_NOT_FOUND, and no file or folder appears. */
function assertGalleryExists(location: string): void {
  if (!isPostgresUrl(location) && location !== ':memory:' && !existsSync(location))
    throw new FaceError('GALLERY_NOT_FOUND', `no gallery at ${location}: enroll someone first, or check --gallery`, {
      gallery: location,
    });
}

/** The gallery the flags name, searched with the pipeline they name (the pack's TTA unless a flag changes it). */
export async function openGallery(
  flags: GalleryFlags,
  create = false,
): Promise<{ gallery: Gallery; fr: FaceRecognizer }> {
  if (!create) assertGalleryExists(flags.gallery); // before the model loads
  const fr = await loadRecognizer(await withGalleryPack(flags, flags.gallery));
  const gallery = await Gallery.open({
    create,
    location: flags.gallery,
    recognizer: galleryRecognizer(fr, fr.flip),
    combination: flags.combination ? parseCombination(flags.combination) : undefined,
  });
  return { gallery, fr };
}

/**
 * For a command that creates the gallery (enroll): what to undo when it fails. A SQLite file (and the folders made
 * for it) that did not exist before the command and still holds nobody is removed, so a failed first enroll (a
 * mistyped photo path) leaves no empty gallery that a later mistyped read would take for a real one.
 */
export function undoNewGallery(location: string): () => Promise<void> {
  if (isPostgresUrl(location) || location === ':memory:' || existsSync(location)) return async () => {};
  const made: string[] = [];
  for (let d = path.dirname(path.resolve(location)); !existsSync(d); d = path.dirname(d)) made.push(d);
  return async () => {
    if (!existsSync(location)) return;
    let people: number;
    try {
      const store = await openStore(location, { create: false });
      try {
        people = (await store.people()).length;
      } finally {
        await store.close();
      }
    } catch {
      return; // not a gallery we can read: leave it alone
    }
    if (people) return; // another process enrolled someone meanwhile: theirs to keep
    for (const suffix of ['', '-wal', '-shm', '-journal', '.reserve']) rmSync(`${location}${suffix}`, { force: true });
    for (const d of made)
      try {
        rmdirSync(d); // only when empty
      } catch {
        break;
      }
  };
}

/** On stderr (stdout stays the result): a gallery opened with the pack it records rather than the default. */
export function notePack(pack: string): void {
  if (pack !== DEFAULT_PACK)
    writeErr(`the gallery was built with pack ${pack}: using it (the default pack is ${DEFAULT_PACK})\n`);
}

/** The flags with the pack the gallery records when none is named: a dlib128 gallery keeps opening with dlib128. */
export async function withGalleryPack<F extends PipelineFlags>(flags: F, location: string): Promise<F> {
  return { ...flags, pack: await packForGallery(location, { pack: flags.pack, modelPath: flags.model }, notePack) };
}
