/**
 * On-disk cache of per-image embeddings for evaluations, keyed by (pipeline key, image sha256),
 * where the pipeline key names the model id and every setting that changes the result.
 * One SQLite file; a rerun of an evaluation reads everything back in seconds.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Detection } from '../detect/types.js';

export type FaceStatus = 'ok' | 'central' | 'noface';

export interface CachedEmbedding {
  /**
   * 'ok': one candidate face; 'central': several, one chosen by the face policy (labelled-face.ts);
   * 'noface': fallback centre box.
   */
  readonly status: FaceStatus;
  readonly embedding: Float32Array;
  readonly flipped: Float32Array;
}

export class EmbeddingCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<
    [string, string],
    { status: FaceStatus; embedding: Buffer; flipped: Buffer }
  >;
  private readonly putStmt: Database.Statement<[string, string, FaceStatus, Buffer, Buffer]>;
  private readonly getDetStmt: Database.Statement<[string, string], { boxes: string }>;
  private readonly putDetStmt: Database.Statement<[string, string, string]>;

  constructor(file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS embeddings (
      pipeline TEXT NOT NULL, image_sha256 TEXT NOT NULL, status TEXT NOT NULL,
      embedding BLOB NOT NULL, flipped BLOB NOT NULL, PRIMARY KEY (pipeline, image_sha256))`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS detections (
      detector TEXT NOT NULL, image_sha256 TEXT NOT NULL, boxes TEXT NOT NULL, PRIMARY KEY (detector, image_sha256))`);
    this.getDetStmt = this.db.prepare('SELECT boxes FROM detections WHERE detector = ? AND image_sha256 = ?');
    this.putDetStmt = this.db.prepare('INSERT OR REPLACE INTO detections VALUES (?, ?, ?)');
    this.getStmt = this.db.prepare(
      'SELECT status, embedding, flipped FROM embeddings WHERE pipeline = ? AND image_sha256 = ?',
    );
    this.putStmt = this.db.prepare('INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?, ?)');
  }

  get(pipeline: string, sha: string): CachedEmbedding | undefined {
    const row = this.getStmt.get(pipeline, sha);
    if (!row) return undefined;
    const f = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    return { status: row.status, embedding: f(row.embedding), flipped: f(row.flipped) };
  }

  put(pipeline: string, sha: string, v: CachedEmbedding): void {
    const b = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    this.putStmt.run(pipeline, sha, v.status, b(v.embedding), b(v.flipped));
  }

  /** Detector output is cached separately, so alignment/embedding variants reuse it. */
  getDetections(detector: string, sha: string): Detection[] | undefined {
    const row = this.getDetStmt.get(detector, sha);
    return row ? (JSON.parse(row.boxes) as Detection[]) : undefined;
  }

  putDetections(detector: string, sha: string, dets: readonly Detection[]): void {
    this.putDetStmt.run(detector, sha, JSON.stringify(dets));
  }

  close(): void {
    this.db.close();
  }
}
