/**
 * The PostgreSQL job queue: pg-boss (SKIP LOCKED fetches, expiry, retries, archive) in its own schema of the
 * gallery's database, so every `facenet serve` that shares the gallery shares the queue, on any machine. pg-boss 10
 * (the last major that runs on Node 20) has no heartbeat: a job that runs past `leaseSeconds` is expired and retried,
 * so handlers must hand long work on in slices (the video runner does: each slice checkpoints and sends the next).
 */
import PgBoss from 'pg-boss';
import type { JobQueue, QueuedJob, QueueOptions } from './job-queue.js';

/** The schema pg-boss keeps its tables in (beside the gallery's own). */
export const PG_BOSS_SCHEMA = 'facenet_jobs';

export class PgBossQueue<T extends object> implements JobQueue<T> {
  private constructor(
    private readonly boss: PgBoss,
    private readonly name: string,
    private readonly opts: QueueOptions,
    private readonly schema: string,
  ) {}

  static async open<T extends object>(
    connectionString: string,
    name: string,
    opts: QueueOptions,
    schema = PG_BOSS_SCHEMA,
  ): Promise<PgBossQueue<T>> {
    const lease = Math.max(1, Math.round(opts.leaseSeconds));
    const boss = new PgBoss({
      connectionString,
      schema,
      max: 4,
      // expiry is checked by maintenance: often enough that a crashed job waits about one lease, not minutes
      maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.round(lease / 2))),
      archiveCompletedAfterSeconds: 3600,
    });
    boss.on('error', () => undefined); // transient connection errors: pg-boss retries on its own
    await boss.start();
    await boss.createQueue(name).catch(() => undefined); // exists already (another server made it)
    return new PgBossQueue<T>(boss, name, opts, schema);
  }

  async send(data: T): Promise<string> {
    const id = await this.boss.send(this.name, data, {
      expireInSeconds: Math.max(1, Math.round(this.opts.leaseSeconds)),
      retryLimit: this.opts.retryLimit ?? 3,
      retryDelay: 1,
    });
    return id!;
  }

  async work(handler: (job: QueuedJob<T>) => Promise<void>): Promise<void> {
    const retryLimit = this.opts.retryLimit ?? 3;
    const poll = Math.max(0.5, this.opts.pollSeconds ?? 1);
    // pg-boss 10 runs one job at a time per work() call: one call per concurrent job
    for (let i = 0; i < Math.max(1, this.opts.concurrency ?? 1); i++)
      await this.boss.work<T>(
        this.name,
        { batchSize: 1, pollingIntervalSeconds: poll, includeMetadata: true },
        async ([job]) =>
          handler({ id: job.id, data: job.data, attempt: job.retryCount + 1, last: job.retryCount >= retryLimit }),
      );
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    await this.boss.cancel(this.name, [...ids]).catch(() => undefined);
    await this.boss.deleteJob(this.name, [...ids]);
    // finished jobs move to the archive table, which deleteJob does not touch
    await this.boss
      .getDb()
      .executeSql(`DELETE FROM ${this.schema}.archive WHERE name = $1 AND id = ANY($2::uuid[])`, [this.name, ids]);
  }

  async close(graceMs = 10_000): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: graceMs });
  }
}
