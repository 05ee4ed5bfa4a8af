/** Photo arguments on the command line: files as named, folders walked recursively in sorted order. */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { ImageError, type FaceError } from '../errors.js';

const IMAGE_EXT = /\.(jpe?g|png|webp|tiff?|gif|avif|heic|heif)$/i;

function sortedEntries(dir: string): Dirent[] {
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
}

function isDirectory(p: string): boolean | undefined {
  try {
    return statSync(p).isDirectory();
  } catch {
    return undefined; // not there
  }
}

/** Files named, and image files under folders named (recursive, sorted). A missing file is passed on: the decoder
 * reports IMAGE_NOT_FOUND for it. */
export function expandImageArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of sortedEntries(dir)) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && IMAGE_EXT.test(e.name)) out.push(p);
    }
  };
  for (const a of args) {
    if (isDirectory(a)) walk(a);
    else out.push(a);
  }
  return out;
}

export interface RejectedInput {
  readonly file: string;
  readonly error: FaceError;
}

/** Image files under the inputs (recursive, sorted); other files are reported, not read; hidden ones ignored. */
export function listPhotos(inputs: readonly string[]): { images: string[]; rejected: RejectedInput[] } {
  const images: string[] = [];
  const rejected: RejectedInput[] = [];
  const walk = (dir: string) => {
    for (const e of sortedEntries(dir)) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && IMAGE_EXT.test(e.name)) images.push(p);
      else if (e.isFile())
        rejected.push({
          file: p,
          error: new ImageError('IMAGE_UNSUPPORTED', `${p} is not an image file (by its extension); skipped`, {
            source: p,
          }),
        });
    }
  };
  for (const a of inputs) {
    const dir = isDirectory(a);
    if (dir === undefined)
      rejected.push({ file: a, error: new ImageError('IMAGE_NOT_FOUND', `${a} does not exist`, { source: a }) });
    else if (dir) walk(a);
    else images.push(a);
  }
  return { images, rejected };
}
