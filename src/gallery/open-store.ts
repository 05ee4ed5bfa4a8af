/**
 * A gallery location → its store: a `postgres://` (or `postgresql://`) URL opens the PostgreSQL + pgvector store,
 * anything else is a SQLite file path (`:memory:` included).
 */
import { SqliteGalleryStore } from './sqlite-store.js';
import type { GalleryStore } from './store.js';

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

export async function openStore(location: string): Promise<GalleryStore> {
  return SqliteGalleryStore.open(location);
}
