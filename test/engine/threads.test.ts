/**
 * The default intra-op threading (src/engine/engine.ts defaultThreads): one thread per core for a model run on its
 * own, the cores shared out among parallel workers, and onnxruntime really starting that many threads — where its
 * own default (0) starts none on a 2-core VM (docs/results.md, "Threading").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { existsSync, readdirSync } from 'node:fs';
import { defaultThreads } from '../../src/engine/engine.js';
import { ortEngine } from '../../src/engine/ort.js';
import { needModel, YUNET_MODEL } from '../helpers/datasets.js';

test('defaultThreads: the usable cores, shared out among parallel workers, at least one', () => {
  const cores = os.availableParallelism();
  assert.equal(defaultThreads(), cores);
  assert.equal(defaultThreads(1), cores);
  assert.equal(defaultThreads(2), Math.max(1, Math.floor(cores / 2)));
  assert.equal(defaultThreads(cores), 1);
  assert.equal(defaultThreads(cores * 4), 1);
  assert.equal(defaultThreads(0), cores);
});

const threadCount = () => readdirSync('/proc/self/task').length;

test('a session loaded without a thread count starts defaultThreads() − 1 intra-op threads (the caller is the last)', { skip: !existsSync('/proc/self/task') ? 'needs /proc/self/task (Linux)' : needModel(YUNET_MODEL) }, async () => {
  // onnxruntime starts its own process-wide threads with the first session: load one before counting
  const first = await ortEngine.load(YUNET_MODEL, { threads: 1 });
  const sessions = [first];
  try {
    const count = async (threads?: number) => {
      const before = threadCount();
      sessions.push(await ortEngine.load(YUNET_MODEL, threads === undefined ? {} : { threads }));
      return threadCount() - before;
    };
    assert.equal(await count(1), 0);
    assert.equal(await count(2), 1);
    assert.equal(await count(), defaultThreads() - 1);
  } finally {
    for (const s of sessions) await s.release();
  }
});
