/**
 * Durable job queues behind one small interface: a job is a small JSON payload (an id to look up elsewhere), handed
 * to one handler at a time across every process sharing the queue. A handler that throws, or a process that dies
 * holding a job, gets the job retried (after its lease expires) up to `retryLimit` times; the handler sees the
 * attempt number and decides what a last failure means. Implementations: PgBossQueue (PostgreSQL, shared by
 * several machines) and SqliteQueue (one machine, one file).
 */
export interface QueuedJob<T> {
  readonly id: string;
  readonly data: T;
  /** 1 for the first delivery, 2 for the first retry, … */
  readonly attempt: number;
  /** Whether this delivery is the last one allowed (a throw now fails the job for good). */
  readonly last: boolean;
}

export interface QueueOptions {
  /** Seconds a job may run without finishing (or, for queues with heartbeats, without a heartbeat) before it is
   * taken as crashed and retried. Handlers must finish (or hand their work on to a new job) well within it. */
  leaseSeconds: number;
  /** Deliveries after the first (default 3). */
  retryLimit?: number;
  /** Jobs this process runs at once (default 1). */
  concurrency?: number;
  /** How often an idle worker looks for work, seconds (default 1). */
  pollSeconds?: number;
}

export interface JobQueue<T extends object> {
  /** Add a job; resolves to its id once it is stored. */
  send(data: T): Promise<string>;
  /** Start handling jobs in this process (`concurrency` at a time) until close(). */
  work(handler: (job: QueuedJob<T>) => Promise<void>): Promise<void>;
  /** Cancel and delete these jobs, wherever they are (waiting, running, finished, archived). */
  remove(ids: readonly string[]): Promise<void>;
  /** Stop taking jobs; waits up to `graceMs` for running handlers. */
  close(graceMs?: number): Promise<void>;
}
