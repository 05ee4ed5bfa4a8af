/**
 * The wasm-side gradients (custom conv gradient, relu as max, batch norm + relu) against tfjs-cpu's own kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, useBackend } from '../../src/train/backend.js';
import {
  batchNormRelu,
  channelSum,
  conv2d,
  conv2dFilterGrad,
  conv2dInputGrad,
  l2Normalize,
  pairwiseSquaredDistances,
  relu,
} from '../../src/train/ops.js';
import { Rng } from '../../src/train/rng.js';

function randn(rng: Rng, shape: number[], scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal() * scale),
    shape,
  );
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; ref: number } {
  assert.equal(a.length, b.length);
  let abs = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    abs = Math.max(abs, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  return { abs, ref };
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rel = 1e-5, abs = 1e-4): void {
  const d = maxDiff(got, want);
  assert.ok(d.ref > 0, `${what}: reference is all zeros`);
  assert.ok(d.abs <= abs || d.abs <= rel * d.ref, `${what}: max |Δ| = ${d.abs} (max |ref| = ${d.ref})`);
}

type Case = { x: number[]; k: [number, number]; cin: number; cout: number; stride: number; pad: 'same' | 'valid' };
const CASES: Case[] = [
  { x: [2, 9, 8], k: [3, 3], cin: 3, cout: 4, stride: 1, pad: 'same' },
  { x: [2, 9, 8], k: [3, 3], cin: 3, cout: 4, stride: 2, pad: 'same' },
  { x: [2, 10, 10], k: [3, 3], cin: 5, cout: 6, stride: 2, pad: 'same' },
  { x: [2, 9, 9], k: [3, 3], cin: 4, cout: 3, stride: 2, pad: 'valid' },
  { x: [1, 11, 7], k: [5, 5], cin: 2, cout: 3, stride: 3, pad: 'same' },
  { x: [3, 8, 8], k: [4, 4], cin: 3, cout: 2, stride: 2, pad: 'same' }, // even kernel: asymmetric TF padding
  { x: [2, 7, 6], k: [1, 1], cin: 6, cout: 5, stride: 1, pad: 'valid' },
  { x: [2, 12, 12], k: [3, 3], cin: 8, cout: 16, stride: 1, pad: 'valid' },
];

/** Gradients of Σ r ⊙ relu(conv(x, w)) w.r.t. x and w. */
async function convGrads(
  backend: 'cpu' | 'wasm',
  c: Case,
  seed: number,
): Promise<{ y: Float32Array; dx: Float32Array; dw: Float32Array }> {
  await useBackend(backend);
  return tf.tidy(() => {
    const rng = new Rng(seed);
    const x = randn(rng, [...c.x, c.cin]) as tf.Tensor4D;
    const w = randn(rng, [...c.k, c.cin, c.cout], 0.5) as tf.Tensor4D;
    const yShape = tf.conv2d(x, w, c.stride, c.pad).shape;
    const r = randn(rng, yShape);
    const f = (a: tf.Tensor, b: tf.Tensor) => {
      const y =
        backend === 'wasm'
          ? relu(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))
          : tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad));
      return tf.sum(tf.mul(y, r)) as tf.Scalar;
    };
    const [dx, dw] = tf.grads(f)([x, w]);
    const y = backend === 'wasm' ? conv2d(x, w, c.stride, c.pad) : tf.conv2d(x, w, c.stride, c.pad);
    return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

test('conv2d custom gradient on wasm equals tfjs-cpu (filter and input gradients, strides, paddings)', async () => {
  for (const [i, c] of CASES.entries()) {
    const ref = await convGrads('cpu', c, 100 + i);
    const got = await convGrads('wasm', c, 100 + i);
    const what = `case ${i} ${JSON.stringify(c)}`;
    close(got.y, ref.y, `${what} forward`);
    close(got.dw, ref.dw, `${what} dW`);
    close(got.dx, ref.dx, `${what} dX`);
  }
});

test('filter and input gradients match tfjs-cpu kernels directly, tolerance 1e-5 relative', async () => {
  const c: Case = { x: [4, 16, 16], k: [3, 3], cin: 8, cout: 12, stride: 2, pad: 'same' };
  const compute = async (backend: 'cpu' | 'wasm') => {
    await useBackend(backend);
    return tf.tidy(() => {
      const rng = new Rng(7);
      const x = randn(rng, [...c.x, c.cin]) as tf.Tensor4D;
      const w = randn(rng, [...c.k, c.cin, c.cout]) as tf.Tensor4D;
      const dy = randn(rng, [4, 8, 8, c.cout]) as tf.Tensor4D;
      if (backend === 'cpu')
        return [
          tf.conv2dTranspose(dy, w, x.shape, 2, 'same').dataSync(),
          tf
            .grad((ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, ww as tf.Tensor4D, 2, 'same'), dy)))(w)
            .dataSync(),
        ];
      return [
        conv2dInputGrad(dy, w, x.shape, 2, 'same').dataSync(),
        conv2dFilterGrad(x, dy, w.shape, 2, 'same').dataSync(),
      ];
    });
  };
  const [rx, rw] = await compute('cpu');
  const [gx, gw] = await compute('wasm');
  close(gx, rx, 'input gradient', 1e-5, 1e-5);
  close(gw, rw, 'filter gradient', 1e-5, 1e-5);
});

test('first-layer conv without input gradient gives zeros for x and the right filter gradient', async () => {
  await useBackend('wasm');
  const rng = new Rng(3);
  const x = randn(rng, [2, 6, 6, 3]) as tf.Tensor4D;
  const w = randn(rng, [3, 3, 3, 2]) as tf.Tensor4D;
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', false)),
  )([x, w]);
  assert.ok(dx.dataSync().every((v) => v === 0));
  const [, dw2] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', true)),
  )([x, w]);
  close(dw.dataSync(), dw2.dataSync(), 'dw');
});

test('batch norm + relu custom gradient on wasm equals autodiff of the plain formula on tfjs-cpu', async () => {
  const compute = async (backend: 'cpu' | 'wasm') => {
    await useBackend(backend);
    return tf.tidy(() => {
      const rng = new Rng(9);
      const x = tf.add(randn(rng, [3, 5, 4, 6], 2), 0.7) as tf.Tensor4D;
      const g = tf.add(randn(rng, [6], 0.3), 1) as tf.Tensor1D;
      const b = randn(rng, [6], 0.3) as tf.Tensor1D;
      const r = randn(rng, [3, 5, 4, 6]);
      const f = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
        let y: tf.Tensor;
        if (backend === 'wasm') {
          const out = batchNormRelu(xi as tf.Tensor4D, gi as tf.Tensor1D, bi as tf.Tensor1D, 1e-3);
          out.mean.dispose();
          out.variance.dispose();
          y = out.y;
        } else {
          const { mean, variance } = tf.moments(xi, [0, 1, 2]);
          y = tf.relu(tf.add(tf.mul(tf.div(tf.sub(xi, mean), tf.sqrt(tf.add(variance, 1e-3))), gi), bi));
        }
        return tf.sum(tf.mul(y, r)) as tf.Scalar;
      };
      return tf
        .grads(f)([x, g, b])
        .map((t) => t.dataSync());
    });
  };
  const ref = await compute('cpu');
  const got = await compute('wasm');
  ['dx', 'dgamma', 'dbeta'].forEach((n, i) => close(got[i], ref[i], n));
});

test('relu as max(x, 0), l2 normalisation and pairwise distances differentiate on wasm like tfjs-cpu', async () => {
  const compute = async (backend: 'cpu' | 'wasm') => {
    await useBackend(backend);
    return tf.tidy(() => {
      const rng = new Rng(4);
      const x = randn(rng, [6, 5]);
      const w = randn(rng, [5, 5]);
      const f = (xi: tf.Tensor) => {
        const h =
          backend === 'wasm'
            ? relu(tf.matMul(xi as tf.Tensor2D, w as tf.Tensor2D))
            : tf.relu(tf.matMul(xi as tf.Tensor2D, w as tf.Tensor2D));
        const D = pairwiseSquaredDistances(l2Normalize(tf.add(h, 0.1) as tf.Tensor2D));
        return tf.sum(tf.mul(D, tf.range(0, 36).reshape([6, 6]))) as tf.Scalar;
      };
      return tf.grad(f)(x).dataSync();
    });
  };
  close(await compute('wasm'), await compute('cpu'), 'dx');
});

test('channelSum equals a plain sum over N, H, W', async () => {
  await useBackend('wasm');
  const rng = new Rng(2);
  const x = randn(rng, [2, 3, 4, 5]);
  close(channelSum(x).dataSync(), tf.sum(x, [0, 1, 2]).dataSync(), 'sum');
});
