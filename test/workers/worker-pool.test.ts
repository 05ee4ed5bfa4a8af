import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { FaceError } from '../../src/errors.js';
import { PooledRecognizer } from '../../src/workers/worker-pool.js';
import { LFW_DIR, needDataset } from '../helpers/datasets.js';

const photo = () => readFileSync(path.join(LFW_DIR, 'lfw/Aaron_Peirsol/Aaron_Peirsol_0001.jpg'));

test(
  'close: jobs already sent finish, every worker ends on its own, later calls are CLOSED',
  { skip: needDataset(LFW_DIR), timeout: 120_000 },
  async () => {
    const pool = await PooledRecognizer.start(2, { threads: 1 });
    const img = photo();
    const jobs = Array.from({ length: 6 }, () => pool.embed(img));
    const closed = pool.close();
    const faces = await Promise.all(jobs);
    for (const f of faces) assert.equal(f[0].embedding.length, 128, 'a job sent before close still gets its answer');
    // close must not need terminate(), which stops a worker mid-job with its onnxruntime sessions still open
    assert.equal(await closed, 0, 'workers terminated instead of ending on their own');
    assert.equal(await pool.close(), 0, 'a second close is the first one');
    await assert.rejects(pool.embed(img), (e: unknown) => e instanceof FaceError && e.code === 'CLOSED');
  },
);

test(
  'a worker that dies fails its own jobs at once and the others take the work',
  { skip: needDataset(LFW_DIR), timeout: 120_000 },
  async () => {
    const pool = await PooledRecognizer.start(2, { threads: 1 });
    const workers = (pool as unknown as { slots: { worker: Worker }[] }).slots.map((s) => s.worker);
    try {
      const img = photo();
      await Promise.all([pool.embed(img), pool.embed(img)]); // both workers idle: no native call in flight
      // What an uncaught error or an out-of-memory stop looks like from outside. The stop is requested while worker 0
      // is idle: stopping a thread inside onnxruntime's run aborts the whole process (Napi::Error thrown during
      // teardown), which is why close() asks workers to end on their own. From here worker 0 runs no more JavaScript,
      // but the pool only learns of it at the 'exit' event, so the first job below is still posted to it.
      const stopped = workers[0].terminate();
      const jobs = [pool.embed(img), pool.embed(img)].map((j) =>
        j.then(
          () => 'answered',
          (e: unknown) => (e as Error).message,
        ),
      );
      await stopped;
      const outcomes = await Promise.all(jobs);
      assert.deepEqual(
        [...outcomes].sort(),
        ['answered', 'inference worker exited (1)'],
        "the dead worker's job fails, the live one answers",
      );
      const again = await Promise.all(Array.from({ length: 3 }, () => pool.embed(img)));
      assert.equal(again.length, 3, 'the live worker answers every later call');
      await workers[1].terminate();
      await assert.rejects(
        pool.embed(img),
        (e: unknown) => e instanceof FaceError && e.code === 'CLOSED' && /exited/.test(e.message),
      );
    } finally {
      await pool.close();
    }
  },
);

test(
  'a worker that cannot load fails the start with its typed error, ' +
    'while the others finish loading and end on their own',
  { timeout: 300_000 },
  async () => {
    // edgeface-xs-yunet: YuNet loads from the package (native onnxruntime work) while EdgeFace's file is missing.
    // Stopping the loading workers at the first failure aborted the whole process ("terminate called after throwing …
    // Napi::Error"). (dlib128-yunet served here until YuNet shipped in the package.)
    const empty = mkdtempSync(path.join(tmpdir(), 'facenet-no-models-'));
    try {
      for (let i = 0; i < 4; i++) {
        await assert.rejects(
          PooledRecognizer.start(2, { pack: 'edgeface-xs-yunet', acceptLicense: true, models: empty }),
          (e: unknown) => e instanceof FaceError && e.code === 'MODEL_NOT_INSTALLED',
        );
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  },
);
