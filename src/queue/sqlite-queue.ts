/**
 * A durable single-machine job queue in one SQLite table (better-sqlite3). Why not a library: the SQLite queues on
 * npm are either pre-1.0 with few users (plainjob) or bring an ORM and a schema library along (liteque: drizzle-orm,
 * zod); this needs one table and three statements. A worker claims the oldest waiting job (or one whose lease has
 * expired: its process died) in one UPDATE … RETURNING, renews the lease while the handler runs (a heartbeat, so a
 * long job is never taken as crashed), and deletes the row when the handler succeeds. Processes on one machine may
 * share the file (WAL, busy timeout); a job held by a process that no longer exists is taken at once.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { JobQueue, QueuedJob, QueueOptions } from './job-queue.js';

/** Whether a process of this machine exists (signal 0 only checks). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Row {
  id: string;
  data: string;
  attempts: number;
}

export class SqliteQueue<T extends object> implements JobQueue<T> {
  private readonly db: Database.Database;
  private closed = false;
  private readonly running = new Set<Promise<void>>();
  private timers: NodeJS.Timeout[] = [];
  private readonly lease: number;
  private readonly retryLimit: number;

  constructor(
    file: string,
    private readonly name: string,
    private readonly opts: QueueOptions,
  ) {
    this.db = new Database(file);
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS facenet_job_queue (
      id TEXT PRIMARY KEY, queue TEXT NOT NULL, data TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'created', attempts INTEGER NOT NULL DEFAULT 0,
      lease_until INTEGER NOT NULL DEFAULT 0, owner INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL)`);
    this.lease = Math.max(1, opts.leaseSeconds) * 1000;
    this.retryLimit = opts.retryLimit ?? 3;
  }

  async send(data: T): Promise<string> {
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO facenet_job_queue (id, queue, data, created) VALUES (?, ?, ?, ?)')
      .run(id, this.name, JSON.stringify(data), Date.now());
    return id;
  }

  /** Jobs held by a process of this machine that no longer exists (killed) are free at once, not after the lease. */
  private reclaimDead(): void {
    const held = this.db
      .prepare("SELECT DISTINCT owner FROM facenet_job_queue WHERE queue = ? AND state = 'active' AND owner > 0")
      .all(this.name) as { owner: number }[];
    for (const { owner } of held)
      if (!alive(owner))
        this.db.prepare("UPDATE facenet_job_queue SET lease_until = 0 WHERE owner = ? AND state = 'active'").run(owner);
  }

  /** The oldest job that is waiting, or running under an expired lease; failed for good past the retry limit. */
  private claim(): Row | undefined {
    this.reclaimDead();
    const now = Date.now();
    return this.db
      .prepare(
        `UPDATE facenet_job_queue SET state = 'active', attempts = attempts + 1, lease_until = ?, owner = ?
         WHERE id = (SELECT id FROM facenet_job_queue WHERE queue = ? AND attempts <= ?
                     AND (state = 'created' OR (state = 'active' AND lease_until < ?)) ORDER BY created, rowid LIMIT 1)
         RETURNING id, data, attempts`,
      )
      .get(now + this.lease, process.pid, this.name, this.retryLimit, now) as Row | undefined;
  }

  async work(handler: (job: QueuedJob<T>) => Promise<void>): Promise<void> {
    const poll = Math.max(0.05, this.opts.pollSeconds ?? 1) * 1000;
    for (let i = 0; i < Math.max(1, this.opts.concurrency ?? 1); i++) {
      const loop = async (): Promise<void> => {
        if (this.closed) return;
        const row = this.claim();
        if (row) {
          const run = this.run(row, handler);
          this.running.add(run);
          await run;
          this.running.delete(run);
          return loop();
        }
        this.timers[i] = setTimeout(() => void loop(), poll);
      };
      void loop();
    }
  }

  private async run(row: Row, handler: (job: QueuedJob<T>) => Promise<void>): Promise<void> {
    const renew = this.db.prepare("UPDATE facenet_job_queue SET lease_until = ? WHERE id = ? AND state = 'active'");
    const beat = setInterval(() => this.db.open && renew.run(Date.now() + this.lease, row.id), this.lease / 3);
    try {
      await handler({
        id: row.id,
        data: JSON.parse(row.data) as T,
        attempt: row.attempts,
        last: row.attempts > this.retryLimit,
      });
      if (this.db.open) this.db.prepare('DELETE FROM facenet_job_queue WHERE id = ?').run(row.id);
    } catch {
      if (!this.db.open) return;
      // retried by the next claim (at once: the lease is released), or left failed past the limit
      this.db
        .prepare(
          `UPDATE facenet_job_queue SET state = CASE WHEN attempts > ? THEN 'failed' ELSE 'created' END
           WHERE id = ?`,
        )
        .run(this.retryLimit, row.id);
    } finally {
      clearInterval(beat);
    }
  }

  async remove(ids: readonly string[]): Promise<void> {
    const del = this.db.prepare('DELETE FROM facenet_job_queue WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => del.run(id)))();
  }

  async close(graceMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.forEach(clearTimeout);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.db.close();
  }
}
