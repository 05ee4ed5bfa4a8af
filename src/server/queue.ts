/**
 * A bounded inference queue: at most `concurrency` jobs run at once (onnxruntime-node runs each session.run off the
 * main thread, so a running job costs the event loop only its JS pre/post-processing), at most `maxQueued` wait.
 * A job offered to a full queue is refused at once with QUEUE_FULL (HTTP 429 + Retry-After).
 */
import { FaceError } from '../errors.js';

export interface QueueOptions {
  concurrency?: number;
  maxQueued?: number;
}

export class InferenceQueue {
  readonly concurrency: number;
  readonly maxQueued: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Mean job duration (ms, exponential average), for Retry-After. */
  private meanMs = 500;
  rejected = 0;

  constructor(opts: QueueOptions = {}) {
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
    this.maxQueued = Math.max(0, opts.maxQueued ?? 32);
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Seconds a refused client should wait before retrying. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(((this.waiting.length + 1) * this.meanMs) / this.concurrency / 1000));
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueued) {
        this.rejected++;
        throw new FaceError(
          'QUEUE_FULL',
          `inference queue is full (${this.running} running, ${this.waiting.length} waiting); retry later`,
          {
            retryAfter: this.retryAfterSeconds(),
          },
        );
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    const t0 = performance.now();
    try {
      return await job();
    } finally {
      this.meanMs = 0.8 * this.meanMs + 0.2 * (performance.now() - t0);
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes to the next job: `running` stays
      else this.running--;
    }
  }
}
