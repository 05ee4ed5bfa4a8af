/**
 * Exported ONNX models (through GraphBuilder, batch norm folded) give the tfjs model's embeddings on the same
 * input, run on onnxruntime; and record what the recognizer needs in their metadata.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { tf, useBackend } from '../../src/train/backend.js';
import { EmbeddingModel, defaultArch, type SmallArch } from '../../src/train/model.js';
import { readModelMeta } from '../../src/train/model-meta.js';
import { Rng } from '../../src/train/rng.js';
import { ortEngine } from '../../src/engine/ort.js';
import { decodeImage } from '../../src/image/decode.js';
import { toNchw } from '../../src/image/transform.js';
import { recognitionWeights, pretrainedFeatures } from '../../src/train/run.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';

/** Randomise every parameter and the batch-norm statistics so folding is actually exercised. */
function scramble(model: EmbeddingModel, seed: number): void {
  const rng = new Rng(seed);
  for (const [name, v] of model.params) {
    const d = Float32Array.from(
      { length: v.size },
      () => rng.normal() * (name.includes('gamma') ? 0.3 : 0.2) + (name.includes('gamma') ? 1 : 0),
    );
    const t = tf.tensor(d, v.shape);
    v.assign(t);
    t.dispose();
  }
  for (const [name, s] of model.state)
    for (let i = 0; i < s.length; i++) s[i] = name.endsWith('/var') ? 0.5 + rng.next() * 2 : rng.normal() * 0.5;
}

/** NHWC 0..255 batch → NCHW for ONNX. */
function nhwcToNchw(x: Float32Array, n: number, s: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < s; y++)
      for (let xx = 0; xx < s; xx++)
        for (let c = 0; c < 3; c++) out[((b * 3 + c) * s + y) * s + xx] = x[((b * s + y) * s + xx) * 3 + c];
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const arch of [
  defaultArch('small', 64) as SmallArch,
  {
    arch: 'small',
    inputSize: 40,
    layers: [
      { width: 8, stride: 1 },
      { width: 12, stride: 2 },
      { width: 16, stride: 2 },
    ],
    pool: 'gap',
    embeddingDim: 32,
  } as SmallArch,
  {
    arch: 'small',
    inputSize: 45,
    layers: [
      { width: 8, stride: 2 },
      { width: 16, stride: 2 },
    ],
    pool: 'flatten',
    embeddingDim: 16,
  } as SmallArch,
]) {
  test(`small arch ${arch.inputSize}px ${arch.pool}: ONNX output equals the tfjs model (≤ 1e-4)`, async () => {
    await useBackend('wasm');
    const model = new EmbeddingModel(arch, 5);
    scramble(model, 6);
    const n = 5;
    const S = arch.inputSize;
    const rng = new Rng(8);
    const x = Float32Array.from({ length: n * S * S * 3 }, () => Math.round(rng.next() * 255));
    const want = model.embed(x, n);
    const bytes = model.toGraph({ 'facenet.input_size': String(S), 'facenet.arch': 'small' }).toBytes();
    const session = await ortEngine.load(bytes, { threads: 1 });
    const res = await session.run({ chips: { data: nhwcToNchw(x, n, S), dims: [n, 3, S, S] } });
    await session.close();
    assert.deepEqual([...res.embedding.dims], [n, arch.embeddingDim]);
    const d = maxAbsDiff(res.embedding.data, want);
    assert.ok(d <= 1e-4, `max |ONNX − tfjs| = ${d}`);
    // not trivially equal: embeddings differ between inputs and are unit length
    assert.ok(
      maxAbsDiff(want.subarray(0, arch.embeddingDim), want.subarray(arch.embeddingDim, 2 * arch.embeddingDim)) > 1e-2,
    );
    let norm = 0;
    for (let k = 0; k < arch.embeddingDim; k++) norm += res.embedding.data[k] ** 2;
    assert.ok(Math.abs(norm - 1) < 1e-4);
    model.dispose();
  });
}

test(
  'head arch: ONNX (pretrained net + head) equals the tfjs head on the pretrained embeddings (≤ 1e-4)',
  { skip: needDataset(JOHNS_DIR) },
  async () => {
    await useBackend('wasm');
    const people = readdirSync(JOHNS_DIR)
      .filter((d) => !d.includes('.'))
      .sort()
      .slice(0, 2);
    const files = people.flatMap((p) =>
      readdirSync(path.join(JOHNS_DIR, p))
        .filter((f) => f.endsWith('.jpg'))
        .sort()
        .slice(0, 2)
        .map((f) => path.join(JOHNS_DIR, p, f)),
    );
    const chips = await Promise.all(files.map((f) => decodeImage(f)));
    const pixels = new Uint8Array(chips.length * 150 * 150 * 3);
    chips.forEach((c, i) => pixels.set(c.data, i * c.data.length));
    const feats = await pretrainedFeatures({
      size: 150,
      identities: people,
      files,
      labels: Int32Array.from([0, 0, 1, 1]),
      pixels,
      missing: [],
    });
    const model = new EmbeddingModel(defaultArch('head'), 3);
    scramble(model, 4);
    const want = model.embed(feats.orig, chips.length);
    const bytes = model
      .toGraph({ 'facenet.input_size': '150', 'facenet.arch': 'head' }, await recognitionWeights())
      .toBytes();
    const session = await ortEngine.load(bytes, { threads: 1 });
    const res = await session.run({ chips: toNchw(chips) });
    await session.close();
    const d = maxAbsDiff(res.embedding.data, want);
    assert.ok(d <= 1e-4, `max |ONNX − tfjs| = ${d}`);
    // the untrained head (W₂ = 0) is exactly the pretrained embedding
    const fresh = new EmbeddingModel(defaultArch('head'), 3);
    assert.ok(maxAbsDiff(fresh.embed(feats.orig, chips.length), feats.orig) < 1e-6);
    model.dispose();
    fresh.dispose();
  },
);

test('readModelMeta reads input size, arch, normalisation and settings', async () => {
  await useBackend('wasm');
  const arch = {
    arch: 'small',
    inputSize: 32,
    layers: [{ width: 4, stride: 2 }],
    pool: 'gap',
    embeddingDim: 8,
  } as SmallArch;
  const model = new EmbeddingModel(arch, 1);
  const bytes = model
    .toGraph({
      'facenet.input_size': '32',
      'facenet.arch': 'small',
      'facenet.settings': JSON.stringify({ mining: 'semi-hard', seed: 4 }),
      'facenet.mean': '[127.5,127.5,127.5]',
      'facenet.std': '[128,128,128]',
    })
    .toBytes();
  const meta = await readModelMeta(bytes);
  assert.equal(meta.inputSize, 32);
  assert.equal(meta.arch, 'small');
  assert.deepEqual(meta.settings, { mining: 'semi-hard', seed: 4 });
  assert.deepEqual(meta.mean, [127.5, 127.5, 127.5]);
  assert.equal(meta.inputName, 'chips');
  assert.equal(meta.outputName, 'embedding');
  // without metadata the input size comes from the graph's declared input
  const bare = await readModelMeta(model.toGraph({}).toBytes());
  assert.equal(bare.inputSize, 32);
  assert.equal(bare.arch, undefined);
  await assert.rejects(
    readModelMeta(new Uint8Array([1, 2, 3, 4, 5])),
    (e: Error & { code?: string }) => e.code === 'MODEL_LOAD_FAILED',
  );
  model.dispose();
});
