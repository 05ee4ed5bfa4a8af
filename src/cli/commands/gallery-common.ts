/**
 * What the gallery commands (enroll, verify, identify, people, index, forget) share: the --gallery option,
 * opening a gallery with the pipeline the flags name, image arguments and number formatting.
 */
import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { FaceError } from '../../errors.js';
import { DEFAULT_GALLERY_PATH, Gallery } from '../../gallery/gallery.js';
import { galleryRecognizer } from '../../gallery/face-source.js';
import { parseCombination } from '../../gallery/templates.js';
import { isPostgresUrl } from '../../gallery/open-store.js';
import { packForGallery } from '../../gallery/recorded-pack.js';
import { DEFAULT_PACK } from '../../pack/packs.js';
import type { FaceRecognizer } from '../../recognizer.js';
import { flipOf, loadRecognizer, withPipelineOptions, type PipelineFlags } from './common.js';

export interface GalleryFlags extends PipelineFlags {
  gallery: string;
  combination?: string;
}

const IMAGE_EXT = /\.(jpe?g|png|webp|tiff?|gif|avif|heic|heif)$/i;
export const r4 = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : v);
export const boxJson = (b: { x: number; y: number; width: number; height: number }) => ({
  x: Math.round(b.x),
  y: Math.round(b.y),
  width: Math.round(b.width),
  height: Math.round(b.height),
});

export function num(
  name: string,
  v: string | undefined,
  fallback: number,
  check: (n: number) => boolean = () => true,
): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new FaceError('INVALID_INPUT', `--${name}: invalid value "${v}"`);
  return n;
}

export const farOk = (n: number) => n > 0 && n < 1;

export const galleryOption = (cmd: Command) =>
  cmd.option(
    '--gallery <file|url>',
    'gallery: SQLite file or postgres:// URL',
    process.env.FACENET_GALLERY ?? DEFAULT_GALLERY_PATH,
  );
export const combinationOption = (cmd: Command) =>
  cmd.option('--combination <how>', 'how several photos of a person are matched: nearest | centroid');
export const withGalleryOptions = (cmd: Command): Command => galleryOption(withPipelineOptions(cmd));

/** Read-only commands pass create=false: a mistyped --gallery is GALLERY_NOT_FOUND, and no file or folder appears. */
function assertGalleryExists(location: string): void {
  if (!isPostgresUrl(location) && location !== ':memory:' && !existsSync(location))
    throw new FaceError('GALLERY_NOT_FOUND', `no gallery at ${location}: enroll someone first, or check --gallery`, {
      gallery: location,
    });
}

export async function openGallery(
  flags: GalleryFlags,
  create = false,
): Promise<{ gallery: Gallery; fr: FaceRecognizer }> {
  if (!create) assertGalleryExists(flags.gallery); // before the model loads
  const pack = await packForGallery(flags.gallery, { pack: flags.pack, modelPath: flags.model }, notePack);
  const withPack = { ...flags, pack };
  const fr = await loadRecognizer(withPack);
  const gallery = await Gallery.open({
    create,
    location: flags.gallery,
    recognizer: galleryRecognizer(fr, flipOf(withPack)),
    combination: flags.combination ? parseCombination(flags.combination) : undefined,
  });
  return { gallery, fr };
}

/** On stderr (stdout stays the result): a gallery opened with the pack it records rather than the default. */
export function notePack(pack: string): void {
  if (pack !== DEFAULT_PACK)
    process.stderr.write(`the gallery was built with pack ${pack}: using it (the default pack is ${DEFAULT_PACK})\n`);
}

/** Files named, and image files under folders named (recursive, sorted). */
export function expandImageArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && IMAGE_EXT.test(e.name)) out.push(p);
    }
  };
  for (const a of args) {
    let isDir = false;
    try {
      isDir = statSync(a).isDirectory();
    } catch {
      // not there: passed on, the decoder reports IMAGE_NOT_FOUND for it
    }
    if (isDir) walk(a);
    else out.push(a);
  }
  return out;
}
