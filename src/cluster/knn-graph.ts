/**
 * The k-nearest-neighbour graph every clustering algorithm here works on: for each face its k nearest other faces
 * and their L2 distances. Up to EXACT_KNN_LIMIT faces it is exact: all n²/2 dot products, each pair once, by the
 * inference engine's multi-threaded matrix product in tiles (exact-knn.ts; 5–10× faster than usearch's exact scan
 * at 13,233 × 512, docs/clustering.md). Above, it comes from the gallery's own ANN index (AdaptiveIndex in HNSW
 * mode), so a very large library costs one index search per face, not n² distances.
 *
 * Each face is its own label in the index, so a search's "one hit per label" is one hit per face.
 */
import { FaceError } from '../errors.js';
import type { InferenceEngine } from '../engine/engine.js';
import { ortEngine } from '../engine/ort.js';
import { AdaptiveIndex, type AdaptiveOptions } from '../search/adaptive-index.js';
import { usearchTopDotsBatch } from '../search/hnsw-index.js';
import { distanceFromDot } from '../embed/vector.js';
import { exactTopDots, type ExactKnnOptions } from './exact-knn.js';

export interface KnnGraph {
  /** Number of faces. */
  readonly n: number;
  /** Neighbours per face (fewer than asked when there are fewer other faces). */
  readonly k: number;
  /** Row i: face i's neighbours, nearest first; -1 pads a short row. */
  readonly neighbors: Int32Array;
  /** Row i: the L2 distances to those neighbours (Infinity pads). */
  readonly distances: Float32Array;
}

export interface KnnOptions {
  /** Neighbours per face (default 30). */
  readonly k?: number;
  /**
   * 'auto' (default): the exact graph by matrix product up to `exactLimit` faces, the ANN index above;
   * 'exact': always the matrix product; 'scan': usearch's single-threaded exact scan in blocks of 16 faces (the
   * former exact path, kept for comparison); 'index': AdaptiveIndex, one search per face (its exact scan below its
   * threshold, HNSW above).
   */
  readonly index?: 'auto' | 'exact' | 'scan' | 'index';
  /** Largest number of faces 'auto' builds the exact graph for (default EXACT_KNN_LIMIT). */
  readonly exactLimit?: number;
  /** The engine that runs the matrix product (default onnxruntime). */
  readonly engine?: InferenceEngine;
  /** Matrix-product settings: tile size, intra-op threads. */
  readonly exact?: ExactKnnOptions;
  /** AdaptiveIndex settings (threshold, HNSW parameters). */
  readonly adaptive?: AdaptiveOptions;
}

export const DEFAULT_NEIGHBORS = 30;

/**
 * Up to this many faces the default graph is exact. Measured (docs/clustering.md, "Scaling"): at 50,000 × 128-D
 * the exact graph took 35 s against HNSW's 292 s in one run (HNSW recall@30 0.947), at 100,000 298 s against
 * 1,612 s; memory stays small (a tile of 8 MB and n × k heaps). Above 100,000: not measured, HNSW.
 */
export const EXACT_KNN_LIMIT = 100_000;

/** Row-major n × dim copy of the embeddings; every one must have the same dimension. */
export function packVectors(embeddings: readonly Float32Array[]): { data: Float32Array; dim: number } {
  const dim = embeddings[0]?.length ?? 0;
  const data = new Float32Array(embeddings.length * dim);
  embeddings.forEach((e, i) => {
    if (e.length !== dim)
      throw new FaceError(
        'INVALID_INPUT',
        `embeddings differ in dimension (${dim} and ${e.length}): were they made by one model?`,
        { index: i },
      );
    data.set(e, i * dim);
  });
  return { data, dim };
}

export async function buildKnnGraph(embeddings: readonly Float32Array[], opts: KnnOptions = {}): Promise<KnnGraph> {
  const n = embeddings.length;
  const asked = opts.k ?? DEFAULT_NEIGHBORS;
  if (!Number.isInteger(asked) || asked < 1)
    throw new FaceError('INVALID_INPUT', `k must be a positive integer, got ${asked}`);
  const k = Math.min(asked, Math.max(n - 1, 0));
  const neighbors = new Int32Array(n * k).fill(-1);
  const distances = new Float32Array(n * k).fill(Infinity);
  if (n < 2 || k === 0) return { n, k, neighbors, distances };
  const { data, dim } = packVectors(embeddings);
  const mode = opts.index ?? 'auto';
  if (mode === 'exact' || (mode === 'auto' && n <= (opts.exactLimit ?? EXACT_KNN_LIMIT))) {
    const { slots, dots } = await exactTopDots(opts.engine ?? ortEngine, data, n, dim, k, opts.exact);
    for (let e = 0; e < n * k; e++) {
      neighbors[e] = slots[e];
      distances[e] = distanceFromDot(dots[e]);
    }
    return { n, k, neighbors, distances };
  }
  if (mode === 'scan') {
    const { slots, dots } = usearchTopDotsBatch(data, n, dim, data, k + 1);
    const want = Math.min(k + 1, n);
    for (let i = 0; i < n; i++)
      fillRow(
        i,
        Array.from({ length: want }, (_, r) => ({
          label: slots[i * want + r],
          distance: distanceFromDot(dots[i * want + r]),
        })),
        k,
        neighbors,
        distances,
      );
    return { n, k, neighbors, distances };
  }
  const index = new AdaptiveIndex(dim, opts.adaptive);
  for (let i = 0; i < n; i++) index.add(i, i, data.subarray(i * dim, (i + 1) * dim));
  index.build();
  // k + 1 hits: the face itself is (nearly always) its own nearest and is dropped; batches of queries are
  // multi-threaded in HNSW mode and keep memory bounded
  const block = 4096;
  for (let start = 0; start < n; start += block) {
    const end = Math.min(n, start + block);
    const rows = index.searchBatch(data.subarray(start * dim, end * dim), k + 1);
    rows.forEach((row, q) => fillRow(start + q, row, k, neighbors, distances));
  }
  return { n, k, neighbors, distances };
}

function fillRow(
  i: number,
  row: readonly { label: number; distance: number }[],
  k: number,
  neighbors: Int32Array,
  distances: Float32Array,
): void {
  let j = 0;
  for (const h of row) {
    if (h.label === i) continue;
    if (j === k) break;
    neighbors[i * k + j] = h.label;
    distances[i * k + j] = h.distance;
    j++;
  }
}

export interface GraphComparison {
  /** Rows whose neighbour lists are identical. */
  readonly identicalRows: number;
  /**
   * Rows that are the same up to rounding and ties: rank by rank the dot products (1 − d²/2) agree within eps, and
   * every neighbour that only one of the two lists holds is at that list's k-th dot product (a tie at the cut).
   */
  readonly sameRows: number;
  /** Share of a's neighbours that b holds too (recall@k of b against a). */
  readonly recall: number;
  /** Largest rank-by-rank difference of the dot products, and of the distances. */
  readonly maxDotDiff: number;
  readonly maxDistanceDiff: number;
}

/**
 * How far graph b is from graph a (same faces, same k). Float32 dot products summed in another order (usearch's
 * kernel, onnxruntime's Gemm) differ in the last bits (≈ 1e-7), so neighbours at equal distances may swap places or
 * be cut at the k-th place; the exact graph is the same graph up to that. Compared as dot products: a distance near
 * 0 magnifies the same rounding (d = √(2 − 2·dot)).
 */
export function compareGraphs(a: KnnGraph, b: KnnGraph, eps = 1e-6): GraphComparison {
  if (a.n !== b.n || a.k !== b.k)
    throw new FaceError('INVALID_INPUT', `graphs differ in shape (${a.n} × ${a.k} and ${b.n} × ${b.k})`);
  const k = a.k;
  const dot = (d: number) => 1 - (d * d) / 2;
  let identicalRows = 0;
  let sameRows = 0;
  let found = 0;
  let maxDotDiff = 0;
  let maxDistanceDiff = 0;
  for (let i = 0; i < a.n; i++) {
    const rowA = a.neighbors.subarray(i * k, (i + 1) * k);
    const rowB = b.neighbors.subarray(i * k, (i + 1) * k);
    const inA = new Set(rowA);
    const inB = new Set(rowB);
    const cutA = dot(a.distances[i * k + k - 1]);
    const cutB = dot(b.distances[i * k + k - 1]);
    let identical = true;
    let same = true;
    for (let r = 0; r < k; r++) {
      const da = dot(a.distances[i * k + r]);
      const db = dot(b.distances[i * k + r]);
      if (rowA[r] !== rowB[r]) identical = false;
      maxDotDiff = Math.max(maxDotDiff, Math.abs(da - db));
      maxDistanceDiff = Math.max(maxDistanceDiff, Math.abs(a.distances[i * k + r] - b.distances[i * k + r]));
      if (!(Math.abs(da - db) <= eps)) same = false;
      if (inB.has(rowA[r])) found++;
      else if (!(da <= cutA + eps)) same = false;
      if (!inA.has(rowB[r]) && !(db <= cutB + eps)) same = false;
    }
    if (identical) identicalRows++;
    if (same) sameRows++;
  }
  return { identicalRows, sameRows, recall: found / (a.n * k), maxDotDiff, maxDistanceDiff };
}
