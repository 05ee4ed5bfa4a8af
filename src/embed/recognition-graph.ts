/**
 * The 128-D face recognition network (dlib's ResNet-34 variant, as shipped by face-api) as an ONNX graph.
 * Input `chips`: [N, 3, 150, 150] RGB in 0..255. Output `embedding`: [N, 128], not normalised
 * (normalisation happens in the embedder so the raw output can be checked against tfjs).
 */
import { GraphBuilder, type Value } from '../engine/onnx-graph.js';
import type { WeightMap } from '../engine/tfjs-weights.js';
import type { ModelRecipe } from '../engine/model-store.js';
import { invariant } from '../errors.js';

export const CHIP_SIZE = 150;
const MEAN_RGB = [122.782, 117.001, 104.298];

/**
 * conv → +bias → ×scale + shift, folded into one conv: W·s, b·s + t. An `input` affine map (x - mean) / divisor
 * in front of a 'valid' conv folds in too: W·s/d, b·s + t - Σ W·s·mean/d (exact: no padded border sees the map).
 */
function convScaled(
  g: GraphBuilder,
  w: WeightMap,
  x: Value,
  prefix: string,
  stride: number,
  padding: 'same' | 'valid',
  input?: { mean: readonly number[]; divisor: number },
): Value {
  const filt = w.get(`${prefix}/conv/filters`);
  const bias = w.get(`${prefix}/conv/bias`).data;
  const s = w.get(`${prefix}/scale/weights`).data;
  const t = w.get(`${prefix}/scale/biases`).data;
  const shape = filt.shape as [number, number, number, number];
  const [, , cin, cout] = shape;
  invariant(!input || padding === 'valid', 'convScaled: an input map folds only into a valid conv');
  const folded = new Float32Array(filt.data.length);
  const b = new Float32Array(cout);
  for (let o = 0; o < cout; o++) b[o] = bias[o] * s[o] + t[o];
  for (let i = 0; i < folded.length; i++) {
    const o = i % cout;
    folded[i] = filt.data[i] * s[o];
    if (input) {
      b[o] -= (folded[i] * input.mean[Math.floor(i / cout) % cin]) / input.divisor;
      folded[i] /= input.divisor;
    }
  }
  return g.conv(x, { filterHWIO: folded, filterShape: shape, bias: b, stride, padding });
}

/**
 * 2×2 average pool, stride 2, with the channels zero-extended to `cout`, as one conv (0.25 on the diagonal):
 * unlike AveragePool + Pad it stays in onnxruntime's blocked (NCHWc) layout, no reorder around it.
 */
function poolToChannels(g: GraphBuilder, x: Value, cout: number): Value {
  const cin = x.dims[1];
  const filt = new Float32Array(2 * 2 * cin * cout);
  for (let k = 0; k < 4; k++) for (let c = 0; c < cin; c++) filt[(k * cin + c) * cout + c] = 0.25;
  return g.conv(x, { filterHWIO: filt, filterShape: [2, 2, cin, cout], stride: 2, padding: 'valid' });
}

/** Zeros appended at the bottom/right, as a 1×1 identity conv with pads (stays in the NCHWc layout, unlike Pad). */
function padBottomRight(g: GraphBuilder, x: Value, dh: number, dw: number): Value {
  const c = x.dims[1];
  const filt = new Float32Array(c * c);
  for (let i = 0; i < c; i++) filt[i * c + i] = 1;
  return g.conv(x, { filterHWIO: filt, filterShape: [1, 1, c, c], stride: 1, padding: [0, 0, dh, dw] });
}

function residual(g: GraphBuilder, w: WeightMap, x: Value, prefix: string): Value {
  let out = g.relu(convScaled(g, w, x, `${prefix}/conv1`, 1, 'same'));
  out = convScaled(g, w, out, `${prefix}/conv2`, 1, 'same');
  return g.relu(g.add(out, x));
}

function residualDown(g: GraphBuilder, w: WeightMap, x: Value, prefix: string): Value {
  let out = g.relu(convScaled(g, w, x, `${prefix}/conv1`, 2, 'valid'));
  out = convScaled(g, w, out, `${prefix}/conv2`, 1, 'same');
  // the shortcut: 2×2 average pool, channels zero-extended (face-api: avgPool, then concat zeros)
  const pooled = poolToChannels(g, x, out.dims[1]);
  // face-api pads the conv branch with zeros at the bottom/right when the pooled branch is larger
  const dh = pooled.dims[2] - out.dims[2];
  const dw = pooled.dims[3] - out.dims[3];
  if (dh > 0 || dw > 0) out = padBottomRight(g, out, dh, dw);
  return g.relu(g.add(pooled, out));
}

export interface RecognitionGraphOptions {
  /**
   * Input scaling after mean subtraction: face-api divides by 255, dlib's input layer (which the weights were
   * trained with) by 256.
   */
  inputDivisor?: 255 | 256;
}

export function buildRecognitionGraph(w: WeightMap, opts: RecognitionGraphOptions = {}): GraphBuilder {
  const g = new GraphBuilder('face_recognition_resnet34', {
    input: 'chips NCHW RGB 0..255 150x150',
    output: 'embedding [N,128] raw',
  });
  const input = g.input('chips', [-1, 3, CHIP_SIZE, CHIP_SIZE]);
  g.output(addRecognitionNet(g, w, input, opts), 'embedding');
  return g;
}

/**
 * The network on an existing graph: `input` [N, 3, 150, 150] RGB 0..255 → raw [N, 128] (not normalised).
 * Lets trained layers be appended (src/train's `--arch head` export).
 */
export function addRecognitionNet(
  g: GraphBuilder,
  w: WeightMap,
  input: Value,
  opts: RecognitionGraphOptions = {},
): Value {
  // (x - mean) / divisor, folded into the first conv
  let x = g.relu(
    convScaled(g, w, input, 'conv32_down', 2, 'valid', { mean: MEAN_RGB, divisor: opts.inputDivisor ?? 255 }),
  );
  x = g.maxPool(x, 3, 2, 'valid');
  for (const p of ['conv32_1', 'conv32_2', 'conv32_3']) x = residual(g, w, x, p);
  x = residualDown(g, w, x, 'conv64_down');
  for (const p of ['conv64_1', 'conv64_2', 'conv64_3']) x = residual(g, w, x, p);
  x = residualDown(g, w, x, 'conv128_down');
  for (const p of ['conv128_1', 'conv128_2']) x = residual(g, w, x, p);
  x = residualDown(g, w, x, 'conv256_down');
  for (const p of ['conv256_1', 'conv256_2']) x = residual(g, w, x, p);
  x = residualDown(g, w, x, 'conv256_down_out');
  const pooled = g.flatten(g.globalAveragePool(x));
  const fc = w.get('fc');
  return g.dense(pooled, fc.data, fc.shape[0], fc.shape[1]);
}

export function recognitionRecipeFor(opts: RecognitionGraphOptions = {}): ModelRecipe {
  const divisor = opts.inputDivisor ?? 255;
  return {
    name: divisor === 255 ? 'face-recognition-128' : `face-recognition-128-d${divisor}`,
    weights: 'face_recognition_model',
    version: 1,
    // 2: input normalisation folded into the first conv, shortcut pool + pads as convs (same function, faster)
    layout: 2,
    build: (w) => buildRecognitionGraph(w, opts),
  };
}

export const recognitionRecipe: ModelRecipe = recognitionRecipeFor();
