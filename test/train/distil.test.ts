/**
 * `facenet train --arch head --pack P --loss distil`: a projection head that keeps the pack's similarities.
 * On synthetic embeddings shaped like EdgeFace-XS's (512-D vectors in a lower-rank subspace with a spread-out
 * spectrum, grouped by identity): the PCA start finds the subspace, distillation from a random projection brings the
 * head's similarities much closer to the teacher's on people it never saw, and distillation from the PCA start
 * keeps that start's quality. Bad settings are typed errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../src/train/backend.js';
import { defaultArch } from '../../src/train/model.js';
import { Trainer } from '../../src/train/trainer.js';
import { buildConfig } from '../../src/train/run.js';
import { Rng } from '../../src/train/rng.js';
import { pcaProjection, similarityError } from '../../src/train/distil.js';
import { FaceError } from '../../src/errors.js';
import type { ChipSet } from '../../src/train/data.js';

const D = 512;
const RANK = 48;
const OUT = 16;
const source = { pack: 'edgeface-xs', chipSize: 112, dim: D };

/**
 * `ids` identities × `per` images in a random RANK-dimensional subspace of R^512: coordinate k of that subspace has
 * spread 1/√(1 + k/8) (a slowly falling spectrum, as EdgeFace's), identity centres plus per-image noise; the mirror
 * view is another noisy draw of the same centre.
 */
interface LowRankSet {
  readonly chips: ChipSet;
  readonly features: { readonly orig: Float32Array; readonly flipped: Float32Array };
  /** RANK orthonormal rows of length D. */
  readonly basis: Float32Array;
}

function lowRankSet(ids: number, per: number, seed: number): LowRankSet {
  const rng = new Rng(seed);
  const basis = new Float32Array(RANK * D); // rows: orthonormal after Gram–Schmidt
  for (let r = 0; r < RANK; r++) {
    const v = Float64Array.from({ length: D }, () => rng.normal());
    for (let q = 0; q < r; q++) {
      let dot = 0;
      for (let i = 0; i < D; i++) dot += v[i] * basis[q * D + i];
      for (let i = 0; i < D; i++) v[i] -= dot * basis[q * D + i];
    }
    const s = Math.hypot(...v);
    for (let i = 0; i < D; i++) basis[r * D + i] = v[i] / s;
  }
  const scale = Array.from({ length: RANK }, (_, k) => 1 / Math.sqrt(1 + k / 8));
  const n = ids * per;
  const orig = new Float32Array(n * D);
  const flipped = new Float32Array(n * D);
  const labels = new Int32Array(n);
  const embed = (coords: number[], out: Float32Array, at: number) => {
    for (let r = 0; r < RANK; r++) for (let i = 0; i < D; i++) out[at + i] += coords[r] * basis[r * D + i];
  };
  for (let p = 0; p < ids; p++) {
    const centre = scale.map((s) => s * rng.normal());
    for (let k = 0; k < per; k++) {
      const j = p * per + k;
      labels[j] = p;
      for (const out of [orig, flipped])
        embed(
          centre.map((c, r) => c + 0.6 * scale[r] * rng.normal()),
          out,
          j * D,
        );
    }
  }
  const chips: ChipSet = {
    size: 112,
    identities: Array.from({ length: ids }, (_, i) => `p${i}`),
    files: Array.from({ length: n }, (_, j) => `p${labels[j]}/${j}.jpg`),
    labels,
    pixels: new Uint8Array(0),
    missing: [],
  };
  return { chips, basis, features: { orig, flipped } };
}

function trainerFor(data: LowRankSet, pcaInit: boolean, lr: number): Trainer {
  const config = buildConfig({
    data: '',
    out: '',
    arch: 'head',
    archSettings: defaultArch('head', undefined, source, { embeddingDim: OUT }),
    loss: 'distil',
    batch: 64,
    pcaInit,
    lr,
    seed: 5,
    valIdentities: 10,
  });
  return new Trainer(config, { chips: data.chips, features: data.features });
}

/** RMS gap between the head's and the pack's cosine similarities over the validation people's images. */
function heldOutError(t: Trainer): number {
  const { features } = t.inputs;
  const idx = t.valPairs.flatMap((p) => [p.i, p.j]).filter((v, k, a) => a.indexOf(v) === k);
  const teacher = new Float32Array(idx.length * D);
  idx.forEach((i, k) => teacher.set(features!.orig.subarray(i * D, (i + 1) * D), k * D));
  return similarityError(t.embed(idx), teacher, OUT, D);
}

test('pcaProjection: the top directions of a low-rank set, the energy they keep, no bias', async () => {
  await useBackend('wasm');
  const data = lowRankSet(30, 4, 1);
  const { orig } = data.features;
  const pca = pcaProjection(orig, D, RANK);
  assert.deepEqual(pca.w.shape, [D, RANK]);
  // RANK directions hold all of a rank-RANK set's variance, and lie in its subspace
  assert.ok(pca.kept > 0.999, `kept ${pca.kept}`);
  for (let j = 0; j < RANK; j += 7) {
    let inside = 0;
    for (let r = 0; r < RANK; r++) {
      let dot = 0;
      for (let i = 0; i < D; i++) dot += pca.w.data[i * RANK + j] * data.basis[r * D + i];
      inside += dot * dot;
    }
    assert.ok(Math.abs(inside - 1) < 1e-3, `direction ${j}: ${inside} of its length inside the subspace`);
  }
  assert.ok(pca.b.data.every((v) => v === 0));
  const fewer = pcaProjection(orig, D, OUT);
  assert.ok(fewer.kept > 0.4 && fewer.kept < 0.9, `16 of 48 falling directions keep ${fewer.kept}`);
  assert.throws(() => pcaProjection(orig, D, D + 1), FaceError);
});

test('distillation from a random projection: similarities closer to the pack’s on unseen people', async () => {
  await useBackend('wasm');
  const data = lowRankSet(60, 4, 2);
  const t = trainerFor(data, false, 1e-2);
  try {
    const before = heldOutError(t);
    t.budget = { steps: 150 };
    const losses: number[] = [];
    while (!t.done()) losses.push(t.trainStep().loss);
    const after = heldOutError(t);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(mean(losses.slice(-10)) < 0.5 * mean(losses.slice(0, 10)), `loss ${losses[0]} → ${losses.at(-1)}`);
    assert.ok(after < 0.7 * before, `held-out similarity RMS error ${before.toFixed(4)} → ${after.toFixed(4)}`);
    // the PCA start (the best linear map for dot products before normalisation) is better than the random one, and
    // distillation from it does not undo that
    const p = trainerFor(data, true, 1e-3);
    try {
      const kept = p.initPca();
      assert.ok(kept > 0.3 && kept < 1, `kept ${kept}`);
      const pcaError = heldOutError(p);
      assert.ok(pcaError < 0.85 * before, `PCA start ${pcaError.toFixed(4)} against random ${before.toFixed(4)}`);
      p.budget = { steps: 60 };
      while (!p.done()) p.trainStep();
      const tuned = heldOutError(p);
      assert.ok(tuned <= pcaError, `PCA ${pcaError.toFixed(4)} → distilled ${tuned.toFixed(4)}`);
    } finally {
      p.dispose();
    }
  } finally {
    t.dispose();
  }
});

test('distillation settings: only for a pack head, a PCA start only for a linear one (typed errors)', () => {
  const expectInvalid = (fn: () => unknown) =>
    assert.throws(fn, (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT');
  expectInvalid(() => buildConfig({ data: '', out: '', arch: 'small', loss: 'distil' }));
  expectInvalid(() =>
    buildConfig({
      data: '',
      out: '',
      arch: 'head',
      archSettings: defaultArch('head', undefined, source, { hidden: 32 }),
      loss: 'distil',
      pcaInit: true,
    }),
  );
  expectInvalid(() => buildConfig({ data: '', out: '', arch: 'head', pcaInit: true }));
  const linear = buildConfig({
    data: '',
    out: '',
    arch: 'head',
    archSettings: defaultArch('head', undefined, source),
    loss: 'distil',
  });
  assert.equal(linear.loss, 'distil');
  assert.equal(linear.pcaInit, true);
  assert.equal(linear.lr, 1e-3);
  // a triplet run's settings (and checkpoints) are as before: no loss field
  assert.equal(buildConfig({ data: '', out: '', arch: 'small' }).loss, undefined);
});
