/**
 * Blocks of dot products (a [M, D] × b [N, D]ᵀ) as a one-node ONNX model run by an InferenceEngine: onnxruntime's
 * Gemm is a multi-threaded, cache-blocked SIMD sgemm (MLAS), far faster than a scan per row. The exact k-NN graph
 * of clustering is built from these blocks (src/cluster/knn-graph.ts).
 */
import type { InferenceEngine, InferenceSession } from './engine.js';
import { GraphBuilder } from './onnx-graph.js';
import { FaceError } from '../errors.js';

export interface DotProducts {
  readonly dim: number;
  /** rowsA × rowsB dot products, row-major: out[i * rowsB + j] = a_i · b_j. */
  dots(a: Float32Array, rowsA: number, b: Float32Array, rowsB: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/** The model: inputs a [rows, dim], b [cols, dim]; output dots [rows, cols]. */
export function dotProductModel(dim: number): Uint8Array {
  const g = new GraphBuilder('dot-products');
  const a = g.input('a', [-1, dim], 'rows');
  const b = g.input('b', [-1, dim], 'cols');
  g.output(g.matMulTransposed(a, b), 'dots');
  return g.toBytes();
}

/** `threads` absent: the engine's default (one per core); 0: the engine's own choice. */
export async function loadDotProducts(engine: InferenceEngine, dim: number, threads?: number): Promise<DotProducts> {
  if (!Number.isInteger(dim) || dim <= 0)
    throw new FaceError('INVALID_INPUT', `dimension must be a positive integer, got ${dim}`);
  const session: InferenceSession = await engine.load(dotProductModel(dim), threads === undefined ? {} : { threads });
  return {
    dim,
    async dots(a, rowsA, b, rowsB) {
      if (a.length < rowsA * dim || b.length < rowsB * dim)
        throw new FaceError('INVALID_INPUT', 'dot products: fewer values than rows × dimension');
      const out = await session.run({
        a: { data: a.subarray(0, rowsA * dim), dims: [rowsA, dim] },
        b: { data: b.subarray(0, rowsB * dim), dims: [rowsB, dim] },
      });
      return out.dots.data;
    },
    close: () => session.close(),
  };
}
