/**
 * A gallery location → its store: a `postgres://` (or `postgresql://`) URL opens the PostgreSQL + pgvector store,
 * anything else is a SQLite file path (`:memory:` included).
 *
 * The PostgreSQL store is imported on demand, so SQLite users never load the `pg` driver.
 */
import { SqliteGalleryStore } from './sqlite-store.js';
import type { GalleryStore } from './store.js';

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** A location fit to print: the password of a URL replaced by ***. */
export function maskPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/?#]*:)[^@/?#]*@/i, '$1***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** `create: false`: a SQLite file that does not exist is GALLERY_NOT_FOUND rather than created (read-only commands). */
export async function openStore(location: string, opts: { create?: boolean } = {}): Promise<GalleryStore> {
  if (isPostgresUrl(location)) {
    const { PostgresGalleryStore } = await import('./postgres-store.js');
    return PostgresGalleryStore.open(location);
  }
  return SqliteGalleryStore.open(location, { mustExist: opts.create === false });
}
