/**
 * The default GalleryStore: one SQLite file through better-sqlite3.
 *
 * - WAL journal with synchronous=FULL: an enrollment that has returned survives a crash or power loss.
 * - Every enrollment is one transaction: a person never exists half-enrolled.
 * - `PRAGMA user_version` is the schema version; MIGRATIONS upgrade older files in place, each in a transaction
 *   (./sqlite/schema.ts).
 * - secure_delete + a WAL checkpoint after `forget`: a forgotten face leaves no bytes behind in the file. The
 *   checkpoint runs after the commit and cannot undo it: when it fails (disk full) the delete stands and the
 *   checkpoint is retried at the next write and at close.
 * - Every enroll and forget appends to a change log (`changes`, the last CHANGE_LOG_KEEP generations), so another
 *   process holding the file open (`facenet serve` while the CLI forgets) catches up before it answers.
 * - Names follow the library's rule (./names.ts); every SQLite failure is a typed FaceError (GALLERY_CORRUPT for a
 *   damaged file, GALLERY_NOT_FOUND when a read-only caller names a file that does not exist).
 * - Embeddings are stored as little-endian float32 BLOBs; thumbnails live in their own table so loading the
 *   search index never reads them.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  calibrationKey,
  parseCalibrationTable,
  probeModelOf,
  type CalibrationTable,
} from '../../../decide/calibration.js';
import { FaceError } from '../../../errors.js';
import { canonicalName, nameProblem } from '../../names.js';
import { migrate } from './schema.js';
import { DEFAULT_RESERVE_BYTES, DiskReserve, isDiskFull } from './reserve.js';
import { changeLogPruneTo, metadataObject, modelMismatchError, singleModelId } from '../store-rules.js';
import type {
  EnrollReceipt,
  EnrollRecord,
  ForgetReceipt,
  GalleryStore,
  Metadata,
  Person,
  PersonSummary,
  StoreChange,
  StoredTemplate,
} from '../store.js';

type Db = Database.Database;

export { CHANGE_LOG_KEEP } from '../store-rules.js';
export { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

export interface SqliteStoreOptions {
  /** Open read-only (no migrations; fails on a file that needs one). */
  readonly readonly?: boolean;
  /** Stop migrating at this version (tests of the migrations themselves). Default: latest. */
  readonly targetVersion?: number;
  /** Refuse to create the file (GALLERY_NOT_FOUND): read-only commands must not leave an empty gallery behind. */
  readonly mustExist?: boolean;
  /**
   * Fault injection for tests: `beforeCheckpoint` is called before the checkpoint after a forget, `inForget` inside
   * the forget's transaction (a throw there fails its commit); a throw of SQLITE_FULL stands for a full disk.
   */
  readonly faults?: { beforeCheckpoint?: () => void; inForget?: () => void };
  /** Bytes kept free beside the file for a forget on a full disk (./reserve.ts); default 2 MiB, 0 for none. */
  readonly reserveBytes?: number;
}

/** A SQLite failure as a typed FaceError (GALLERY_CORRUPT, a full disk, else GALLERY_ERROR), one line. */
export function galleryError(file: string, e: unknown): FaceError {
  if (e instanceof FaceError) return e;
  const code = (e as { code?: string }).code ?? '';
  const message = String((e as Error)?.message ?? e).split('\n')[0];
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT_'))
    return new FaceError(
      'GALLERY_CORRUPT',
      `gallery ${file} is damaged (${message}); restore it from a backup`,
      { gallery: file, sqlite: code },
      { cause: e },
    );
  if (code === 'SQLITE_FULL')
    return new FaceError(
      'GALLERY_ERROR',
      `gallery ${file}: the disk is full (${message}); nothing was changed`,
      { gallery: file, sqlite: code },
      { cause: e },
    );
  return new FaceError('GALLERY_ERROR', `gallery ${file}: ${message}`, { gallery: file, sqlite: code }, { cause: e });
}

function toBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function fromBlob(b: Buffer): Float32Array {
  if (b.byteLength % 4 !== 0)
    throw new FaceError('GALLERY_ERROR', `stored embedding has ${b.byteLength} bytes, not a float32 vector`);
  // copy: the Buffer may be unaligned and is owned by the driver
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

function parseMetadata(s: string): Metadata {
  try {
    return metadataObject(JSON.parse(s));
  } catch {
    return {};
  }
}

interface PersonRow {
  id: number;
  name: string;
  metadata: string;
  created: string;
}

const rowToPerson = (r: PersonRow): Person => ({
  id: r.id,
  name: r.name,
  metadata: parseMetadata(r.metadata),
  created: r.created,
});

export class SqliteGalleryStore implements GalleryStore {
  readonly schemaVersion: number;
  readonly location: string;
  private readonly db: Db;
  /** A forget committed but its checkpoint failed: retry it at the next write and at close. */
  private checkpointDue = false;
  /** Room for a forget on a full disk (none in memory or read-only); `reserveDue` while it could not be made. */
  private readonly reserve?: DiskReserve;
  private reserveDue = false;

  private constructor(
    readonly file: string,
    db: Db,
    version: number,
    private readonly faults: SqliteStoreOptions['faults'] = {},
    reserveBytes = 0,
  ) {
    this.db = db;
    this.schemaVersion = version;
    this.location = file;
    if (reserveBytes > 0) {
      this.reserve = new DiskReserve(`${file}.reserve`, reserveBytes);
      this.reserveDue = !this.reserve.ensure();
    }
  }

  /** Run a write; when it fails for lack of space, free the reserve and run it once more. */
  private withRoom<T>(write: () => T): T {
    try {
      return write();
    } catch (e) {
      if (!isDiskFull(e) || !this.reserve?.release()) throw e;
      this.reserveDue = true;
      return write();
    }
  }

  /** Make the reserve again once there is room (after a forget used it, or an open on a full disk). */
  private restoreReserve(): void {
    if (this.reserveDue && this.reserve) this.reserveDue = !this.reserve.ensure();
  }

  /** Run a read or write, every SQLite failure as a typed FaceError. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw galleryError(this.file, e);
    }
  }

  /** Open (creating if needed) and migrate a gallery file. `:memory:` works too. */
  static open(file: string, opts: SqliteStoreOptions = {}): SqliteGalleryStore {
    let db: Db | undefined;
    const mustExist = !!opts.readonly || !!opts.mustExist;
    if (mustExist && file !== ':memory:' && !existsSync(file))
      throw new FaceError('GALLERY_NOT_FOUND', `no gallery at ${file}: enroll someone first, or check --gallery`, {
        gallery: file,
      });
    try {
      if (file !== ':memory:' && !mustExist) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      db = new Database(file, { readonly: !!opts.readonly, fileMustExist: mustExist });
      db.pragma('busy_timeout = 5000');
      if (!opts.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        db.pragma('secure_delete = ON');
      }
      db.pragma('foreign_keys = ON');
      const before = db.pragma('user_version', { simple: true }) as number;
      const version = migrate(db, file, opts);
      // a migration may have scrubbed names (schema 5): move the zeroed pages into the file and empty the WAL
      if (!opts.readonly && version > before && file !== ':memory:') db.pragma('wal_checkpoint(TRUNCATE)');
      const writable = !opts.readonly && file !== ':memory:';
      return new SqliteGalleryStore(
        file,
        db,
        version,
        opts.faults,
        writable ? (opts.reserveBytes ?? DEFAULT_RESERVE_BYTES) : 0,
      );
    } catch (e) {
      db?.close();
      throw galleryError(file, e);
    }
  }

  /**
   * The person a name refers to: the exact stored name first (names stored before the rule), else its canonical form.
   */
  private personRow(name: string): PersonRow | undefined {
    const find = this.db.prepare('SELECT id, name, metadata, created FROM people WHERE name = ?');
    const trimmed = String(name).trim();
    return (find.get(trimmed) ?? (canonicalName(name) !== trimmed ? find.get(canonicalName(name)) : undefined)) as
      PersonRow | undefined;
  }

  async enroll(record: EnrollRecord): Promise<EnrollReceipt> {
    const mode = record.mode ?? 'upsert';
    if (record.templates.length === 0)
      throw new FaceError('INVALID_INPUT', `enrolling ${record.name} needs at least one template`);
    const modelId = singleModelId(record.templates);
    const now = new Date().toISOString();
    const run = this.db.transaction((): EnrollReceipt => {
      this.assertOnlyModel(modelId, 'enroll into');
      let created = false;
      let row = this.personRow(record.name);
      if (row && mode === 'create')
        throw new FaceError('PERSON_EXISTS', `${row.name} is already enrolled`, { name: row.name });
      if (!row && mode === 'add')
        throw new FaceError('PERSON_NOT_FOUND', `nobody called "${record.name}" is enrolled`, { name: record.name });
      if (!row) {
        const name = canonicalName(record.name);
        const problem = nameProblem(name);
        if (problem) throw new FaceError('INVALID_INPUT', problem, { rule: 'name' });
        const info = this.db
          .prepare('INSERT INTO people (name, metadata, created) VALUES (?, ?, ?)')
          .run(name, JSON.stringify(record.metadata ?? {}), now);
        row = { id: Number(info.lastInsertRowid), name, metadata: JSON.stringify(record.metadata ?? {}), created: now };
        created = true;
      } else if (record.metadata && Object.keys(record.metadata).length) {
        const merged = JSON.stringify({ ...parseMetadata(row.metadata), ...record.metadata });
        this.db.prepare('UPDATE people SET metadata = ? WHERE id = ?').run(merged, row.id);
        row = { ...row, metadata: merged };
      }
      const insertTemplate = this.db.prepare(
        'INSERT INTO templates (person_id, model_id, embedding, source_sha256, ' +
          'detection_score, face_size, created) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      const insertThumb = this.db.prepare('INSERT INTO thumbnails (template_id, jpeg) VALUES (?, ?)');
      // a photo the person already has (same bytes, same model) is not stored twice, even by concurrent enrollments
      const stored = new Map(
        (
          this.db
            .prepare('SELECT id, source_sha256 FROM templates WHERE person_id = ? AND model_id = ?')
            .all(row.id, modelId) as { id: number; source_sha256: string }[]
        ).map((r) => [r.source_sha256, r.id]),
      );
      const ids: number[] = [];
      const skipped: number[] = [];
      for (const [i, t] of record.templates.entries()) {
        const have = stored.get(t.sourceSha256);
        if (have !== undefined) {
          ids.push(have);
          skipped.push(i);
          continue;
        }
        const info = insertTemplate.run(
          row.id,
          t.modelId,
          toBlob(t.embedding),
          t.sourceSha256,
          t.detectionScore,
          t.faceSize,
          now,
        );
        const id = Number(info.lastInsertRowid);
        if (t.thumbnail)
          insertThumb.run(id, Buffer.from(t.thumbnail.buffer, t.thumbnail.byteOffset, t.thumbnail.byteLength));
        ids.push(id);
        stored.set(t.sourceSha256, id);
      }
      if (created || skipped.length < ids.length) this.logChange('enroll', row.id);
      return { person: rowToPerson(row), created, templateIds: ids, skipped };
    });
    const receipt = this.guard(() => run.immediate());
    this.retryCheckpoint();
    this.restoreReserve();
    return receipt;
  }

  async findPerson(name: string): Promise<Person | undefined> {
    const row = this.guard(() => this.personRow(name));
    return row && rowToPerson(row);
  }

  async people(): Promise<PersonSummary[]> {
    const rows = this.guard(() =>
      this.db
        .prepare(
          `SELECT p.id, p.name, p.metadata, p.created, COUNT(t.id) AS n,
                json_group_array(DISTINCT t.model_id) FILTER (WHERE t.model_id IS NOT NULL) AS models
         FROM people p LEFT JOIN templates t ON t.person_id = p.id GROUP BY p.id ORDER BY p.name`,
        )
        .all(),
    ) as (PersonRow & { n: number; models: string | null })[];
    return rows.map((r) => ({
      ...rowToPerson(r),
      templates: r.n,
      modelIds: r.models ? (JSON.parse(r.models) as string[]) : [],
    }));
  }

  async forget(name: string): Promise<ForgetReceipt> {
    const run = this.db.transaction(() => {
      const row = this.personRow(name);
      if (!row) throw new FaceError('PERSON_NOT_FOUND', `nobody called "${name}" is enrolled`, { name });
      // explicit deletes (not only ON DELETE CASCADE) so nothing depends on foreign_keys being on
      this.db
        .prepare('DELETE FROM thumbnails WHERE template_id IN (SELECT id FROM templates WHERE person_id = ?)')
        .run(row.id);
      const removed = this.db.prepare('DELETE FROM templates WHERE person_id = ?').run(row.id).changes;
      this.db.prepare('DELETE FROM people WHERE id = ?').run(row.id);
      this.logChange('forget', row.id);
      this.faults?.inForget?.();
      return { person: rowToPerson(row), templatesRemoved: removed };
    });
    // on a full disk the commit takes the reserve's room: a forget must not fail for lack of space
    const result = this.guard(() => this.withRoom(() => run.immediate()));
    // committed: what follows only scrubs, and its failure must not make the delete look undone
    this.checkpointDue = this.file !== ':memory:';
    const scrubbed = this.retryCheckpoint();
    this.restoreReserve();
    return { ...result, scrubbed };
  }

  /**
   * Move the (zeroed) pages from the WAL into the main file and truncate the WAL, so no copy of a forgotten face
   * stays behind. Best effort after a commit: false (and retried later) when it fails or other readers hold the WAL.
   */
  private retryCheckpoint(): boolean {
    if (!this.checkpointDue) return true;
    try {
      const [r] = this.withRoom(() => {
        this.faults?.beforeCheckpoint?.();
        return this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      });
      if (r?.busy) return false;
      this.checkpointDue = false;
      return true;
    } catch (e) {
      process.emitWarning(
        `facenet: gallery ${this.file}: the delete is committed, ` +
          `but scrubbing its pages failed (${(e as Error).message}); retrying at the next write`,
      );
      return false;
    }
  }

  /** Bump the generation and record what changed (never a name), in the caller's transaction. */
  private logChange(kind: StoreChange['kind'], personId: number): void {
    const g = (
      this.db.prepare("UPDATE store_state SET value = value + 1 WHERE key = 'generation' RETURNING value").get() as {
        value: number;
      }
    ).value;
    this.db.prepare('INSERT INTO changes (generation, person_id, kind) VALUES (?, ?, ?)').run(g, personId, kind);
    const pruneTo = changeLogPruneTo(g);
    if (pruneTo !== undefined) this.db.prepare('DELETE FROM changes WHERE generation <= ?').run(pruneTo);
  }

  async generation(): Promise<number> {
    const row = this.guard(() => this.db.prepare("SELECT value FROM store_state WHERE key = 'generation'").get()) as
      { value: number } | undefined;
    return row?.value ?? 0;
  }

  async changesSince(since: number): Promise<{ generation: number; changes: StoreChange[] } | undefined> {
    return this.guard(() =>
      this.db.transaction(() => {
        const generation =
          (
            this.db.prepare("SELECT value FROM store_state WHERE key = 'generation'").get() as
              { value: number } | undefined
          )?.value ?? 0;
        if (generation === since) return { generation, changes: [] };
        if (generation < since) return undefined; // the file was replaced: reload
        const rows = this.db
          .prepare(
            `SELECT c.generation, c.person_id, c.kind, p.name FROM changes c LEFT JOIN people p ON p.id = c.person_id
             WHERE c.generation > ? ORDER BY c.generation, c.person_id`,
          )
          .all(since) as {
          generation: number;
          person_id: number;
          kind: StoreChange['kind'];
          name: string | null;
        }[];
        // the log no longer reaches back: reload
        if (!rows.length || rows[0].generation !== since + 1) return undefined;
        return {
          generation,
          changes: rows.map((r) => ({
            kind: r.kind,
            personId: r.person_id,
            ...(r.name === null ? {} : { name: r.name }),
          })),
        };
      })(),
    );
  }

  private assertOnlyModel(modelId: string, verb: string): void {
    const others = this.db
      .prepare('SELECT model_id, COUNT(*) AS n FROM templates WHERE model_id <> ? GROUP BY model_id')
      .all(modelId) as { model_id: string; n: number }[];
    if (others.length) throw modelMismatchError(this.file, verb, modelId, others);
  }

  async templates(modelId: string): Promise<StoredTemplate[]> {
    try {
      this.assertOnlyModel(modelId, 'search');
      return this.templateRows('WHERE model_id = ?', modelId);
    } catch (e) {
      throw galleryError(this.file, e);
    }
  }

  async personTemplates(personId: number, modelId: string): Promise<StoredTemplate[]> {
    try {
      return this.templateRows('WHERE person_id = ? AND model_id = ?', personId, modelId);
    } catch (e) {
      throw galleryError(this.file, e);
    }
  }

  async counts(modelId: string): Promise<{ people: number; templates: number }> {
    return this.guard(() =>
      this.db
        .prepare('SELECT COUNT(DISTINCT person_id) AS people, COUNT(*) AS templates FROM templates WHERE model_id = ?')
        .get(modelId),
    ) as {
      people: number;
      templates: number;
    };
  }

  private templateRows(where: string, ...params: (string | number)[]): StoredTemplate[] {
    const rows = this.db
      .prepare(
        'SELECT id, person_id, model_id, embedding, source_sha256, ' +
          `detection_score, face_size, created FROM templates ${where} ORDER BY id`,
      )
      .all(...params) as {
      id: number;
      person_id: number;
      model_id: string;
      embedding: Buffer;
      source_sha256: string;
      detection_score: number;
      face_size: number;
      created: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      personId: r.person_id,
      modelId: r.model_id,
      embedding: fromBlob(r.embedding),
      sourceSha256: r.source_sha256,
      detectionScore: r.detection_score,
      faceSize: r.face_size,
      created: r.created,
    }));
  }

  async modelIds(): Promise<string[]> {
    return (
      this.guard(() => this.db.prepare('SELECT DISTINCT model_id FROM templates ORDER BY model_id').all()) as {
        model_id: string;
      }[]
    ).map((r) => r.model_id);
  }

  async thumbnail(templateId: number): Promise<Uint8Array | undefined> {
    const row = this.guard(() =>
      this.db.prepare('SELECT jpeg FROM thumbnails WHERE template_id = ?').get(templateId),
    ) as { jpeg: Buffer } | undefined;
    return row ? new Uint8Array(row.jpeg) : undefined;
  }

  async saveCalibration(table: CalibrationTable): Promise<void> {
    try {
      this.db
        .prepare(
          'INSERT INTO calibrations (model_id, table_json, created) VALUES (?, ?, ?) ' +
            'ON CONFLICT(model_id) DO UPDATE SET table_json = excluded.table_json, created = excluded.created',
        )
        .run(calibrationKey(table.modelId, probeModelOf(table)), JSON.stringify(table), table.created);
    } catch (e) {
      throw galleryError(this.file, e);
    }
  }

  async calibration(modelId: string, probeModelId = modelId): Promise<CalibrationTable | undefined> {
    const key = calibrationKey(modelId, probeModelId);
    const row = this.guard(() => this.db.prepare('SELECT table_json FROM calibrations WHERE model_id = ?').get(key)) as
      { table_json: string } | undefined;
    if (!row) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(row.table_json);
    } catch (e) {
      throw new FaceError(
        'CALIBRATION_ERROR',
        `gallery ${this.file}: stored calibration for ${key} is not JSON`,
        undefined,
        { cause: e },
      );
    }
    return parseCalibrationTable(json, `gallery ${this.file} calibration for ${key}`);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.retryCheckpoint();
    this.db.close();
  }
}
