/**
 * A gallery location → its store: a `postgres://` (or `postgresql://`) URL opens the PostgreSQL + pgvector store,
 * anything else is a SQLite file path (`:memory:` included).
 *
 * Both stores are imported on demand, so SQLite users never load the `pg` driver and PostgreSQL users never load
 * better-sqlite3.
 */
import { isPostgresUrl } from './location.js';
import type { GalleryStore } from './store.js';

/** `create: false`: a SQLite file that does not exist is GALLERY_NOT_FOUND rather than created (read-only commands). */
export async function openStore(location: string, opts: { create?: boolean } = {}): Promise<GalleryStore> {
  if (isPostgresUrl(location)) {
    const { PostgresGalleryStore } = await import('./postgres/postgres-store.js');
    return PostgresGalleryStore.open(location);
  }
  const { SqliteGalleryStore } = await import('./sqlite/sqlite-store.js');
  return SqliteGalleryStore.open(location, { mustExist: opts.create === false });
}

/** A postgres:// gallery that cannot be reached is GALLERY_ERROR (a file path is not checked: it may be created). */
export async function assertReachable(location: string): Promise<void> {
  if (!isPostgresUrl(location)) return;
  const { PostgresGalleryStore } = await import('./postgres/postgres-store.js');
  await PostgresGalleryStore.ping(location);
}
