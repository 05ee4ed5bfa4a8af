/**
 * API keys and server settings, kept in the gallery's SQLite file in tables of their own (created idempotently, so
 * they never interfere with the gallery's schema version and migrations).
 *
 * A key is `fnk_<id>_<secret>`: `id` is 8 random bytes (hex, public, used to find the row), `secret` is 32 random
 * bytes (base64url). Only SHA-256 of the whole key is stored; a presented key is hashed and compared with
 * crypto.timingSafeEqual. The key itself is shown once, when it is created.
 */
import Database from 'better-sqlite3';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { FaceError } from '../errors.js';
import { isPostgresUrl } from '../gallery/store/location.js';
import { galleryError } from '../gallery/store/sqlite/sqlite-store.js';

export type Role = 'admin' | 'recognize';

/** Where keys live when the gallery is a PostgreSQL server (keys are per deployment, not per database row). */
export const DEFAULT_KEYS_PATH = './facenet-keys.db';

/** The keys file: given explicitly, else the gallery's own SQLite file, else DEFAULT_KEYS_PATH beside a postgres:// gallery. */
export function keysFile(where: { gallery: string; keys?: string }): string {
  return where.keys ?? (isPostgresUrl(where.gallery) ? DEFAULT_KEYS_PATH : where.gallery);
}
export const ROLES: readonly Role[] = ['admin', 'recognize'];

export interface ApiKeyInfo {
  readonly id: string;
  readonly role: Role;
  readonly name: string;
  readonly created: string;
  readonly revoked: string | null;
}

export interface ServerSettings {
  /** Target FAR of 1:1 verification (default 1e-3). */
  verifyFar?: number;
  /** Target open-set false-alarm rate of identification (default 1e-2). */
  identifyFar?: number;
}

const KEY_RE = /^fnk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export function parseRole(s: string): Role {
  if (!ROLES.includes(s as Role))
    throw new FaceError('INVALID_INPUT', `role must be one of ${ROLES.join(', ')}, got "${s}"`);
  return s as Role;
}

export class ServerDb {
  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
  ) {}

  /**
   * Open the gallery file (creating it if needed, unless `mustExist`: GALLERY_NOT_FOUND) and the server's own tables.
   */
  static open(file: string, opts: { mustExist?: boolean } = {}): ServerDb {
    if (opts.mustExist && file !== ':memory:' && !existsSync(file))
      throw new FaceError('GALLERY_NOT_FOUND', `no keys file or gallery at ${file}: check --gallery / --keys`, {
        gallery: file,
      });
    try {
      if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      const db = new Database(file);
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(`
        CREATE TABLE IF NOT EXISTS api_keys (
          id        TEXT PRIMARY KEY,
          hash      BLOB NOT NULL,
          role      TEXT NOT NULL CHECK (role IN ('admin', 'recognize')),
          name      TEXT NOT NULL DEFAULT '',
          created   TEXT NOT NULL,
          revoked   TEXT
        );
        CREATE TABLE IF NOT EXISTS server_settings (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );
      `);
      return new ServerDb(db, file);
    } catch (e) {
      throw galleryError(file, e);
    }
  }

  /** Create a key; the returned `key` is the only time it exists in clear. */
  addKey(role: Role, name = ''): { key: string; info: ApiKeyInfo } {
    const id = randomBytes(8).toString('hex');
    const key = `fnk_${id}_${randomBytes(32).toString('base64url')}`;
    const created = new Date().toISOString();
    this.db
      .prepare('INSERT INTO api_keys (id, hash, role, name, created) VALUES (?, ?, ?, ?, ?)')
      .run(id, sha256(key), role, name, created);
    return { key, info: { id, role, name, created, revoked: null } };
  }

  listKeys(): ApiKeyInfo[] {
    return this.db
      .prepare('SELECT id, role, name, created, revoked FROM api_keys ORDER BY created, id')
      .all() as ApiKeyInfo[];
  }

  /** Revoke by id (or by the full key). NOT_FOUND when there is no such key. */
  revokeKey(idOrKey: string): ApiKeyInfo {
    const id = KEY_RE.exec(idOrKey)?.[1] ?? idOrKey;
    const info = this.db
      .prepare('UPDATE api_keys SET revoked = COALESCE(revoked, ?) WHERE id = ?')
      .run(new Date().toISOString(), id);
    if (!info.changes) throw new FaceError('NOT_FOUND', `no API key with id ${id}`, { id });
    return this.listKeys().find((k) => k.id === id)!;
  }

  /** The role of a valid, unrevoked key; undefined otherwise. Constant-time in the secret. */
  authenticate(key: string): { id: string; role: Role } | undefined {
    const m = KEY_RE.exec(key);
    // hash even when malformed, so timing does not tell malformed from unknown keys
    const presented = sha256(key);
    if (!m) return undefined;
    const row = this.db.prepare('SELECT id, hash, role, revoked FROM api_keys WHERE id = ?').get(m[1]) as
      { id: string; hash: Buffer; role: Role; revoked: string | null } | undefined;
    if (!row || row.hash.length !== presented.length) return undefined;
    const ok = timingSafeEqual(row.hash, presented);
    if (!ok || row.revoked) return undefined;
    return { id: row.id, role: row.role };
  }

  settings(): ServerSettings {
    const rows = this.db.prepare('SELECT key, value FROM server_settings').all() as { key: string; value: string }[];
    const out: ServerSettings = {};
    for (const r of rows) {
      const v = Number(r.value);
      if (!Number.isFinite(v)) continue;
      if (r.key === 'verifyFar') out.verifyFar = v;
      if (r.key === 'identifyFar') out.identifyFar = v;
    }
    return out;
  }

  saveSettings(s: ServerSettings): void {
    const put = this.db.prepare(
      'INSERT INTO server_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    this.db.transaction(() => {
      if (s.verifyFar !== undefined) put.run('verifyFar', String(s.verifyFar));
      if (s.identifyFar !== undefined) put.run('identifyFar', String(s.identifyFar));
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
