/**
 * Trainable embedding networks on tfjs and their export to ONNX through the project's GraphBuilder.
 *
 * - `small`: a compact all-convolutional CNN trained from scratch on chips resized to S×S (64 or 96): 3×3 convs
 *   (stride 2 to downsample: cheaper than conv + max pool, whose gradient kernel is slow on wasm), each followed
 *   by batch norm and relu; then flatten (or global average pool), a dense layer to 128-D and L2 normalisation.
 *   At export batch norm is folded into the conv weights and biases.
 * - `head`: a residual projection head on the frozen pretrained 128-D net: e = norm(f + W₂·relu(W₁f + b₁) + b₂)
 *   with f the pretrained (normalised) embedding. W₂ starts at zero, so the untrained head is the pretrained net.
 * - `head` on a pack (`pack` set): a projection of the pack's frozen D-dimensional embedding to `embeddingDim`,
 *   e = norm(W·f + b) (hidden = 0) or e = norm(W₂·relu(W₁f + b₁) + b₂), f the normalised pack embedding. It is
 *   exported alone (input `features` [N, D] → `embedding`), a projection stage the pack runs after its embedder.
 *
 * Only ops that map to ONNX are used (Conv, Relu, MaxPool, Gemm, Add, Mul, Transpose, Flatten, ReduceSum, ...).
 */
import { tf } from './backend.js';
import { batchNormRelu, conv2d, l2Normalize, relu } from './ops.js';
import { Rng } from './rng.js';
import { GraphBuilder, type Value } from '../engine/onnx-graph.js';
import type { WeightMap } from '../engine/tfjs-weights.js';
import { addRecognitionNet, CHIP_SIZE } from '../embed/recognition-graph.js';
import { PROJECTION_INPUT, PROJECTION_OUTPUT } from '../embed/input-spec.js';

import { ARCHS, type Arch } from './archs.js';
import { invariant, FaceError } from '../errors.js';
export { ARCHS, type Arch };

export interface SmallArch {
  readonly arch: 'small';
  /** Chip side S the network sees (the 150×150 dlib chip is resized to S×S). */
  readonly inputSize: number;
  /** The 3×3 conv layers: output channels and stride ('same' padding). */
  readonly layers: readonly { readonly width: number; readonly stride: number }[];
  /** 'flatten' keeps the spatial layout of the last feature map; 'gap' averages it away. */
  readonly pool: 'flatten' | 'gap';
  readonly embeddingDim: number;
}

export interface HeadArch {
  readonly arch: 'head';
  /** Chip side of the frozen net the features come from (150: dlib; a pack's chip size). */
  readonly inputSize: number;
  /** Hidden width of the head; 0 = linear projection (pack heads only). */
  readonly hidden: number;
  readonly embeddingDim: number;
  /** The pack whose embedder makes the features; absent: the built-in dlib 128-D net (residual head). */
  readonly pack?: string;
  /** Dimension of the pack's embedding (absent: 128, the built-in net). */
  readonly inputDim?: number;
}

/** A head that projects a pack's embedding (exported as a projection stage), not the residual dlib head. */
export function isProjectionHead(a: ArchSettings): a is HeadArch & { pack: string; inputDim: number } {
  return a.arch === 'head' && a.pack !== undefined && a.inputDim !== undefined;
}

/** Length of one model input: a chip's pixels (small) or a frozen embedding (head). */
export function inputLength(a: ArchSettings): number {
  return a.arch === 'small' ? a.inputSize * a.inputSize * 3 : (a.inputDim ?? 128);
}

export type ArchSettings = SmallArch | HeadArch;

/** Per-channel input normalisation inside the graph: (x − mean) / std, x in 0..255. */
export const SMALL_MEAN = [127.5, 127.5, 127.5] as const;
export const SMALL_STD = [128, 128, 128] as const;
const BN_EPS = 1e-3;

/** A pack's embedder as seen by a head: its chip size and embedding dimension. */
export interface HeadSource {
  readonly pack: string;
  readonly chipSize: number;
  readonly dim: number;
}

export function defaultArch(
  arch: Arch,
  inputSize?: number,
  source?: HeadSource,
  opts: { hidden?: number; embeddingDim?: number } = {},
): ArchSettings {
  if (arch === 'head' && source)
    return {
      arch: 'head',
      inputSize: source.chipSize,
      hidden: opts.hidden ?? 0,
      embeddingDim: opts.embeddingDim ?? 128,
      pack: source.pack,
      inputDim: source.dim,
    };
  if (arch === 'head') return { arch: 'head', inputSize: CHIP_SIZE, hidden: opts.hidden ?? 256, embeddingDim: 128 };
  const layers = [
    [32, 2],
    [64, 2],
    [64, 1],
    [128, 2],
    [128, 1],
    [256, 2],
  ].map(([width, stride]) => ({ width, stride }));
  return { arch: 'small', inputSize: inputSize ?? 64, layers, pool: 'flatten', embeddingDim: 128 };
}

/** Named float tensors: trainable parameters and (batch-norm) state, as plain arrays for checkpoints. */
export interface NamedArray {
  readonly shape: number[];
  readonly data: Float32Array;
}

let modelCounter = 0;

export interface ForwardOptions {
  training: boolean;
  /** Batch-norm running statistics momentum (training only). */
  momentum?: number;
}

export class EmbeddingModel {
  /** Trainable parameters by logical name. */
  readonly params = new Map<string, tf.Variable>();
  /** Non-trainable state (batch-norm running mean/variance) by logical name. */
  readonly state = new Map<string, Float32Array>();
  private readonly uid = modelCounter++;

  constructor(
    readonly settings: ArchSettings,
    seed: number,
  ) {
    const rng = new Rng(seed);
    const he = (shape: number[], fanIn: number) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const d = new Float32Array(n);
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < n; i++) d[i] = rng.normal() * std;
      return { shape, data: d };
    };
    const zeros = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    const ones = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1) });
    if (settings.arch === 'small') {
      let cin = 3;
      settings.layers.forEach(({ width: c }, i) => {
        this.addParam(`conv${i}/w`, he([3, 3, cin, c], 9 * cin));
        this.addParam(`bn${i}/gamma`, ones([c]));
        this.addParam(`bn${i}/beta`, zeros([c]));
        this.state.set(`bn${i}/mean`, new Float32Array(c));
        this.state.set(`bn${i}/var`, new Float32Array(c).fill(1));
        cin = c;
      });
      const fin = this.featureSize();
      // plain Glorot-ish scale for the embedding layer: it feeds a normalisation, not a relu
      const fc = he([fin, settings.embeddingDim], fin);
      for (let i = 0; i < fc.data.length; i++) fc.data[i] *= Math.SQRT1_2;
      this.addParam('fc/w', fc);
      this.addParam('fc/b', zeros([settings.embeddingDim]));
    } else if (isProjectionHead(settings)) {
      const { inputDim: d, hidden: h, embeddingDim: e } = settings;
      // a random projection keeps distances roughly (Johnson–Lindenstrauss): a sane start for triplet training
      const scaled = (a: NamedArray, k: number) => ({ shape: a.shape, data: a.data.map((v) => v * k) });
      if (h === 0) {
        this.addParam('proj/w', scaled(he([d, e], d), Math.SQRT1_2));
        this.addParam('proj/b', zeros([e]));
      } else {
        this.addParam('proj/w1', he([d, h], d));
        this.addParam('proj/b1', zeros([h]));
        this.addParam('proj/w2', scaled(he([h, e], h), Math.SQRT1_2));
        this.addParam('proj/b2', zeros([e]));
      }
    } else {
      this.addParam('head/w1', he([128, settings.hidden], 128));
      this.addParam('head/b1', zeros([settings.hidden]));
      this.addParam('head/w2', zeros([settings.hidden, 128]));
      this.addParam('head/b2', zeros([128]));
    }
  }

  private addParam(name: string, a: NamedArray): void {
    const t = tf.tensor(a.data, a.shape);
    this.params.set(name, tf.variable(t, true, `m${this.uid}/${name}`));
    t.dispose();
  }

  /** Flattened size of the last feature map (small arch). */
  featureSize(): number {
    const s = this.settings;
    if (s.arch !== 'small') return inputLength(s);
    let size = s.inputSize;
    for (const l of s.layers) size = Math.ceil(size / l.stride);
    const c = s.layers[s.layers.length - 1].width;
    return s.pool === 'gap' ? c : size * size * c;
  }

  /** Which parameters weight decay applies to (weights, not biases or norm parameters). */
  isDecayed(name: string): boolean {
    return name.endsWith('/w') || name.endsWith('/w1') || name.endsWith('/w2');
  }

  /**
   * Embeddings (L2-normalised) for a batch: small arch takes [N, S, S, 3] RGB 0..255 (NHWC), head arch takes
   * [N, 128] pretrained embeddings. In training mode batch norm uses the batch statistics and updates the
   * running ones (as a side effect, read synchronously).
   */
  forward(x: tf.Tensor, opts: ForwardOptions): tf.Tensor2D {
    const s = this.settings;
    const p = (name: string) => this.params.get(name)!;
    if (isProjectionHead(s)) {
      const f = l2Normalize(x as tf.Tensor2D);
      if (s.hidden === 0) return l2Normalize(tf.add(tf.matMul(f, p('proj/w')), p('proj/b')) as tf.Tensor2D);
      const h = relu(tf.add(tf.matMul(f, p('proj/w1')), p('proj/b1')));
      return l2Normalize(tf.add(tf.matMul(h, p('proj/w2')), p('proj/b2')) as tf.Tensor2D);
    }
    if (s.arch === 'head') {
      const f = l2Normalize(x as tf.Tensor2D);
      const h = relu(tf.add(tf.matMul(f, p('head/w1')), p('head/b1')));
      return l2Normalize(tf.add(f, tf.add(tf.matMul(h, p('head/w2')), p('head/b2'))) as tf.Tensor2D);
    }
    const momentum = opts.momentum ?? 0.9;
    let h = tf.div(tf.sub(x, tf.tensor1d([...SMALL_MEAN])), tf.tensor1d([...SMALL_STD])) as tf.Tensor4D;
    s.layers.forEach(({ stride }, i) => {
      const y = conv2d(h, p(`conv${i}/w`) as unknown as tf.Tensor4D, stride, 'same', i > 0);
      const gamma = p(`bn${i}/gamma`) as unknown as tf.Tensor1D;
      const beta = p(`bn${i}/beta`) as unknown as tf.Tensor1D;
      const rm = this.state.get(`bn${i}/mean`)!;
      const rv = this.state.get(`bn${i}/var`)!;
      if (opts.training) {
        const bn = batchNormRelu(y, gamma, beta, BN_EPS);
        const bm = bn.mean.dataSync();
        const bv = bn.variance.dataSync();
        bn.mean.dispose();
        bn.variance.dispose();
        for (let c = 0; c < rm.length; c++) {
          rm[c] = momentum * rm[c] + (1 - momentum) * bm[c];
          rv[c] = momentum * rv[c] + (1 - momentum) * bv[c];
        }
        h = bn.y;
      } else {
        const scale = tf.mul(tf.rsqrt(tf.add(tf.tensor1d(rv), BN_EPS)), gamma);
        h = relu(tf.add(tf.mul(tf.sub(y, tf.tensor1d(rm)), scale), beta)) as tf.Tensor4D;
      }
    });
    const n = h.shape[0];
    const feat = s.pool === 'gap' ? tf.mean(h, [1, 2]) : tf.reshape(h, [n, -1]);
    return l2Normalize(tf.add(tf.matMul(feat as tf.Tensor2D, p('fc/w')), p('fc/b')) as tf.Tensor2D);
  }

  /** Inference embeddings as a Float32Array [N × dim], batched. */
  embed(input: Float32Array, n: number, batch = 64): Float32Array {
    const s = this.settings;
    const per = inputLength(s);
    const dim = s.embeddingDim;
    const out = new Float32Array(n * dim);
    for (let i = 0; i < n; i += batch) {
      const m = Math.min(batch, n - i);
      const slice = input.subarray(i * per, (i + m) * per);
      const e = tf.tidy(() => {
        const x =
          s.arch === 'small' ? tf.tensor4d(slice, [m, s.inputSize, s.inputSize, 3]) : tf.tensor2d(slice, [m, per]);
        return this.forward(x, { training: false });
      });
      out.set(e.dataSync(), i * dim);
      e.dispose();
    }
    return out;
  }

  /** Parameters and state as plain arrays (for checkpoints). */
  snapshot(): { params: Record<string, NamedArray>; state: Record<string, NamedArray> } {
    const params: Record<string, NamedArray> = {};
    for (const [k, v] of this.params) params[k] = { shape: [...v.shape], data: v.dataSync().slice() as Float32Array };
    const state: Record<string, NamedArray> = {};
    for (const [k, v] of this.state) state[k] = { shape: [v.length], data: v.slice() };
    return { params, state };
  }

  /** Load parameters and state by name; every parameter must be present with the same shape. */
  restore(snap: { params: Record<string, NamedArray>; state: Record<string, NamedArray> }): void {
    for (const [k, v] of this.params) {
      const a = snap.params[k];
      if (!a) throw new FaceError('INVALID_INPUT', `the checkpoint lacks parameter ${k} of this model`);
      if (a.shape.join('x') !== v.shape.join('x') || a.data.length !== v.size)
        throw new FaceError('INVALID_INPUT', `parameter ${k}: checkpoint shape ${a.shape} ≠ model ${v.shape}`);
      const t = tf.tensor(a.data, a.shape);
      v.assign(t);
      t.dispose();
    }
    for (const [k, v] of this.state) {
      const a = snap.state[k];
      if (!a || a.data.length !== v.length)
        throw new FaceError('INVALID_INPUT', `the checkpoint lacks state ${k} of this model`);
      v.set(a.data);
    }
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }

  /**
   * The trained network as an ONNX graph: input `chips` [N, 3, S, S] RGB 0..255, output `embedding` [N, D]
   * (L2-normalised). `recognitionWeights` is required for the head arch (the frozen pretrained net).
   * A projection head is exported alone: input `features` [N, inputDim] (the pack's raw embedding; normalised
   * inside the graph) → `embedding` [N, embeddingDim], L2-normalised.
   */
  toGraph(metadata: Record<string, string>, recognitionWeights?: WeightMap): GraphBuilder {
    const s = this.settings;
    const arr = (name: string) => this.params.get(name)!.dataSync() as Float32Array;
    if (isProjectionHead(s)) {
      const g = new GraphBuilder(`facenet_projection_${s.inputDim}_${s.embeddingDim}`, metadata);
      const f = g.l2Normalize(g.input(PROJECTION_INPUT, [-1, s.inputDim]));
      const e =
        s.hidden === 0
          ? g.dense(f, arr('proj/w'), s.inputDim, s.embeddingDim, arr('proj/b'))
          : g.dense(
              g.relu(g.dense(f, arr('proj/w1'), s.inputDim, s.hidden, arr('proj/b1'))),
              arr('proj/w2'),
              s.hidden,
              s.embeddingDim,
              arr('proj/b2'),
            );
      g.output(g.l2Normalize(e), PROJECTION_OUTPUT);
      return g;
    }
    const g = new GraphBuilder(`facenet_trained_${s.arch}`, metadata);
    const input = g.input('chips', [-1, 3, s.inputSize, s.inputSize]);
    if (s.arch === 'head') {
      invariant(recognitionWeights, 'head export needs the pretrained recognition weights');
      const f = g.l2Normalize(addRecognitionNet(g, recognitionWeights, input));
      const h = g.relu(g.dense(f, arr('head/w1'), 128, s.hidden, arr('head/b1')));
      const e = g.add(f, g.dense(h, arr('head/w2'), s.hidden, 128, arr('head/b2')));
      g.output(g.l2Normalize(e), 'embedding');
      return g;
    }
    const invStd = SMALL_STD.map((v) => 1 / v);
    let x: Value = g.mul(g.sub(input, g.channelConstant([...SMALL_MEAN])), g.channelConstant(invStd));
    let cin = 3;
    s.layers.forEach(({ width: c, stride }, i) => {
      const w = arr(`conv${i}/w`);
      const gamma = arr(`bn${i}/gamma`);
      const beta = arr(`bn${i}/beta`);
      const mean = this.state.get(`bn${i}/mean`)!;
      const variance = this.state.get(`bn${i}/var`)!;
      // fold batch norm: W' = W·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε)
      const scale = new Float32Array(c);
      const bias = new Float32Array(c);
      for (let o = 0; o < c; o++) {
        scale[o] = gamma[o] / Math.sqrt(variance[o] + BN_EPS);
        bias[o] = beta[o] - mean[o] * scale[o];
      }
      const folded = new Float32Array(w.length);
      for (let k = 0; k < w.length; k++) folded[k] = w[k] * scale[k % c];
      x = g.relu(g.conv(x, { filterHWIO: folded, filterShape: [3, 3, cin, c], bias, stride, padding: 'same' }));
      cin = c;
    });
    // tfjs flattens NHWC: transpose before flattening so the dense weights line up
    const feat = s.pool === 'gap' ? g.flatten(g.globalAveragePool(x)) : g.flatten(g.transpose(x, [0, 2, 3, 1]));
    const fin = this.featureSize();
    g.output(g.l2Normalize(g.dense(feat, arr('fc/w'), fin, s.embeddingDim, arr('fc/b'))), 'embedding');
    return g;
  }
}
