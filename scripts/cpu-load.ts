/**
 * A competing CPU load for benchmarks: N worker threads that spin until stopped (or until `maxSeconds` passes,
 * so a crashed bench cannot leave them running). Used by `npm run bench -- --load N`.
 */
import { Worker } from 'node:worker_threads';

const SPIN = `
const { workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData.stop);
const end = Date.now() + workerData.maxSeconds * 1000;
let x = 0;
while (Atomics.load(flag, 0) === 0 && Date.now() < end) for (let i = 0; i < 1e5; i++) x = (x * 1103515245 + 12345) | 0;
`;

export interface CpuLoad {
  readonly workers: number;
  stop(): Promise<void>;
}

export function startCpuLoad(workers: number, maxSeconds = 3600): CpuLoad {
  const stop = new SharedArrayBuffer(4);
  const threads = Array.from(
    { length: workers },
    () => new Worker(SPIN, { eval: true, workerData: { stop, maxSeconds } }),
  );
  for (const t of threads) t.unref(); // never keeps the process alive
  return {
    workers,
    async stop() {
      Atomics.store(new Int32Array(stop), 0, 1);
      // ref() again while waiting: an unref'd worker's 'exit' alone would not keep the event loop alive
      await Promise.all(
        threads.map(
          (t) => new Promise((resolve) => (t.threadId < 0 ? resolve(undefined) : (t.ref(), t.once('exit', resolve)))),
        ),
      );
    },
  };
}
