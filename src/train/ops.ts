/**
 * Differentiable building blocks that run on tfjs-backend-wasm.
 *
 * Wasm has no Conv2DBackpropFilter and no ReluGrad kernel, so:
 *  - conv2d carries a custom gradient: the filter gradient is itself a forward convolution (the input,
 *    transposed to [Cin, H, W, N], convolved with the output gradient, transposed to [Ho, Wo, N, Cout],
 *    dilated by the stride), and the input gradient is also a forward convolution: the output gradient (dilated by
 *    the stride and padded) with the filter flipped spatially and its in/out channels swapped. That is the maths
 *    of conv2dTranspose; wasm does have a Conv2DBackpropInput kernel, but it is ~10× slower than its Conv2D
 *    (XNNPACK), so it is kept only as the reference the tests compare against;
 *  - relu is max(x, 0), whose gradient only needs GreaterEqual/Cast/Mul.
 */
import { tf } from './backend.js';
import { tfPadding, type Padding } from '../engine/onnx-graph.js';

/** dL/dW for y = conv2d(x, W, stride, pad), computed with forward convolutions only. */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: readonly [number, number, number, number],
  stride: number,
  pad: Padding,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, cin, cout] = filterShape;
    const ph = tfPadding(x.shape[1], kh, stride, pad);
    const pw = tfPadding(x.shape[2], kw, stride, pad);
    const xp =
      ph.begin || ph.end || pw.begin || pw.end
        ? tf.pad(x, [
            [0, 0],
            [ph.begin, ph.end],
            [pw.begin, pw.end],
            [0, 0],
          ])
        : x;
    const xt = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [Cin, Hp, Wp, N]
    const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [Ho, Wo, N, Cout]
    let r = tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', stride); // [Cin, ≥kh, ≥kw, Cout]
    if (r.shape[1] !== kh || r.shape[2] !== kw) r = tf.slice(r, [0, 0, 0, 0], [cin, kh, kw, cout]);
    return tf.transpose(r, [1, 2, 0, 3]) as tf.Tensor4D; // [kh, kw, Cin, Cout]
  });
}

/** dL/dx for y = conv2d(x, W, stride, pad), as one forward convolution (== conv2dTranspose(dy, W, xShape, ...)). */
export function conv2dInputGrad(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  xShape: readonly [number, number, number, number],
  stride: number,
  pad: Padding,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, wd] = xShape;
    const [kh, kw] = w.shape;
    const [, ho, wo, cout] = dy.shape;
    let d: tf.Tensor4D = dy;
    if (stride > 1) {
      // insert stride−1 zeros between rows and columns
      const r = tf.reshape(dy, [n, ho, 1, wo, 1, cout]);
      const z = tf.pad(r, [
        [0, 0],
        [0, 0],
        [0, stride - 1],
        [0, 0],
        [0, stride - 1],
        [0, 0],
      ]);
      d = tf.slice(
        tf.reshape(z, [n, ho * stride, wo * stride, cout]),
        [0, 0, 0, 0],
        [n, (ho - 1) * stride + 1, (wo - 1) * stride + 1, cout],
      ) as tf.Tensor4D;
    }
    const ph = tfPadding(h, kh, stride, pad);
    const pw = tfPadding(wd, kw, stride, pad);
    const hd = d.shape[1];
    const wdd = d.shape[2];
    const top = kh - 1 - ph.begin;
    const left = kw - 1 - pw.begin;
    const bottom = h - hd + ph.begin;
    const right = wd - wdd + pw.begin;
    d = tf.pad(d, [
      [0, 0],
      [top, Math.max(bottom, 0)],
      [left, Math.max(right, 0)],
      [0, 0],
    ]);
    const wf = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [kh, kw, Cout, Cin]
    let dx = tf.conv2d(d, wf, 1, 'valid');
    if (dx.shape[1] !== h || dx.shape[2] !== wd)
      dx = tf.slice(dx, [0, 0, 0, 0], [n, h, wd, dx.shape[3]]) as tf.Tensor4D;
    return dx;
  });
}

/**
 * 2-D convolution (NHWC, filter HWIO, TensorFlow 'same'/'valid' padding) differentiable on wasm.
 * With `inputGrad: false` the gradient w.r.t. x is zero (for the first layer, whose input is data).
 */
export function conv2d(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  stride = 1,
  pad: Padding = 'same',
  inputGrad = true,
): tf.Tensor4D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, w4, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([x4, w4]);
    return {
      value: tf.conv2d(x4, w4, stride, pad),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dy4 = dy as tf.Tensor4D;
        const dw = conv2dFilterGrad(xs, dy4, ws.shape, stride, pad);
        const dx = inputGrad ? conv2dInputGrad(dy4, ws, xs.shape, stride, pad) : tf.zerosLike(xs);
        return [dx, dw];
      },
    };
  });
  return f(x, w) as tf.Tensor4D;
}

/** relu as max(x, 0): differentiable without ReluGrad. */
export function relu<T extends tf.Tensor>(x: T): T {
  return tf.maximum(x, 0) as T;
}

/** Row-wise L2 normalisation of [N, F]. */
export function l2Normalize(x: tf.Tensor2D, eps = 1e-10): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), 1, true), eps))) as tf.Tensor2D);
}

/** Squared L2 distances between all rows of L2-normalised [N, F] embeddings: 2 − 2·EEᵀ, clamped at 0. */
export function pairwiseSquaredDistances(e: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const sq = tf.sum(tf.square(e), 1, true); // [N,1]
    const dot = tf.matMul(e, e, false, true);
    return relu(tf.sub(tf.add(sq, tf.transpose(sq)), tf.mul(dot, 2))) as tf.Tensor2D;
  });
}

/** Per-channel sum of an NHWC (or [M, C]) tensor as a [C] vector, via a matmul with ones (fast on XNNPACK). */
export function channelSum(t: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const c = t.shape[t.shape.length - 1];
    const m = t.size / c;
    return tf.reshape(tf.matMul(tf.ones([1, m]), tf.reshape(t, [m, c])), [c]) as tf.Tensor1D;
  });
}

export interface BatchNormResult {
  readonly y: tf.Tensor4D;
  /** Batch mean and (biased) variance per channel, for the running statistics. */
  readonly mean: tf.Tensor1D;
  readonly variance: tf.Tensor1D;
}

/**
 * Training-mode batch norm followed by relu, relu(γ·(x − μ)/√(σ² + ε) + β), with a hand-written gradient whose
 * per-channel reductions are matmuls (tfjs's generic Sum/Mean gradients transpose and reduce, far slower on wasm):
 *   dβ = Σ dz,  dγ = Σ dz·x̂,  dx = γ/(σ·M) · (M·dz − dβ − x̂·dγ),  dz = dy·[y > 0].
 * The returned mean/variance are not differentiated.
 */
export function batchNormRelu(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): BatchNormResult {
  const m = x.size / x.shape[3];
  const stats: { mean?: tf.Tensor1D; variance?: tf.Tensor1D } = {};
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, gi, bi, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const mean = tf.div(channelSum(xi), m) as tf.Tensor1D;
    const xc = tf.sub(xi, mean);
    const variance = tf.div(channelSum(tf.square(xc)), m) as tf.Tensor1D;
    const rstd = tf.rsqrt(tf.add(variance, eps)) as tf.Tensor1D;
    const xhat = tf.mul(xc, rstd);
    const y = relu(tf.add(tf.mul(xhat, gi), bi));
    stats.mean = tf.keep(mean);
    stats.variance = tf.keep(variance);
    save([xhat, rstd, gi, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, g, out] = saved;
        const dz = tf.mul(dy, tf.cast(tf.greater(out, 0), 'float32'));
        const dbeta = channelSum(dz);
        const dgamma = channelSum(tf.mul(dz, xh));
        const k = tf.div(tf.mul(g, rs), m);
        const dx = tf.mul(k, tf.sub(tf.sub(tf.mul(dz, m), dbeta), tf.mul(xh, dgamma)));
        return [dx, dgamma, dbeta];
      },
    };
  });
  const y = f(x, gamma, beta) as tf.Tensor4D;
  return { y, mean: stats.mean!, variance: stats.variance! };
}
