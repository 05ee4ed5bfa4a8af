import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FaceError } from '../../src/errors.js';
import { PooledRecognizer } from '../../src/workers/worker-pool.js';
import { LFW_DIR, needDataset } from '../helpers/datasets.js';

const photo = () => readFileSync(path.join(LFW_DIR, 'lfw/Aaron_Peirsol/Aaron_Peirsol_0001.jpg'));

test('close: jobs already sent finish, every worker ends on its own, later calls are CLOSED', { skip: needDataset(LFW_DIR), timeout: 120_000 }, async () => {
  const pool = await PooledRecognizer.start(2, { threads: 1 });
  const img = photo();
  const jobs = Array.from({ length: 6 }, () => pool.embed(img));
  const closed = pool.close();
  const faces = await Promise.all(jobs);
  for (const f of faces) assert.equal(f[0].embedding.length, 128, 'a job sent before close still gets its answer');
  // terminate() while onnxruntime sessions live can abort the process, so close must not need it
  assert.equal(await closed, 0, 'workers terminated instead of ending on their own');
  assert.equal(await pool.close(), 0, 'a second close is the first one');
  await assert.rejects(pool.embed(img), (e: unknown) => e instanceof FaceError && e.code === 'CLOSED');
});
