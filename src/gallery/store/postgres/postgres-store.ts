/**
 * A GalleryStore on PostgreSQL + pgvector, for galleries shared by several processes (server replicas) or too large
 * to copy into each of them: `--gallery postgres://user:pass@host:5432/db?schema=faces`.
 *
 * - Schema per gallery: the URL's `schema` query parameter (default `public`) names the PostgreSQL schema holding
 *   the gallery's tables; it is removed from the URL before it reaches the driver. Every statement qualifies its
 *   tables with it, so the connection's search_path is left alone (pgvector's types and operators are found there:
 *   the extension must be in a schema on the search_path, `public` by default). (./postgres/location.ts)
 * - Migrations: `<schema>.facenet_schema` holds the version; each migration runs in its own transaction under a
 *   database-wide `pg_advisory_xact_lock`, so replicas starting together never race (CREATE EXTENSION included).
 *   (./postgres/schema.ts)
 * - Every write (enroll, forget) is one transaction serialised per gallery by an advisory lock (the model check and
 *   the generation counter need a single writer at a time, as SQLite's IMMEDIATE transactions give). It bumps the
 *   generation, appends its changes to `<schema>.changes` and sends `pg_notify` on the channel
 *   `facenet_gallery_changes.<schema>`, delivered at commit. (./postgres/enroll.ts, ./postgres/changes.ts)
 * - Embeddings: a `vector` column without a fixed dimension, written and read in pgvector's binary format
 *   (vector_recv / vector_send), so a float32 embedding round-trips bit-exactly (./postgres/rows.ts). The first
 *   enrollment fixes the gallery's dimension and creates its HNSW index, half precision by default; `nearest`
 *   re-ranks the index's candidates by the exact float32 inner product (./postgres/vector-index.ts).
 * - Thumbnails live in their own table; calibrations as jsonb.
 * - `forget` deletes the rows; as with any PostgreSQL delete the bytes stay in the table files until VACUUM
 *   reuses the space (and in WAL archives / backups) — unlike the SQLite store's secure_delete.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ClientConfig, PoolClient, QueryResultRow } from 'pg';
import {
  calibrationKey,
  parseCalibrationTable,
  probeModelOf,
  type CalibrationTable,
} from '../../../decide/calibration.js';
import { FaceError } from '../../../errors.js';
import { canonicalName } from '../../names.js';
import { ChangeListener, logChanges, NOTIFY_CHANNEL } from './changes.js';
import { planEnrollment, writeEnrollment, type EnrollTarget } from './enroll.js';
import { lockKey, parsePgLocation, pgError, TYPES, type PgLocation, type Queryable } from './location.js';
import {
  encodeVector,
  rowToPerson,
  rowToTemplate,
  TEMPLATE_COLUMNS,
  type PersonRow,
  type TemplateRow,
} from './rows.js';
import { migrate } from './schema.js';
import {
  createIndex,
  ensureIndex,
  readIndexState,
  searchIndex,
  setIndexKind,
  type IndexParams,
  type PgIndexKind,
} from './vector-index.js';
import { modelMismatchError } from '../store-rules.js';
import type {
  EnrollReceipt,
  EnrollRecord,
  ForgetReceipt,
  GalleryStore,
  Person,
  PersonSummary,
  StoreChange,
  StoredTemplate,
  StoreHit,
  StoreSearchOptions,
} from '../store.js';

export { NOTIFY_CHANNEL } from './changes.js';
export { maskPassword, parsePgLocation, type PgLocation } from './location.js';
export { decodeVector, encodeVector } from './rows.js';
export { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './schema.js';
export { DEFAULT_EF, type PgIndexKind } from './vector-index.js';

/** How long a search trusts its cached dimension and index kind (another replica may rebuild the index). */
const INDEX_STATE_TTL_MS = 30_000;

export interface PostgresStoreOptions {
  /** Index kind a new gallery gets at its first enrollment (default 'halfvec'); an existing gallery keeps its own. */
  readonly index?: PgIndexKind;
  /** Pool size per store (default 10). */
  readonly maxConnections?: number;
  /** Connect timeout, ms (default 10 000). */
  readonly connectTimeoutMs?: number;
  /** Where watch() reports connection trouble when its caller gives no handler (default: a process warning). */
  readonly onError?: (e: FaceError) => void;
}

export class PostgresGalleryStore implements GalleryStore {
  readonly location: string;
  readonly schemaVersion: number;
  readonly schema: string;
  /** The LISTEN/NOTIFY channel of this gallery. */
  readonly channel: string;
  /** Identifies this store's own writes in the change log, so watch() reports other writers' only. */
  readonly origin = randomUUID();
  private readonly s: string;
  private readonly listeners = new Set<ChangeListener>();
  /**
   * The gallery's dimension and index kind, cached for searches (another replica may rebuild the index: re-read now and
   * then).
   */
  private indexState?: { dim: number; kind: PgIndexKind; read: number };
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly where: PgLocation,
    private readonly clientConfig: ClientConfig,
    version: number,
    private readonly opts: PostgresStoreOptions,
  ) {
    this.location = where.display;
    this.schemaVersion = version;
    this.schema = where.schema;
    this.s = `"${where.schema}"`;
    this.channel = `${NOTIFY_CHANNEL}.${where.schema}`;
  }

  /** Connect once and disconnect: GALLERY_ERROR (naming why, password masked) when the database cannot be reached. */
  static async ping(url: string, opts: Pick<PostgresStoreOptions, 'connectTimeoutMs'> = {}): Promise<void> {
    const where = parsePgLocation(url);
    const client = new pg.Client({
      connectionString: where.connectionString,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
      application_name: 'facenet-ts',
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
    } catch (e) {
      throw pgError(where, e, 'cannot reach gallery');
    } finally {
      await client.end().catch(() => {});
    }
  }

  /**
   * Connect, create the schema and pgvector if needed, and migrate. GALLERY_ERROR (password masked) when that fails.
   */
  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresGalleryStore> {
    const where = parsePgLocation(url);
    const clientConfig: ClientConfig = {
      connectionString: where.connectionString,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
      application_name: 'facenet-ts',
      types: TYPES,
    };
    const pool = new pg.Pool({ ...clientConfig, max: opts.maxConnections ?? 10, idleTimeoutMillis: 30_000 });
    // an idle pooled connection that dies (server restart) must not crash the process: the next query reconnects
    pool.on('error', () => {});
    try {
      const version = await migrate(pool, where);
      return new PostgresGalleryStore(pool, where, clientConfig, version, opts);
    } catch (e) {
      await pool.end().catch(() => {});
      throw pgError(where, e, 'cannot open gallery');
    }
  }

  // ---- writes ---------------------------------------------------------------------------------------------------

  async enroll(record: EnrollRecord): Promise<EnrollReceipt> {
    return (await this.enrollMany([record]))[0];
  }

  /**
   * Many enrollments in one transaction (bulk loading): the same checks and results as calling `enroll` for each
   * record, with multi-row INSERTs. Records naming the same person are merged (metadata in order, new keys win).
   */
  async enrollMany(records: readonly EnrollRecord[]): Promise<EnrollReceipt[]> {
    if (!records.length) return [];
    const plan = planEnrollment(records);
    const target: EnrollTarget = {
      quotedSchema: this.s,
      assertOnlyModel: (c, modelId) => this.assertOnlyModel(c, modelId, 'enroll into'),
      ensureIndex: async (c, dim) => {
        if (await ensureIndex(c, this.s, this.location, dim, this.opts.index ?? 'halfvec')) this.indexState = undefined;
      },
      logChanges: (c, changes) => logChanges(c, this, 'enroll', changes),
    };
    return this.write((c) => writeEnrollment(c, target, plan));
  }

  async forget(name: string): Promise<ForgetReceipt> {
    return this.write(async (c) => {
      const row = (
        await c.query<PersonRow>(
          `SELECT id, name, metadata, created FROM ${this.s}.people ` +
            'WHERE name = $1 OR name = $2 ORDER BY name = $1 DESC LIMIT 1',
          [name.trim(), canonicalName(name)],
        )
      ).rows[0];
      if (!row) throw new FaceError('PERSON_NOT_FOUND', `nobody called "${name}" is enrolled`, { name });
      await c.query(
        `DELETE FROM ${this.s}.thumbnails WHERE template_id IN ` +
          `(SELECT id FROM ${this.s}.templates WHERE person_id = $1)`,
        [row.id],
      );
      const removed = (await c.query(`DELETE FROM ${this.s}.templates WHERE person_id = $1`, [row.id])).rowCount ?? 0;
      await c.query(`DELETE FROM ${this.s}.people WHERE id = $1`, [row.id]);
      await logChanges(c, this, 'forget', [{ personId: row.id }]);
      return { person: rowToPerson(row), templatesRemoved: removed };
    });
  }

  /** A write transaction, serialised with every other writer of this gallery. */
  private async write<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [
        lockKey('facenet-ts gallery writes'),
        lockKey(this.schema),
      ]);
      const result = await fn(c);
      await c.query('COMMIT');
      return result;
    } catch (e) {
      await c.query('ROLLBACK').catch((err: Error) => (broken = err));
      throw this.error(e);
    } finally {
      c.release(broken);
    }
  }

  /**
   * (Re)build the HNSW index (bulk loads: load first, index after — much faster than inserting into the graph).
   * `maintenanceWorkMem` (e.g. '1GB') keeps a large graph in memory while it is built. The gallery is locked
   * against reads and writes until the build commits: for bulk loads and maintenance windows, not a live server.
   */
  async buildIndex(kind: PgIndexKind, params: IndexParams & { maintenanceWorkMem?: string } = {}): Promise<void> {
    await this.write(async (c) => {
      const { dim } = await readIndexState(c, this.s);
      if (params.maintenanceWorkMem) {
        if (!/^\d+\s*(kB|MB|GB)$/.test(params.maintenanceWorkMem))
          throw new FaceError('INVALID_INPUT', `bad maintenance_work_mem ${params.maintenanceWorkMem}`);
        await c.query(`SET LOCAL maintenance_work_mem = '${params.maintenanceWorkMem}'`);
      }
      if (dim === 0) {
        await setIndexKind(c, this.s, kind);
        this.indexState = undefined;
        return;
      }
      await createIndex(c, this.s, dim, kind, params);
      this.indexState = undefined;
      await c.query(`ANALYZE ${this.s}.templates`);
    });
  }

  /** The gallery's dimension, index kind and the index's size on disk (bytes). */
  async indexInfo(): Promise<{ dim: number; kind: PgIndexKind; bytes: number; tableBytes: number }> {
    const state = await this.guard(() => readIndexState(this.pool, this.s));
    const r = await this.query<{ bytes: number | null; table: number }>(
      `SELECT pg_relation_size(to_regclass($1)) AS bytes, pg_total_relation_size(to_regclass($2)) AS table`,
      [`${this.s}.templates_hnsw`, `${this.s}.templates`],
    );
    return { ...state, bytes: r.rows[0].bytes ?? 0, tableBytes: r.rows[0].table };
  }

  // ---- reads ----------------------------------------------------------------------------------------------------

  async findPerson(name: string): Promise<Person | undefined> {
    const row = (
      await this.query<PersonRow>(
        `SELECT id, name, metadata, created FROM ${this.s}.people ` +
          'WHERE name = $1 OR name = $2 ORDER BY name = $1 DESC LIMIT 1',
        [name.trim(), canonicalName(name)],
      )
    ).rows[0];
    return row && rowToPerson(row);
  }

  async people(): Promise<PersonSummary[]> {
    const rows = (
      await this.query<PersonRow & { n: number; models: string[] }>(
        `SELECT p.id, p.name, p.metadata, p.created, COUNT(t.id) AS n,
                COALESCE(array_agg(DISTINCT t.model_id) FILTER (WHERE t.model_id IS NOT NULL), '{}') AS models
         FROM ${this.s}.people p LEFT JOIN ${this.s}.templates t ON t.person_id = p.id
         GROUP BY p.id ORDER BY p.name COLLATE "C"`,
      )
    ).rows;
    return rows.map((r) => ({ ...rowToPerson(r), templates: r.n, modelIds: r.models }));
  }

  async generation(): Promise<number> {
    return (
      (await this.query<{ value: number }>(`SELECT value FROM ${this.s}.store_state WHERE key = 'generation'`)).rows[0]
        ?.value ?? 0
    );
  }

  /** MODEL_MISMATCH unless every template is of `modelId`: two index probes, then (only on a mismatch) the counts. */
  private async assertOnlyModel(q: Queryable, modelId: string, verb: string): Promise<void> {
    const probe = await q.query<{ lo: string | null; hi: string | null }>(
      `SELECT (SELECT model_id FROM ${this.s}.templates WHERE model_id < $1 ORDER BY model_id DESC LIMIT 1) AS lo,
              (SELECT model_id FROM ${this.s}.templates WHERE model_id > $1 ORDER BY model_id LIMIT 1) AS hi`,
      [modelId],
    );
    if (probe.rows[0].lo === null && probe.rows[0].hi === null) return;
    const others = (
      await q.query<{ model_id: string; n: number }>(
        `SELECT model_id, COUNT(*) AS n FROM ${this.s}.templates ` +
          'WHERE model_id <> $1 GROUP BY model_id ORDER BY model_id COLLATE "C"',
        [modelId],
      )
    ).rows;
    throw modelMismatchError(this.location, verb, modelId, others);
  }

  async templates(modelId: string): Promise<StoredTemplate[]> {
    await this.guard(() => this.assertOnlyModel(this.pool, modelId, 'search'));
    return (
      await this.query<TemplateRow>(
        `SELECT ${TEMPLATE_COLUMNS} FROM ${this.s}.templates WHERE model_id = $1 ORDER BY id`,
        [modelId],
      )
    ).rows.map(rowToTemplate);
  }

  async personTemplates(personId: number, modelId: string): Promise<StoredTemplate[]> {
    return (
      await this.query<TemplateRow>(
        `SELECT ${TEMPLATE_COLUMNS} FROM ${this.s}.templates WHERE person_id = $1 AND model_id = $2 ORDER BY id`,
        [personId, modelId],
      )
    ).rows.map(rowToTemplate);
  }

  async counts(modelId: string): Promise<{ people: number; templates: number }> {
    const r = (
      await this.query<{ people: number; templates: number }>(
        'SELECT COUNT(DISTINCT person_id) AS people, COUNT(*) AS templates ' +
          `FROM ${this.s}.templates WHERE model_id = $1`,
        [modelId],
      )
    ).rows[0];
    return { people: r.people, templates: r.templates };
  }

  async modelIds(): Promise<string[]> {
    return (
      await this.query<{ model_id: string }>(
        `SELECT DISTINCT model_id COLLATE "C" AS model_id FROM ${this.s}.templates ORDER BY 1`,
      )
    ).rows.map((r) => r.model_id);
  }

  async thumbnail(templateId: number): Promise<Uint8Array | undefined> {
    const row = (
      await this.query<{ jpeg: Buffer }>(`SELECT jpeg FROM ${this.s}.thumbnails WHERE template_id = $1`, [templateId])
    ).rows[0];
    return row ? new Uint8Array(row.jpeg) : undefined;
  }

  async saveCalibration(table: CalibrationTable): Promise<void> {
    await this.query(
      `INSERT INTO ${this.s}.calibrations (model_id, table_json, created) VALUES ($1, $2::jsonb, $3)
       ON CONFLICT (model_id) DO UPDATE SET table_json = EXCLUDED.table_json, created = EXCLUDED.created`,
      [calibrationKey(table.modelId, probeModelOf(table)), JSON.stringify(table), table.created],
    );
  }

  async calibration(modelId: string, probeModelId = modelId): Promise<CalibrationTable | undefined> {
    const key = calibrationKey(modelId, probeModelId);
    const row = (
      await this.query<{ table_json: unknown }>(`SELECT table_json FROM ${this.s}.calibrations WHERE model_id = $1`, [
        key,
      ])
    ).rows[0];
    return row ? parseCalibrationTable(row.table_json, `gallery ${this.location} calibration for ${key}`) : undefined;
  }

  // ---- search ---------------------------------------------------------------------------------------------------

  /**
   * The k nearest people (one hit each: their nearest template), nearest first, searched by pgvector's HNSW index
   * and re-ranked by the exact float32 inner product (./postgres/vector-index.ts).
   */
  async nearest(modelId: string, query: Float32Array, k: number, opts: StoreSearchOptions = {}): Promise<StoreHit[]> {
    if (k <= 0) return [];
    const vec = encodeVector(query);
    let state = this.indexState;
    if (!state || state.dim !== query.length || Date.now() - state.read > INDEX_STATE_TTL_MS)
      state = this.indexState = { ...(await this.guard(() => readIndexState(this.pool, this.s))), read: Date.now() };
    if (state.dim === 0) return [];
    if (state.dim !== query.length)
      throw new FaceError(
        'INVALID_INPUT',
        `query has ${query.length} dimensions; gallery ${this.location} holds ${state.dim}-dimensional embeddings`,
        {
          gallery: this.location,
        },
      );
    const c = await this.connect();
    let broken: Error | undefined;
    try {
      return await searchIndex(c, this.s, state, { modelId, query, vec, k, opts }, () =>
        this.assertOnlyModel(c, modelId, 'search'),
      );
    } catch (e) {
      await c.query('ROLLBACK').catch((err: Error) => (broken = err));
      throw this.error(e);
    } finally {
      c.release(broken);
    }
  }

  // ---- changes by other writers -----------------------------------------------------------------------------------

  /**
   * Changes committed through other store instances (other processes, replicas), in commit order. A dedicated
   * connection LISTENs on the gallery's channel; each notification makes it read the change log past the last
   * generation it saw, so changes made while it was disconnected are replayed once it has reconnected (with
   * backoff). Trouble is reported to `onError` (default: a process warning), never thrown into the process.
   */
  async watch(onChange: (change: StoreChange) => void, onError?: (e: FaceError) => void): Promise<() => Promise<void>> {
    if (this.closed) throw new FaceError('GALLERY_ERROR', `gallery ${this.location} is closed`);
    const report =
      onError ?? this.opts.onError ?? ((e: FaceError) => process.emitWarning(e.message, 'FacenetGalleryWarning'));
    const listener = new ChangeListener(this, this.where, this.clientConfig, onChange, report);
    try {
      await listener.start();
    } catch (e) {
      await listener.stop();
      throw this.error(e);
    }
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
      await listener.stop();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.listeners].map((l) => l.stop()));
    this.listeners.clear();
    await this.pool.end();
  }

  // ---- plumbing -------------------------------------------------------------------------------------------------

  /** @internal the quoted schema name, for the change log and its listener. */
  get quotedSchema(): string {
    return this.s;
  }

  private async connect(): Promise<PoolClient> {
    if (this.closed) throw new FaceError('GALLERY_ERROR', `gallery ${this.location} is closed`);
    try {
      return await this.pool.connect();
    } catch (e) {
      throw this.error(e);
    }
  }

  private async query<R extends QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new FaceError('GALLERY_ERROR', `gallery ${this.location} is closed`);
    try {
      return await this.pool.query<R>(sql, params);
    } catch (e) {
      throw this.error(e);
    }
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.error(e);
    }
  }

  private error(e: unknown): FaceError {
    return pgError(this.where, e, 'gallery');
  }
}
