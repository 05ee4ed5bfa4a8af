/**
 * The pack a gallery was built with, read from its templates' model ids: so that a gallery enrolled with an earlier
 * default (`dlib128`) keeps opening with that pack when no `--pack` is named, instead of being refused.
 */
import { existsSync } from 'node:fs';
import { packOfModelId } from './face-source.js';
import { isPostgresUrl } from './store/location.js';
import { openStore } from './store/open-store.js';

/**
 * The one pack whose templates `location` holds; undefined when the gallery does not exist, is empty, mixes packs or
 * holds a model from `facenet train` (which no pack names).
 */
export async function recordedPack(location: string): Promise<string | undefined> {
  if (location === ':memory:' || (!isPostgresUrl(location) && !existsSync(location))) return undefined;
  const store = await openStore(location, { create: false });
  try {
    const packs = [...new Set((await store.modelIds()).map(packOfModelId))];
    return packs.length === 1 ? packs[0] : undefined;
  } finally {
    await store.close();
  }
}

/**
 * The pack to open `location` with: the one named, else (no `--model` either) the one the gallery records, else
 * undefined (the default pack). `note` hears when the recorded pack is used.
 */
export async function packForGallery(
  location: string,
  named: { pack?: string; modelPath?: string },
  note?: (pack: string) => void,
): Promise<string | undefined> {
  if (named.pack !== undefined || named.modelPath !== undefined) return named.pack;
  const recorded = await recordedPack(location);
  if (recorded) note?.(recorded);
  return recorded;
}
