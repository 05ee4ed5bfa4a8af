/**
 * A small ONNX graph builder: enough ops to express the face networks (and trained models) as static graphs.
 *
 * Values are NCHW with a symbolic batch dimension (-1 here). Spatial shapes are tracked so that TensorFlow's
 * 'same' padding, which is asymmetric for even kernels or strided convs, becomes explicit ONNX pads.
 */
import onnxProto from 'onnx-proto';
import { invariant } from '../errors.js';

const { onnx } = onnxProto;

export interface Value {
  readonly name: string;
  /** NCHW (or N×F) dims; -1 marks the batch dimension. */
  readonly dims: readonly number[];
}

export type Padding = 'same' | 'valid';

export interface ConvSpec {
  /** Filter in TensorFlow layout [kh, kw, cin, cout]. */
  filterHWIO: Float32Array;
  filterShape: readonly [number, number, number, number];
  bias?: Float32Array;
  stride?: number;
  padding: Padding | readonly [number, number, number, number];
}

export interface DepthwiseSpec {
  /** Filter in TensorFlow layout [kh, kw, cin, 1]. */
  filterHWC1: Float32Array;
  filterShape: readonly [number, number, number, number];
  bias?: Float32Array;
  stride?: number;
  padding: Padding;
}

type Attr = { name: string; i?: number; f?: number; ints?: number[]; floats?: number[]; s?: string };

/** TF 'same'/'valid' output size and [begin, end] padding for one spatial axis. */
export function tfPadding(
  size: number,
  kernel: number,
  stride: number,
  padding: Padding,
): { out: number; begin: number; end: number } {
  if (padding === 'valid') return { out: Math.ceil((size - kernel + 1) / stride), begin: 0, end: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const begin = Math.floor(total / 2);
  return { out, begin, end: total - begin };
}

/** [kh, kw, cin, cout] → [cout, cin, kh, kw]. */
export function hwioToOihw(
  w: Float32Array,
  [kh, kw, cin, cout]: readonly [number, number, number, number],
): Float32Array {
  const out = new Float32Array(w.length);
  for (let h = 0; h < kh; h++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + h) * kw + x] = w[((h * kw + x) * cin + i) * cout + o];
  return out;
}

export class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private counter = 0;

  constructor(
    readonly graphName: string,
    private readonly metadata: Record<string, string> = {},
  ) {}

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  private node(op: string, inputs: string[], outputs: string[], attrs: Attr[] = []): void {
    const attribute = attrs.map((a) => {
      if (a.i !== undefined) return { name: a.name, type: onnx.AttributeProto.AttributeType.INT, i: a.i };
      if (a.f !== undefined) return { name: a.name, type: onnx.AttributeProto.AttributeType.FLOAT, f: a.f };
      if (a.ints) return { name: a.name, type: onnx.AttributeProto.AttributeType.INTS, ints: a.ints };
      if (a.floats) return { name: a.name, type: onnx.AttributeProto.AttributeType.FLOATS, floats: a.floats };
      return { name: a.name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(a.s ?? '') };
    });
    this.nodes.push(onnx.NodeProto.create({ opType: op, input: inputs, output: outputs, name: outputs[0], attribute }));
  }

  private valueInfo(name: string, dims: readonly number[], symbol = 'batch') {
    return onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: dims.map((d) => (d < 0 ? { dimParam: symbol } : { dimValue: d })) },
        },
      },
    });
  }

  /** A graph input; its -1 dimension is named `symbol` (inputs whose free dimensions differ need different names). */
  input(name: string, dims: readonly number[], symbol = 'batch'): Value {
    this.inputs.push(this.valueInfo(name, dims, symbol));
    return { name, dims };
  }

  output(v: Value, name: string): Value {
    this.node('Identity', [v.name], [name]);
    this.outputs.push(this.valueInfo(name, v.dims));
    return { name, dims: v.dims };
  }

  constant(data: Float32Array, dims: readonly number[], prefix = 'const'): Value {
    const name = this.fresh(prefix);
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims: [...dims],
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      }),
    );
    return { name, dims };
  }

  private int64Constant(values: number[]): string {
    const name = this.fresh('i64');
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims: [values.length],
        dataType: onnx.TensorProto.DataType.INT64,
        rawData: new Uint8Array(data.buffer),
      }),
    );
    return name;
  }

  conv(x: Value, spec: ConvSpec): Value {
    const [kh, kw, cin, cout] = spec.filterShape;
    invariant(x.dims[1] === cin, `conv: input has ${x.dims[1]} channels, filter expects ${cin}`);
    const stride = spec.stride ?? 1;
    const [h, w] = [x.dims[2], x.dims[3]];
    let pads: number[];
    let outH: number;
    let outW: number;
    if (typeof spec.padding === 'string') {
      const ph = tfPadding(h, kh, stride, spec.padding);
      const pw = tfPadding(w, kw, stride, spec.padding);
      pads = [ph.begin, pw.begin, ph.end, pw.end];
      outH = ph.out;
      outW = pw.out;
    } else {
      pads = [...spec.padding];
      outH = Math.floor((h + pads[0] + pads[2] - kh) / stride) + 1;
      outW = Math.floor((w + pads[1] + pads[3] - kw) / stride) + 1;
    }
    const wv = this.constant(hwioToOihw(spec.filterHWIO, spec.filterShape), [cout, cin, kh, kw], 'W');
    const ins = [x.name, wv.name];
    if (spec.bias) ins.push(this.constant(spec.bias, [cout], 'B').name);
    const out = this.fresh('conv');
    this.node(
      'Conv',
      ins,
      [out],
      [
        { name: 'kernel_shape', ints: [kh, kw] },
        { name: 'strides', ints: [stride, stride] },
        { name: 'pads', ints: pads },
      ],
    );
    return { name: out, dims: [x.dims[0], cout, outH, outW] };
  }

  depthwiseConv(x: Value, spec: DepthwiseSpec): Value {
    const [kh, kw, c, mult] = spec.filterShape;
    invariant(mult === 1 && x.dims[1] === c, 'depthwiseConv: only channel multiplier 1 with matching channels');
    const stride = spec.stride ?? 1;
    const ph = tfPadding(x.dims[2], kh, stride, spec.padding);
    const pw = tfPadding(x.dims[3], kw, stride, spec.padding);
    // [kh, kw, c, 1] → [c, 1, kh, kw]
    const wOut = new Float32Array(spec.filterHWC1.length);
    for (let y = 0; y < kh; y++)
      for (let xx = 0; xx < kw; xx++)
        for (let ch = 0; ch < c; ch++) wOut[(ch * kh + y) * kw + xx] = spec.filterHWC1[(y * kw + xx) * c + ch];
    const wv = this.constant(wOut, [c, 1, kh, kw], 'DW');
    const ins = [x.name, wv.name];
    if (spec.bias) ins.push(this.constant(spec.bias, [c], 'B').name);
    const out = this.fresh('dwconv');
    this.node(
      'Conv',
      ins,
      [out],
      [
        { name: 'kernel_shape', ints: [kh, kw] },
        { name: 'strides', ints: [stride, stride] },
        { name: 'pads', ints: [ph.begin, pw.begin, ph.end, pw.end] },
        { name: 'group', i: c },
      ],
    );
    return { name: out, dims: [x.dims[0], c, ph.out, pw.out] };
  }

  private binary(op: 'Add' | 'Sub' | 'Mul' | 'Div' | 'Max' | 'Min', a: Value, b: Value): Value {
    const out = this.fresh(op.toLowerCase());
    this.node(op, [a.name, b.name], [out]);
    const dims = a.dims.length >= b.dims.length ? a.dims : b.dims;
    return { name: out, dims };
  }

  add(a: Value, b: Value): Value {
    return this.binary('Add', a, b);
  }
  sub(a: Value, b: Value): Value {
    return this.binary('Sub', a, b);
  }
  mul(a: Value, b: Value): Value {
    return this.binary('Mul', a, b);
  }
  div(a: Value, b: Value): Value {
    return this.binary('Div', a, b);
  }

  /** Per-channel constant (broadcast over N, H, W) for NCHW values. */
  channelConstant(values: Float32Array | number[], prefix = 'chan'): Value {
    const data = Float32Array.from(values);
    return this.constant(data, [1, data.length, 1, 1], prefix);
  }

  scalar(v: number): Value {
    return this.constant(Float32Array.of(v), [], 'scalar');
  }

  unary(op: 'Relu' | 'Sigmoid' | 'Exp' | 'Sqrt' | 'Neg' | 'Tanh', x: Value): Value {
    const out = this.fresh(op.toLowerCase());
    this.node(op, [x.name], [out]);
    return { name: out, dims: x.dims };
  }

  relu(x: Value): Value {
    return this.unary('Relu', x);
  }

  clip(x: Value, min: number, max: number): Value {
    const out = this.fresh('clip');
    this.node('Clip', [x.name, this.scalar(min).name, this.scalar(max).name], [out]);
    return { name: out, dims: x.dims };
  }

  private pool(op: 'MaxPool' | 'AveragePool', x: Value, k: number, s: number, padding: Padding): Value {
    const ph = tfPadding(x.dims[2], k, s, padding);
    const pw = tfPadding(x.dims[3], k, s, padding);
    const out = this.fresh(op.toLowerCase());
    this.node(
      op,
      [x.name],
      [out],
      [
        { name: 'kernel_shape', ints: [k, k] },
        { name: 'strides', ints: [s, s] },
        { name: 'pads', ints: [ph.begin, pw.begin, ph.end, pw.end] },
      ],
    );
    return { name: out, dims: [x.dims[0], x.dims[1], ph.out, pw.out] };
  }

  maxPool(x: Value, k: number, s: number, padding: Padding): Value {
    return this.pool('MaxPool', x, k, s, padding);
  }
  avgPool(x: Value, k: number, s: number, padding: Padding): Value {
    return this.pool('AveragePool', x, k, s, padding);
  }

  /** Zero padding of NCHW value: pads per axis as [begin, end]. */
  pad(x: Value, pads: readonly (readonly [number, number])[]): Value {
    const out = this.fresh('pad');
    const begins = pads.map((p) => p[0]);
    const ends = pads.map((p) => p[1]);
    this.node('Pad', [x.name, this.int64Constant([...begins, ...ends])], [out], [{ name: 'mode', s: 'constant' }]);
    return { name: out, dims: x.dims.map((d, i) => (d < 0 ? d : d + pads[i][0] + pads[i][1])) };
  }

  concat(values: Value[], axis: number): Value {
    const out = this.fresh('concat');
    this.node(
      'Concat',
      values.map((v) => v.name),
      [out],
      [{ name: 'axis', i: axis }],
    );
    const dims = [...values[0].dims];
    dims[axis] = values.reduce((s, v) => s + v.dims[axis], 0);
    return { name: out, dims };
  }

  globalAveragePool(x: Value): Value {
    const out = this.fresh('gap');
    this.node('GlobalAveragePool', [x.name], [out]);
    return { name: out, dims: [x.dims[0], x.dims[1], 1, 1] };
  }

  flatten(x: Value): Value {
    const out = this.fresh('flatten');
    this.node('Flatten', [x.name], [out], [{ name: 'axis', i: 1 }]);
    return { name: out, dims: [x.dims[0], x.dims.slice(1).reduce((a, b) => a * b, 1)] };
  }

  /** x [N, in] × W [in, out] (+ b). */
  dense(x: Value, w: Float32Array, inDim: number, outDim: number, bias?: Float32Array): Value {
    const wv = this.constant(w, [inDim, outDim], 'FC');
    const out = this.fresh('gemm');
    const ins = [x.name, wv.name];
    if (bias) ins.push(this.constant(bias, [outDim], 'FCB').name);
    this.node('Gemm', ins, [out]);
    return { name: out, dims: [x.dims[0], outDim] };
  }

  /** a [M, K] × b [N, K]ᵀ → [M, N]: every row of a against every row of b (Gemm with transB). */
  matMulTransposed(a: Value, b: Value): Value {
    const out = this.fresh('gemm');
    this.node('Gemm', [a.name, b.name], [out], [{ name: 'transB', i: 1 }]);
    return { name: out, dims: [a.dims[0], b.dims[0]] };
  }

  transpose(x: Value, perm: number[]): Value {
    const out = this.fresh('transpose');
    this.node('Transpose', [x.name], [out], [{ name: 'perm', ints: perm }]);
    return { name: out, dims: perm.map((p) => x.dims[p]) };
  }

  reshape(x: Value, dims: number[]): Value {
    const out = this.fresh('reshape');
    this.node('Reshape', [x.name, this.int64Constant(dims)], [out]);
    return { name: out, dims };
  }

  /** Row-wise L2 normalisation of [N, F]. */
  l2Normalize(x: Value, eps = 1e-10): Value {
    const out = this.fresh('l2');
    const sq = this.mul(x, x);
    const sum = this.fresh('sumsq');
    this.node('ReduceSum', [sq.name, this.int64Constant([1])], [sum], [{ name: 'keepdims', i: 1 }]);
    const norm = this.unary('Sqrt', this.binary('Max', { name: sum, dims: [x.dims[0], 1] }, this.scalar(eps)));
    this.node('Div', [x.name, norm.name], [out]);
    return { name: out, dims: x.dims };
  }

  toBytes(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'facenet-ts',
      opsetImport: [{ domain: '', version: 13 }],
      graph: onnx.GraphProto.create({
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
      metadataProps: Object.entries(this.metadata).map(([key, value]) => ({ key, value })),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
