/**
 * The k-nearest-neighbour graph every clustering algorithm here works on: for each face its k nearest other faces
 * and their L2 distances. Up to 50,000 faces (AdaptiveIndex's threshold) it is exact: usearch's SIMD scan over
 * blocks of 16 faces at once (usearchTopDotsBatch; about 2× faster than one index search per face, docs/clustering.md).
 * Above, it comes from the gallery's own ANN index (AdaptiveIndex in HNSW mode), so clustering 100,000 faces costs
 * 100,000 index searches, not 10¹⁰ distances.
 *
 * Each face is its own label in the index, so a search's "one hit per label" is one hit per face.
 */
import { FaceError } from '../errors.js';
import { ADAPTIVE_DEFAULT_THRESHOLD, AdaptiveIndex, type AdaptiveOptions } from '../gallery/adaptive-index.js';
import { usearchTopDotsBatch } from '../gallery/hnsw-index.js';
import { distanceFromDot } from '../gallery/search-index.js';

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
   * 'auto' (default): the batched exact scan while ≤ the AdaptiveIndex threshold (50,000 faces), the ANN index
   * above; 'exact': always the batched exact scan; 'index': always AdaptiveIndex, one search per face (its exact
   * scan below its threshold, HNSW above; the former default, kept for comparison).
   */
  readonly index?: 'auto' | 'exact' | 'index';
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
  const threshold = opts.adaptive?.threshold ?? ADAPTIVE_DEFAULT_THRESHOLD;
  if (opts.index === 'exact' || (opts.index !== 'index' && n <= threshold)) {
    const { slots, dots } = usearchTopDotsBatch(data, n, dim, data, k + 1);
    const want = Math.min(k + 1, n);
    for (let i = 0; i < n; i++)
      fillRow(i, Array.from({ length: want }, (_, r) => ({ label: slots[i * want + r], distance: distanceFromDot(dots[i * want + r]) })), k, neighbors, distances);
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
