/**
 * The SQLite gallery's tables: `PRAGMA user_version` is the schema version; MIGRATIONS upgrade older files in place,
 * each in an IMMEDIATE transaction.
 */
import type Database from 'better-sqlite3';
import { FaceError } from '../../../errors.js';

type Db = Database.Database;

/** Migration i upgrades a file from user_version i to i + 1. Append only; never edit a shipped one. */
export const MIGRATIONS: readonly ((db: Db) => void)[] = [
  // 0 → 1: people, templates, thumbnails
  (db) =>
    db.exec(`
      CREATE TABLE people (
        id       INTEGER PRIMARY KEY,
        name     TEXT NOT NULL UNIQUE,
        metadata TEXT NOT NULL DEFAULT '{}',
        created  TEXT NOT NULL
      );
      CREATE TABLE templates (
        id              INTEGER PRIMARY KEY,
        person_id       INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        model_id        TEXT NOT NULL,
        embedding       BLOB NOT NULL,
        source_sha256   TEXT NOT NULL,
        detection_score REAL NOT NULL,
        created         TEXT NOT NULL
      );
      CREATE INDEX templates_person ON templates(person_id);
      CREATE INDEX templates_model ON templates(model_id);
      CREATE TABLE thumbnails (
        template_id INTEGER PRIMARY KEY REFERENCES templates(id) ON DELETE CASCADE,
        jpeg        BLOB NOT NULL
      );
    `),
  // 1 → 2: face size per template, calibration tables per model
  (db) =>
    db.exec(`
      ALTER TABLE templates ADD COLUMN face_size REAL NOT NULL DEFAULT 0;
      CREATE TABLE calibrations (
        model_id   TEXT PRIMARY KEY,
        table_json TEXT NOT NULL,
        created    TEXT NOT NULL
      );
    `),
  // 2 → 3: a change counter, so indexes persisted beside the file can tell they are stale
  (db) =>
    db.exec(`
      CREATE TABLE store_state (
        key   TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      );
      INSERT INTO store_state (key, value) VALUES ('generation', 0);
    `),
  // 3 → 4: a change log, so other processes sharing the file follow enrollments and deletions
  (db) =>
    db.exec(`
      CREATE TABLE changes (
        generation INTEGER NOT NULL,
        person_id  INTEGER NOT NULL,
        kind       TEXT NOT NULL CHECK (kind IN ('enroll', 'forget')),
        name       TEXT NOT NULL,
        PRIMARY KEY (generation, person_id)
      );
    `),
  // 4 → 5: the change log keeps no names (a forgotten person's name must leave the file; readers take the name from
  // `people`). DROP COLUMN rewrites the table, and secure_delete zeroes the pages the names were on.
  (db) => db.exec('ALTER TABLE changes DROP COLUMN name'),
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Bring `db` to `opts.targetVersion` (default SCHEMA_VERSION), one transaction per step; the version it is at. */
export function migrate(
  db: Db,
  file: string,
  opts: { readonly readonly?: boolean; readonly targetVersion?: number },
): number {
  const target = opts.targetVersion ?? SCHEMA_VERSION;
  let version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION)
    throw new FaceError(
      'GALLERY_ERROR',
      `gallery ${file} has schema version ${version}, ` +
        `newer than this facenet-ts understands (${SCHEMA_VERSION}); upgrade facenet-ts`,
      {
        gallery: file,
        schemaVersion: version,
      },
    );
  if (version < target && opts.readonly)
    throw new FaceError(
      'GALLERY_ERROR',
      `gallery ${file} has schema version ${version} and needs migrating to ${target}; open it writable once`,
      { gallery: file },
    );
  while (version < target) {
    const step = MIGRATIONS[version];
    const next = version + 1;
    db.transaction(() => {
      step(db);
      db.pragma(`user_version = ${next}`);
    }).immediate();
    version = next;
  }
  return version;
}
