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
import path from 'node:path';
import { FaceRecognizer } from '../../src/recognizer.js';
import { stageThreads } from '../../src/pack/router.js';
import { MODELS_DIR, needModel, YUNET_MODEL } from '../helpers/datasets.js';

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

test(
  'a session loaded without a thread count starts defaultThreads() − 1 intra-op threads (the caller is the last)',
  { skip: !existsSync('/proc/self/task') ? 'needs /proc/self/task (Linux)' : needModel(YUNET_MODEL) },
  async () => {
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
      for (const s of sessions) await s.close();
    }
  },
);

test("stageThreads: caller's count, else pack hint capped at the share (default defaultThreads()), else share", () => {
  assert.equal(stageThreads(3, 1), 3);
  assert.equal(stageThreads(0, 1), 0);
  assert.equal(stageThreads(3, 1, 2), 3, 'an explicit count wins over a pool share');
  assert.equal(stageThreads(undefined, 1), 1);
  assert.equal(stageThreads(undefined, 1000), defaultThreads());
  assert.equal(stageThreads(undefined, undefined), undefined, 'no hint, no share: the engine default');
  // a server pool's share (e.g. 4 of 8 cores per worker): networks without a hint take it, a hint of 1 stays 1
  assert.equal(stageThreads(undefined, undefined, 4), 4);
  assert.equal(stageThreads(undefined, 1, 4), 1);
  assert.equal(stageThreads(undefined, 8, 4), 4);
});

test(
  'edgeface-xs-yunet loads YuNet and EdgeFace on one thread each (their measured hint) unless threads are asked for',
  {
    skip: !existsSync('/proc/self/task')
      ? 'needs /proc/self/task (Linux)'
      : needModel(YUNET_MODEL) || needModel(path.join(MODELS_DIR, 'edgeface/edgeface_xs_q_fp32.onnx')),
  },
  async () => {
    // onnxruntime's process-wide threads, before counting
    const warm = await ortEngine.load(YUNET_MODEL, { threads: 1 });
    try {
      const extraThreads = async (threads?: number) => {
        const before = threadCount();
        const fr = await FaceRecognizer.load({
          pack: 'edgeface-xs-yunet',
          models: MODELS_DIR,
          acceptLicense: true,
          ...(threads === undefined ? {} : { threads }),
        });
        const added = threadCount() - before;
        await fr.close();
        return added;
      };
      assert.equal(await extraThreads(), 0, 'one intra-op thread per model: no extra threads');
      assert.equal(await extraThreads(2), 2, 'asked for 2: one extra thread for each of the two models');
    } finally {
      await warm.close();
    }
  },
);
