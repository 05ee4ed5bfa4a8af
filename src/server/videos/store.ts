/**
 * Where video jobs live: one row per job (its source, options, progress, the checkpoint of decided tracks and, at
 * the end, the timeline), in the gallery's database, so every server sharing the gallery sees every job. A deleted
 * row is gone: a worker whose update finds no row stops (that is how a cancel reaches another machine).
 */
import Database from 'better-sqlite3';
import type { TrackJson } from './tracks.js';

export type VideoStatus = 'queued' | 'running' | 'done' | 'failed';

export interface VideoSource {
  readonly kind: 'upload' | 'url';
  /** The file name as uploaded, or the URL (as given; passwords masked). */
  readonly name: string;
  /** Where the upload is stored (uploads), or the URL to read. */
  readonly input: string;
  /** A URL whose length is known (a file behind HTTP) rather than a live stream. */
  readonly finite?: boolean;
}

export interface VideoOptions {
  readonly far?: number;
  readonly detectEvery?: number;
  readonly fps?: number;
}

/** The decided tracks and where deciding stopped: a crashed job resumes from here. */
export interface Checkpoint {
  readonly time: number;
  readonly tracks: readonly TrackJson[];
  /** Frames read so far. */
  readonly frames: number;
}

export interface VideoJob {
  readonly id: string;
  readonly status: VideoStatus;
  readonly created: string;
  readonly updated: string;
  /** Id of the API key that started it (null without auth). */
  readonly owner: string | null;
  readonly source: VideoSource;
  readonly options: VideoOptions;
  readonly progress: { time: number; duration?: number; frames: number; slices: number };
  readonly checkpoint: Checkpoint | null;
  /** The timeline once done: every track (watch --json's shape) and the people. */
  readonly result: Record<string, unknown> | null;
  readonly error: { code: string; message: string } | null;
  /** host:pid of the server running its latest slice. */
  readonly runner?: string;
  /** Queue jobs sent for it (first and continuations): removed with it. */
  readonly queueJobs: readonly string[];
}

export interface VideoStore {
  create(job: VideoJob): Promise<void>;
  get(id: string): Promise<VideoJob | undefined>;
  /** Newest first. */
  list(limit: number): Promise<VideoJob[]>;
  /** Jobs queued or running. */
  active(): Promise<number>;
  /** Change a job; false when it no longer exists (deleted). */
  update(id: string, change: (job: VideoJob) => VideoJob): Promise<boolean>;
  /** Remove the row; the job as it was, if it existed. */
  delete(id: string): Promise<VideoJob | undefined>;
  close(): Promise<void>;
}

export class SqliteVideoStore implements VideoStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS facenet_videos (
      id TEXT PRIMARY KEY, status TEXT NOT NULL, created TEXT NOT NULL, doc TEXT NOT NULL)`);
  }

  async create(job: VideoJob): Promise<void> {
    this.db
      .prepare('INSERT INTO facenet_videos (id, status, created, doc) VALUES (?, ?, ?, ?)')
      .run(job.id, job.status, job.created, JSON.stringify(job));
  }

  async get(id: string): Promise<VideoJob | undefined> {
    const row = this.db.prepare('SELECT doc FROM facenet_videos WHERE id = ?').get(id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as VideoJob) : undefined;
  }

  async list(limit: number): Promise<VideoJob[]> {
    const rows = this.db.prepare('SELECT doc FROM facenet_videos ORDER BY created DESC, id LIMIT ?').all(limit) as {
      doc: string;
    }[];
    return rows.map((r) => JSON.parse(r.doc) as VideoJob);
  }

  async active(): Promise<number> {
    const r = this.db
      .prepare("SELECT COUNT(*) AS n FROM facenet_videos WHERE status IN ('queued', 'running')")
      .get() as { n: number };
    return r.n;
  }

  async update(id: string, change: (job: VideoJob) => VideoJob): Promise<boolean> {
    return this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT doc FROM facenet_videos WHERE id = ?').get(id) as
          { doc: string } | undefined;
        if (!row) return false;
        const job = { ...change(JSON.parse(row.doc) as VideoJob), updated: new Date().toISOString() };
        this.db
          .prepare('UPDATE facenet_videos SET status = ?, doc = ? WHERE id = ?')
          .run(job.status, JSON.stringify(job), id);
        return true;
      })
      .immediate();
  }

  async delete(id: string): Promise<VideoJob | undefined> {
    const row = this.db.prepare('DELETE FROM facenet_videos WHERE id = ? RETURNING doc').get(id) as
      { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as VideoJob) : undefined;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
