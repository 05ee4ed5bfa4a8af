/**
 * The SSD-MobileNet v1 face detector (as shipped by face-api) as an ONNX graph.
 *
 * Input `image`: [N, 3, 512, 512] RGB in 0..255 — the source image already padded to a square at the
 * bottom/right and resized to 512×512 (see ssd-decode.ts `toSsdInput`). The graph applies face-api's
 * preprocessing (x / 127.5 − 1) itself. Smaller inputs (SSD_INPUT_SIZES, for photos detected at their own size)
 * get a graph of their own, with fewer anchors (ssdNumAnchors; ssd-decode.ts `anchorsForSize`).
 *
 * Outputs (raw, before anchor decoding, in face-api's order: feature map by feature map, row-major over
 * H×W, then the anchors of each cell), at 512:
 * - `box_encodings` [N, 5118, 4]: (ty, tx, th, tw) per anchor, as face-api's boxPredictionLayer yields them;
 * - `class_logits`  [N, 5118, 3]: background / face / (unused) logits; face-api's score is sigmoid(logit[1]).
 *
 * The anchors themselves (`Output/extra_dim`) are decoded in TypeScript (ssd-decode.ts).
 */
import { GraphBuilder, type Value } from '../engine/onnx-graph.js';
import type { WeightMap } from '../engine/tfjs-weights.js';
import type { ModelRecipe } from '../engine/model-store.js';
import { invariant } from '../errors.js';

export const SSD_INPUT_SIZE = 512;
export const SSD_NUM_ANCHORS = 5118;
/** Anchors per cell of each of the six feature maps (face-api's order). */
export const SSD_ANCHORS_PER_CELL = [3, 6, 6, 6, 6, 6] as const;
/** Input sides the detector can run at: multiples of 64 up to the network's native 512. */
export const SSD_INPUT_SIZES = [128, 192, 256, 320, 384, 448, 512] as const;

/** Side of each of the six feature maps for an input of `size` (strides 16, 32, 64, 128, 256, 512; TF 'same'). */
export function ssdFeatureMapSizes(size: number): number[] {
  const out = [Math.ceil(size / 16), Math.ceil(size / 32)];
  while (out.length < 6) out.push(Math.ceil(out[out.length - 1] / 2));
  return out;
}

/** Number of anchors for an input of `size` (5118 at 512). */
export function ssdNumAnchors(size: number): number {
  return ssdFeatureMapSizes(size).reduce((n, f, i) => n + f * f * SSD_ANCHORS_PER_CELL[i], 0);
}
/** face-api's (TF's) batch-norm epsilon, as a float32. */
const BN_EPSILON = 0.0010000000474974513;

type Shape4 = [number, number, number, number];

/** face-api pointwiseConvLayer: conv 'same' + batch_norm_offset → relu6. */
function pointwise(g: GraphBuilder, w: WeightMap, x: Value, prefix: string, stride: number): Value {
  const filt = w.get(`${prefix}/weights`);
  const offset = w.get(`${prefix}/convolution_bn_offset`).data;
  const out = g.conv(x, {
    filterHWIO: filt.data,
    filterShape: filt.shape as Shape4,
    bias: offset,
    stride,
    padding: 'same',
  });
  return g.clip(out, 0, 6);
}

/**
 * face-api depthwiseConvLayer: depthwise conv 'same' → batchNorm(mean, variance, offset, scale, ε) → relu6.
 * batchNorm(x) = (x − mean)·scale/√(var + ε) + offset is affine per channel, so it folds into the filter
 * (w·s) and a bias (offset − mean·s) with s = scale/√(var + ε).
 */
function depthwise(g: GraphBuilder, w: WeightMap, x: Value, idx: number, stride: number): Value {
  const prefix = `MobilenetV1/Conv2d_${idx}_depthwise`;
  const filt = w.get(`${prefix}/depthwise_weights`);
  const gamma = w.get(`${prefix}/BatchNorm/gamma`).data;
  const beta = w.get(`${prefix}/BatchNorm/beta`).data;
  const mean = w.get(`${prefix}/BatchNorm/moving_mean`).data;
  const variance = w.get(`${prefix}/BatchNorm/moving_variance`).data;
  const c = gamma.length;
  const s = new Float64Array(c);
  for (let i = 0; i < c; i++) s[i] = gamma[i] / Math.sqrt(variance[i] + BN_EPSILON);
  const folded = new Float32Array(filt.data.length);
  for (let i = 0; i < folded.length; i++) folded[i] = filt.data[i] * s[i % c]; // layout [kh, kw, c, 1]
  const bias = new Float32Array(c);
  for (let i = 0; i < c; i++) bias[i] = beta[i] - mean[i] * s[i];
  const out = g.depthwiseConv(x, {
    filterHWC1: folded,
    filterShape: filt.shape as Shape4,
    bias,
    stride,
    padding: 'same',
  });
  return g.clip(out, 0, 6);
}

/** face-api boxPredictionLayer: two 1×1 convs with bias, NHWC-flattened to [N, H·W·A, 4] and [N, H·W·A, 3]. */
function boxPredictor(g: GraphBuilder, w: WeightMap, x: Value, idx: number): { enc: Value; cls: Value } {
  const head = (name: string, per: number): Value => {
    const filt = w.get(`Prediction/BoxPredictor_${idx}/${name}/weights`);
    const bias = w.get(`Prediction/BoxPredictor_${idx}/${name}/biases`).data;
    const y = g.conv(x, { filterHWIO: filt.data, filterShape: filt.shape as Shape4, bias, stride: 1, padding: 'same' });
    const [, ch, h, wd] = y.dims;
    const nhwc = g.transpose(y, [0, 2, 3, 1]);
    return g.reshape(nhwc, [-1, (h * wd * ch) / per, per]);
  };
  return { enc: head('BoxEncodingPredictor', 4), cls: head('ClassPredictor', 3) };
}

export function buildSsdGraph(w: WeightMap, size: number = SSD_INPUT_SIZE): GraphBuilder {
  const g = new GraphBuilder('ssd_mobilenetv1', {
    input: `image NCHW RGB 0..255 ${size}x${size} (padded to square bottom/right, bilinear-resized)`,
    outputs: `box_encodings [N,${ssdNumAnchors(size)},4] (ty,tx,th,tw); class_logits [N,${ssdNumAnchors(size)},3]`,
  });
  const input = g.input('image', [-1, 3, size, size]);
  // face-api: tf.sub(tf.div(x, 127.5), 1)
  let x = g.sub(g.div(input, g.scalar(127.5)), g.scalar(1));

  // MobileNet v1 backbone
  x = pointwise(g, w, x, 'MobilenetV1/Conv2d_0_pointwise', 2);
  let conv11: Value | undefined;
  for (let idx = 1; idx <= 13; idx++) {
    const stride = [2, 4, 6, 12].includes(idx) ? 2 : 1;
    x = depthwise(g, w, x, idx, stride);
    x = pointwise(g, w, x, `MobilenetV1/Conv2d_${idx}_pointwise`, 1);
    if (idx === 11) conv11 = x;
  }
  invariant(conv11, 'ssd graph: conv 11 missing');

  // Extra feature layers
  const c0 = pointwise(g, w, x, 'Prediction/Conv2d_0_pointwise', 1);
  const c1 = pointwise(g, w, c0, 'Prediction/Conv2d_1_pointwise', 2);
  const c2 = pointwise(g, w, c1, 'Prediction/Conv2d_2_pointwise', 1);
  const c3 = pointwise(g, w, c2, 'Prediction/Conv2d_3_pointwise', 2);
  const c4 = pointwise(g, w, c3, 'Prediction/Conv2d_4_pointwise', 1);
  const c5 = pointwise(g, w, c4, 'Prediction/Conv2d_5_pointwise', 2);
  const c6 = pointwise(g, w, c5, 'Prediction/Conv2d_6_pointwise', 1);
  const c7 = pointwise(g, w, c6, 'Prediction/Conv2d_7_pointwise', 2);

  const heads = [conv11, x, c1, c3, c5, c7].map((f, i) => boxPredictor(g, w, f, i));
  const enc = g.concat(
    heads.map((h) => h.enc),
    1,
  );
  const cls = g.concat(
    heads.map((h) => h.cls),
    1,
  );
  invariant(enc.dims[1] === ssdNumAnchors(size), `ssd graph: ${enc.dims[1]} anchors, expected ${ssdNumAnchors(size)}`);
  g.output(enc, 'box_encodings');
  g.output(cls, 'class_logits');
  return g;
}

/** The detector graph for one input side; 512 keeps the original model id. */
export function ssdRecipeFor(size: number = SSD_INPUT_SIZE): ModelRecipe {
  invariant(
    (SSD_INPUT_SIZES as readonly number[]).includes(size),
    `ssd input size ${size} is not one of ${SSD_INPUT_SIZES.join(', ')}`,
  );
  return {
    name: size === SSD_INPUT_SIZE ? 'ssd-mobilenetv1' : `ssd-mobilenetv1-${size}`,
    weights: 'ssd_mobilenetv1_model',
    version: 1,
    build: (w) => buildSsdGraph(w, size),
  };
}

export const ssdRecipe: ModelRecipe = ssdRecipeFor(SSD_INPUT_SIZE);
