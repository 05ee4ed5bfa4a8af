/**
 * `facenet train --arch head --pack P`: a projection head on a pack's frozen embeddings (512 → 128 for EdgeFace).
 * On synthetic 512-D identity clusters: the head gives 128-D unit vectors, triplet training lowers the loss and
 * separates identities, and the exported ONNX graph (input `features`, the raw embedding) gives the tfjs head's
 * output to 1e-4, is routed as a projection and records its pack and dimensions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../src/train/backend.js';
import { defaultArch, isProjectionHead } from '../../src/train/model.js';
import { Trainer } from '../../src/train/trainer.js';
import { buildConfig } from '../../src/train/run.js';
import { Rng } from '../../src/train/rng.js';
import { ortEngine } from '../../src/engine/ort.js';
import { routeModel } from '../../src/pack/router.js';
import { readModelMeta } from '../../src/train/model-meta.js';
import { headSource, peopleOfPairs } from '../../src/train/pack-features.js';
import { resolvePack } from '../../src/pack/router.js';
import type { ChipSet } from '../../src/train/data.js';
import { LFW_DIR, needDataset } from '../helpers/datasets.js';
import path from 'node:path';

const D = 512;

/**
 * `ids` identities × `per` images: identity lives in the first 16 dimensions (a random unit centre there), nuisance
 * noise in all 512, stronger than the identity signal: a random projection keeps that noise, a trained one learns to
 * drop it, also for identities it never saw. The flipped view is another noisy draw.
 */
function syntheticSet(
  ids: number,
  per: number,
  seed: number,
): { chips: ChipSet; features: { orig: Float32Array; flipped: Float32Array } } {
  const rng = new Rng(seed);
  const n = ids * per;
  const orig = new Float32Array(n * D);
  const flipped = new Float32Array(n * D);
  const labels = new Int32Array(n);
  const unit = (v: Float32Array) => {
    const s = Math.hypot(...v);
    return v.map((x) => x / s);
  };
  for (let i = 0; i < ids; i++) {
    const centre = unit(Float32Array.from({ length: D }, (_, d) => (d < 16 ? rng.normal() : 0)));
    for (let k = 0; k < per; k++) {
      const j = i * per + k;
      labels[j] = i;
      for (const out of [orig, flipped]) out.set(unit(centre.map((c) => c + 0.08 * rng.normal())), j * D);
    }
  }
  const files = Array.from({ length: n }, (_, j) => `p${labels[j]}/${j}.jpg`);
  return {
    chips: {
      size: 112,
      identities: Array.from({ length: ids }, (_, i) => `p${i}`),
      files,
      labels,
      pixels: new Uint8Array(0),
      missing: [],
    },
    features: { orig, flipped },
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const source = { pack: 'edgeface-xs', chipSize: 112, dim: D };

test('a pack head reads the pack: EdgeFace-XS gives 112 px chips, 512-D features; default: linear 512 → 128', () => {
  assert.deepEqual(headSource(resolvePack('edgeface-xs')), source);
  const a = defaultArch('head', undefined, source);
  assert.ok(isProjectionHead(a));
  assert.deepEqual(a, {
    arch: 'head',
    inputSize: 112,
    hidden: 0,
    embeddingDim: 128,
    pack: 'edgeface-xs',
    inputDim: 512,
  });
  // without a pack, --arch head stays the residual head on the built-in 128-D net
  assert.equal(isProjectionHead(defaultArch('head')), false);
});

for (const hidden of [0, 64]) {
  test(`projection head (hidden ${hidden}): 128-D unit embeddings, loss falls, ONNX equals tfjs (≤ 1e-4)`, async () => {
    await useBackend('wasm');
    const data = syntheticSet(40, 4, 3);
    const config = buildConfig({
      data: '',
      out: '',
      arch: 'head',
      archSettings: defaultArch('head', undefined, source, { hidden }),
      lr: 1e-2,
      margin: 1,
      P: 8,
      K: 4,
      negatives: 0,
      seed: 4,
      valIdentities: 8,
    });
    const trainer = new Trainer(config, data);
    try {
      const before = trainer.validate()!.accuracy;
      trainer.budget = { steps: 60 };
      const losses: number[] = [];
      while (!trainer.done()) losses.push(trainer.trainStep().loss);
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      const first = mean(losses.slice(0, 5));
      const last = mean(losses.slice(-5));
      assert.ok(first > 0, 'the random projection starts with active triplets');
      assert.ok(last < 0.5 * first, `loss ${first.toFixed(4)} → ${last.toFixed(4)}`);
      const v = trainer.validate();
      assert.ok(
        v && v.accuracy > 0.85 && v.accuracy >= before,
        `validation accuracy (unseen identities) ${before} → ${v?.accuracy}`,
      );

      const idx = [0, 1, 5, 9, 17];
      const want = trainer.embed(idx);
      assert.equal(want.length, idx.length * 128);
      for (let i = 0; i < idx.length; i++)
        assert.ok(Math.abs(Math.hypot(...want.subarray(i * 128, (i + 1) * 128)) - 1) < 1e-5);

      const bytes = trainer.exportOnnx(undefined, {}, {});
      assert.equal(routeModel(bytes).role, 'projection');
      const meta = await readModelMeta(bytes);
      assert.equal(meta.props['facenet.pack'], 'edgeface-xs');
      assert.equal(meta.props['facenet.input_dim'], '512');
      assert.equal(meta.embeddingDim, 128);
      // the graph normalises its input: feed unnormalised (scaled) raw embeddings, as the pack's network gives them
      const raw = new Float32Array(idx.length * D);
      idx.forEach((j, k) =>
        raw.set(
          data.features.orig.subarray(j * D, (j + 1) * D).map((x) => x * (3 + k)),
          k * D,
        ),
      );
      const session = await ortEngine.load(bytes, { threads: 1 });
      const out = await session.run({ features: { data: raw, dims: [idx.length, D] } });
      await session.close();
      assert.deepEqual([...out.embedding.dims], [idx.length, 128]);
      const d = maxAbsDiff(out.embedding.data, want);
      assert.ok(d <= 1e-4, `max |ONNX − tfjs| = ${d}`);
    } finally {
      trainer.dispose();
    }
  });
}

test('--exclude-pairs: every person on either side of a pairs file', { skip: needDataset(LFW_DIR) }, () => {
  const people = peopleOfPairs([path.join(LFW_DIR, 'pairsDevTest.txt')]);
  // 500 genuine pairs name one person each, 500 impostor pairs two: at most 1,500, and pairs repeat people
  assert.ok(people.size > 500 && people.size <= 1500, `${people.size} people`);
  assert.ok(
    people.has('AJ_Lamas') && people.has('Zach_Safrin') && people.has('Abdullah_Gul'),
    'both sides of the first impostor pair, and the first genuine pair',
  );
});
