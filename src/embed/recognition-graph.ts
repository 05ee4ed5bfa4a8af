/**
 * The 128-D face recognition network (dlib's ResNet-34 variant, as shipped by face-api) as an ONNX graph.
 * Input `chips`: [N, 3, 150, 150] RGB in 0..255. Output `embedding`: [N, 128], not normalised
 * (normalisation happens in the embedder so the raw output can be checked against tfjs).
 */
import { GraphBuilder, type Value } from '../engine/onnx-graph.js';
import type { WeightMap } from '../engine/tfjs-weights.js';
import type { ModelRecipe } from '../engine/model-store.js';

export const CHIP_SIZE = 150;
const MEAN_RGB = [122.782, 117.001, 104.298];

/** conv → +bias → ×scale + shift, folded into one conv: W·s, b·s + t. */
function convScaled(g: GraphBuilder, w: WeightMap, x: Value, prefix: string, stride: number, padding: 'same' | 'valid'): Value {
  const filt = w.get(`${prefix}/conv/filters`);
  const bias = w.get(`${prefix}/conv/bias`).data;
  const s = w.get(`${prefix}/scale/weights`).data;
  const t = w.get(`${prefix}/scale/biases`).data;
  const shape = filt.shape as [number, number, number, number];
  const cout = shape[3];
  const folded = new Float32Array(filt.data.length);
  for (let i = 0; i < folded.length; i++) folded[i] = filt.data[i] * s[i % cout];
  const b = new Float32Array(cout);
  for (let o = 0; o < cout; o++) b[o] = bias[o] * s[o] + t[o];
  return g.conv(x, { filterHWIO: folded, filterShape: shape, bias: b, stride, padding });
}

function residual(g: GraphBuilder, w: WeightMap, x: Value, prefix: string): Value {
  let out = g.relu(convScaled(g, w, x, `${prefix}/conv1`, 1, 'same'));
  out = convScaled(g, w, out, `${prefix}/conv2`, 1, 'same');
  return g.relu(g.add(out, x));
}

function residualDown(g: GraphBuilder, w: WeightMap, x: Value, prefix: string): Value {
  let out = g.relu(convScaled(g, w, x, `${prefix}/conv1`, 2, 'valid'));
  out = convScaled(g, w, out, `${prefix}/conv2`, 1, 'same');
  let pooled = g.avgPool(x, 2, 2, 'valid');
  // face-api pads the conv branch with zeros at the bottom/right when the pooled branch is larger
  const dh = pooled.dims[2] - out.dims[2];
  const dw = pooled.dims[3] - out.dims[3];
  if (dh > 0 || dw > 0) out = g.pad(out, [[0, 0], [0, 0], [0, dh], [0, dw]]);
  // and zero-extends the shortcut's channels
  const dc = out.dims[1] - pooled.dims[1];
  if (dc > 0) pooled = g.pad(pooled, [[0, 0], [0, dc], [0, 0], [0, 0]]);
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
  const g = new GraphBuilder('face_recognition_resnet34', { input: 'chips NCHW RGB 0..255 150x150', output: 'embedding [N,128] raw' });
  const input = g.input('chips', [-1, 3, CHIP_SIZE, CHIP_SIZE]);
  g.output(addRecognitionNet(g, w, input, opts), 'embedding');
  return g;
}

/**
 * The network on an existing graph: `input` [N, 3, 150, 150] RGB 0..255 → raw [N, 128] (not normalised).
 * Lets trained layers be appended (src/train's `--arch head` export).
 */
export function addRecognitionNet(g: GraphBuilder, w: WeightMap, input: Value, opts: RecognitionGraphOptions = {}): Value {
  let x = g.mul(g.sub(input, g.channelConstant(MEAN_RGB)), g.scalar(1 / (opts.inputDivisor ?? 255)));
  x = g.relu(convScaled(g, w, x, 'conv32_down', 2, 'valid'));
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
    build: (w) => buildRecognitionGraph(w, opts),
  };
}

export const recognitionRecipe: ModelRecipe = recognitionRecipeFor();
