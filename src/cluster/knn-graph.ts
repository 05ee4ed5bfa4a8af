/**
 * The k-nearest-neighbour graph every clustering algorithm here works on: for each face its k nearest other faces
 * and their L2 distances, from the gallery's own ANN index (AdaptiveIndex: exact SIMD scan up to 50,000 faces,
 * HNSW above). Clustering 100,000 faces then costs 100,000 index searches, not 10¹⁰ distances.
 *
 * Each face is its own label in the index, so a search's "one hit per label" is one hit per face.
 */
import { FaceError } from '../errors.js';
import { AdaptiveIndex, type AdaptiveOptions } from '../gallery/adaptive-index.js';
import { ExactIndex } from '../gallery/search-index.js';

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
  /** 'auto' (default): AdaptiveIndex (exact while ≤ 50,000 faces, HNSW above); 'exact': always a full scan. */
  readonly index?: 'auto' | 'exact';
  /** AdaptiveIndex settings (threshold, HNSW parameters). */
  readonly adaptive?: AdaptiveOptions;
}

export const DEFAULT_NEIGHBORS = 30;

/** Row-major n × dim copy of the embeddings; every one must have the same dimension. */
export function packVectors(embeddings: readonly Float32Array[]): { data: Float32Array; dim: number } {
  const dim = embeddings[0]?.length ?? 0;
  const data = new Float32Array(embeddings.length * dim);
  embeddings.forEach((e, i) => {
    if (e.length !== dim) throw new FaceError('INVALID_INPUT', `embeddings differ in dimension (${dim} and ${e.length}): were they made by one model?`, { index: i });
    data.set(e, i * dim);
  });
  return { data, dim };
}

export function buildKnnGraph(embeddings: readonly Float32Array[], opts: KnnOptions = {}): KnnGraph {
  const n = embeddings.length;
  const asked = opts.k ?? DEFAULT_NEIGHBORS;
  if (!Number.isInteger(asked) || asked < 1) throw new FaceError('INVALID_INPUT', `k must be a positive integer, got ${asked}`);
  const k = Math.min(asked, Math.max(n - 1, 0));
  const neighbors = new Int32Array(n * k).fill(-1);
  const distances = new Float32Array(n * k).fill(Infinity);
  if (n < 2 || k === 0) return { n, k, neighbors, distances };
  const { data, dim } = packVectors(embeddings);
  const index = opts.index === 'exact' ? new ExactIndex(dim, n) : new AdaptiveIndex(dim, opts.adaptive);
  for (let i = 0; i < n; i++) index.add(i, i, data.subarray(i * dim, (i + 1) * dim));
  if (index instanceof AdaptiveIndex) index.build();
  // k + 1 hits: the face itself is (nearly always) its own nearest and is dropped; batches of queries are
  // multi-threaded in HNSW mode and keep memory bounded
  const block = 4096;
  for (let start = 0; start < n; start += block) {
    const end = Math.min(n, start + block);
    const rows =
      index instanceof AdaptiveIndex
        ? index.searchBatch(data.subarray(start * dim, end * dim), k + 1)
        : Array.from({ length: end - start }, (_, q) => index.search(data.subarray((start + q) * dim, (start + q + 1) * dim), k + 1));
    rows.forEach((row, q) => fillRow(start + q, row, k, neighbors, distances));
  }
  return { n, k, neighbors, distances };
}

function fillRow(i: number, row: readonly { label: number; distance: number }[], k: number, neighbors: Int32Array, distances: Float32Array): void {
  let j = 0;
  for (const h of row) {
    if (h.label === i) continue;
    if (j === k) break;
    neighbors[i * k + j] = h.label;
    distances[i * k + j] = h.distance;
    j++;
  }
}
