/** Video jobs in the PostgreSQL gallery's database (table facenet_videos in the URL's schema), shared by replicas. */
import pg from 'pg';
import { parsePgLocation } from '../../gallery/store/postgres/location.js';
import type { VideoJob, VideoStore } from './store.js';

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

export class PgVideoStore implements VideoStore {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly table: string,
  ) {}

  /** The schema is the URL's `?schema=` (as the gallery's), else public. */
  static async open(url: string): Promise<PgVideoStore> {
    const { connectionString, schema } = parsePgLocation(url);
    const pool = new pg.Pool({ connectionString, max: 4 });
    pool.on('error', () => undefined);
    const table = `${ident(schema)}.facenet_videos`;
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`).catch(() => undefined);
    await pool.query(
      `CREATE TABLE IF NOT EXISTS ${table} ` +
        '(id TEXT PRIMARY KEY, status TEXT NOT NULL, created TEXT NOT NULL, doc JSONB NOT NULL)',
    );
    return new PgVideoStore(pool, table);
  }

  async create(job: VideoJob): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.table} (id, status, created, doc) VALUES ($1, $2, $3, $4)`, [
      job.id,
      job.status,
      job.created,
      JSON.stringify(job),
    ]);
  }

  async get(id: string): Promise<VideoJob | undefined> {
    const r = await this.pool.query(`SELECT doc FROM ${this.table} WHERE id = $1`, [id]);
    return r.rows[0]?.doc as VideoJob | undefined;
  }

  async list(limit: number): Promise<VideoJob[]> {
    const r = await this.pool.query(`SELECT doc FROM ${this.table} ORDER BY created DESC, id LIMIT $1`, [limit]);
    return r.rows.map((x) => x.doc as VideoJob);
  }

  async active(): Promise<number> {
    const r = await this.pool.query(
      `SELECT COUNT(*)::int AS n FROM ${this.table} WHERE status IN ('queued', 'running')`,
    );
    return r.rows[0].n as number;
  }

  async update(id: string, change: (job: VideoJob) => VideoJob): Promise<boolean> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const r = await c.query(`SELECT doc FROM ${this.table} WHERE id = $1 FOR UPDATE`, [id]);
      if (!r.rows.length) {
        await c.query('ROLLBACK');
        return false;
      }
      const job = { ...change(r.rows[0].doc as VideoJob), updated: new Date().toISOString() };
      await c.query(`UPDATE ${this.table} SET status = $2, doc = $3 WHERE id = $1`, [
        id,
        job.status,
        JSON.stringify(job),
      ]);
      await c.query('COMMIT');
      return true;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async delete(id: string): Promise<VideoJob | undefined> {
    const r = await this.pool.query(`DELETE FROM ${this.table} WHERE id = $1 RETURNING doc`, [id]);
    return r.rows[0]?.doc as VideoJob | undefined;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
