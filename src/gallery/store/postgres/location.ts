/**
 * Where a PostgreSQL gallery lives and how its failures read: the URL taken apart (schema parameter, masked
 * password), the driver's errors as GALLERY_ERROR, the connection settings every store connection shares.
 */
import pg from 'pg';
import type { PoolClient } from 'pg';
import { FaceError } from '../../../errors.js';
import { maskPassword } from '../location.js';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,38}$/; // channel = prefix + "." + schema must fit in 63 bytes

/** int8 (ids, counts, the generation) as JS numbers, for this store's connections only. */
export const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** A gallery URL taken apart: what pg gets, what messages show, the schema. */
export interface PgLocation {
  /** The URL pg connects with (no `schema` parameter). */
  readonly connectionString: string;
  /** The URL with its password masked: safe for messages and logs. */
  readonly display: string;
  readonly schema: string;
  /** The password as given (to scrub it from driver messages), or ''. */
  readonly secret: string;
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`, also for strings that are not valid URLs. */
export { maskPassword };

export function parsePgLocation(raw: string): PgLocation {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FaceError(
      'GALLERY_ERROR',
      `gallery ${maskPassword(raw)} is not a valid PostgreSQL URL (postgres://user:password@host:port/database?schema=name)`,
      {
        gallery: maskPassword(raw),
      },
    );
  }
  if (!/^postgres(ql)?:$/i.test(url.protocol))
    throw new FaceError('GALLERY_ERROR', `gallery ${maskPassword(raw)} is not a postgres:// URL`);
  const schema = url.searchParams.get('schema') ?? 'public';
  if (!SCHEMA_NAME.test(schema))
    throw new FaceError(
      'GALLERY_ERROR',
      `gallery ${maskPassword(raw)}: ` +
        `schema "${schema}" must be 1–39 characters of a–z, 0–9 and _, not starting with a digit`,
      {
        schema,
      },
    );
  const secret = decodeURIComponent(url.password) || url.searchParams.get('password') || '';
  url.searchParams.delete('schema');
  const connectionString = url.toString();
  const shown = new URL(url.toString());
  if (shown.password) shown.password = '***';
  if (shown.searchParams.has('password')) shown.searchParams.set('password', '***');
  if (schema !== 'public') shown.searchParams.set('schema', schema);
  return { connectionString, display: shown.toString().replace('%2A%2A%2A', '***'), schema, secret };
}

/** Hex digest-free 32-bit hash (FNV-1a) for advisory-lock keys. */
export function lockKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

export type Queryable = Pick<pg.Pool, 'query'> | Pick<PoolClient, 'query'>;

/** Any failure as a GALLERY_ERROR naming the gallery by its masked URL; the password never appears. */
export function pgError(where: PgLocation, e: unknown, what: string): FaceError {
  if (e instanceof FaceError) return e;
  const err = e as Error & { code?: string };
  let msg = err?.message || String(e);
  if (err?.code === 'ECONNREFUSED') msg = `connection refused (${msg}); is PostgreSQL running and listening there?`;
  else if (err?.code === '28P01' || err?.code === '28000') msg = `authentication failed: ${msg}`;
  else if (err?.code === '3D000') msg = `${msg}; create the database first (createdb)`;
  else if (/timeout/i.test(msg) && /connect/i.test(msg)) msg = `could not connect in time: ${msg}`;
  if (where.secret) msg = msg.split(where.secret).join('***');
  return new FaceError(
    'GALLERY_ERROR',
    `${what} ${where.display}: ${msg}`,
    { gallery: where.display, pgCode: err?.code },
    { cause: e },
  );
}
