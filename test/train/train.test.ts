/**
 * Training on the johns chips: the loss goes down, a seed makes runs repeatable, a checkpoint resumes exactly,
 * and a full run (with a Ctrl-C-style stop) writes a loadable model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useBackend } from '../../src/train/backend.js';
import { loadChips, type ChipSet } from '../../src/train/data.js';
import type { SmallArch } from '../../src/train/model.js';
import { Trainer, type TrainConfig } from '../../src/train/trainer.js';
import { readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { buildConfig, runTraining } from '../../src/train/run.js';
import { readModelMeta } from '../../src/train/model-meta.js';
import { ortEngine } from '../../src/engine/ort.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';

const skip = needDataset(JOHNS_DIR);

/** A small net so the suite's training stays within seconds. */
const TINY: SmallArch = {
  arch: 'small',
  inputSize: 32,
  layers: [
    { width: 16, stride: 2 },
    { width: 32, stride: 2 },
    { width: 64, stride: 2 },
  ],
  pool: 'flatten',
  embeddingDim: 64,
};

let chipsCache: ChipSet | undefined;
async function johns(): Promise<ChipSet> {
  chipsCache ??= await loadChips(JOHNS_DIR, { size: TINY.inputSize });
  return chipsCache;
}

function config(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...buildConfig({
      data: JOHNS_DIR,
      out: '',
      archSettings: TINY,
      P: 5,
      K: 4,
      negatives: 0,
      valIdentities: 0,
      seed: 7,
      lr: 2e-3,
    }),
    ...over,
  };
}

function weights(t: Trainer): Float32Array {
  const parts = [...t.model.params.values()].map((v) => v.dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

test(
  'a short run on johns: the triplet loss goes down and positives move closer than negatives',
  { skip },
  async () => {
    await useBackend('wasm');
    const t = new Trainer(config({ epochSteps: 6, mining: 'semi-hard' }), { chips: await johns() });
    t.budget = { epochs: 5 };
    while (!t.done()) {
      t.trainStep();
      if (t.atEpochEnd()) t.endEpoch();
    }
    const first = t.records[0];
    const last = t.records[t.records.length - 1];
    assert.equal(t.records.length, 5);
    assert.ok(last.loss < 0.7 * first.loss, `loss ${first.loss} → ${last.loss}`);
    assert.ok(
      last.meanNeg - last.meanPos > first.meanNeg - first.meanPos,
      `gap ${first.meanNeg - first.meanPos} → ${last.meanNeg - last.meanPos}`,
    );
    assert.ok(last.activeFraction < first.activeFraction);
    assert.ok(first.imagesPerSec > 0 && first.tripletsPerSec > 0);
    t.dispose();
  },
);

test('the same seed gives the same run; another seed another one', { skip }, async () => {
  await useBackend('wasm');
  const chips = await johns();
  const run = (seed: number) => {
    const t = new Trainer(config({ seed, mining: 'random' }), { chips });
    t.budget = { steps: 3 };
    const losses = [0, 1, 2].map(() => t.trainStep().loss);
    const w = weights(t);
    t.dispose();
    return { losses, w };
  };
  const a = run(3);
  const b = run(3);
  const c = run(4);
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(a.w, b.w);
  assert.notDeepEqual(a.losses, c.losses);
});

test('a checkpoint resumes exactly where the run was (weights, optimizer, RNG, sampler)', { skip }, async () => {
  await useBackend('wasm');
  const chips = await johns();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-ckpt-'));
  try {
    const cfg = config({ mining: 'batch-hard' });
    const straight = new Trainer(cfg, { chips });
    straight.budget = { steps: 6 };
    const all = Array.from({ length: 6 }, () => straight.trainStep().loss);
    const a = new Trainer(cfg, { chips });
    a.budget = { steps: 6 };
    for (let i = 0; i < 4; i++) a.trainStep();
    const file = path.join(dir, 'x.ckpt');
    await writeCheckpoint(file, a.checkpoint());
    a.dispose();
    const b = new Trainer(cfg, { chips });
    b.resume(await readCheckpoint(file));
    assert.equal(b.step, 4);
    const rest = [b.trainStep().loss, b.trainStep().loss];
    assert.deepEqual(rest, all.slice(4));
    assert.deepEqual(weights(b), weights(straight));
    b.dispose();
    straight.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'runTraining: stop request saves a checkpoint and a loadable model; --resume continues to the budget',
  { skip },
  async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'facenet-train-'));
    try {
      const signal = { stop: false };
      const opts = {
        data: JOHNS_DIR,
        out,
        archSettings: TINY,
        P: 3,
        K: 3,
        negatives: 0,
        valIdentities: 2,
        epochSteps: 2,
        seed: 2,
        budget: { steps: 6 },
      };
      const first = await runTraining({ ...opts, signal, onStep: (t) => (signal.stop = t.step >= 3) });
      assert.equal(first.stopped, true);
      assert.equal(first.steps, 3);
      for (const f of ['model.onnx', 'settings.json', 'curves.json', 'curves.svg', 'checkpoints/last.ckpt'])
        assert.ok(existsSync(path.join(out, f)), f);
      const meta = await readModelMeta(path.join(out, 'model.onnx'));
      assert.equal(meta.inputSize, 32);
      assert.equal(meta.arch, 'small');
      assert.equal((meta.settings as { mining: string }).mining, 'semi-hard');
      const session = await ortEngine.load(path.join(out, 'model.onnx'), { threads: 1 });
      const res = await session.run({
        chips: { data: new Float32Array(2 * 3 * 32 * 32).fill(100), dims: [2, 3, 32, 32] },
      });
      assert.deepEqual([...res.embedding.dims], [2, 64]);
      await session.close();
      const second = await runTraining({ ...opts, resume: true });
      assert.equal(second.stopped, false);
      assert.equal(second.steps, 6);
      assert.ok(second.final?.valAccuracy !== undefined);
      assert.equal(second.valIdentities, 2);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);

test(
  'a warm-up mines semi-hard first: its steps equal a semi-hard run, then batch-hard takes over',
  { skip },
  async () => {
    await useBackend('wasm');
    const chips = await johns();
    const run = (over: Partial<TrainConfig>) => {
      const t = new Trainer(config({ seed: 5, ...over }), { chips });
      t.budget = { steps: 3 };
      const modes = [0, 1, 2].map((s) => t.miningAt(s));
      const losses = [0, 1, 2].map(() => t.trainStep().loss);
      t.dispose();
      return { modes, losses };
    };
    const warm = run({ mining: 'batch-hard', warmupSteps: 2 });
    const semi = run({ mining: 'semi-hard' });
    const hard = run({ mining: 'batch-hard' });
    assert.deepEqual(warm.modes, ['semi-hard', 'semi-hard', 'batch-hard']);
    assert.deepEqual(warm.losses.slice(0, 2), semi.losses.slice(0, 2), 'warm-up steps are semi-hard steps');
    assert.notDeepEqual(warm.losses[0], hard.losses[0], 'and differ from batch-hard ones');
  },
);
