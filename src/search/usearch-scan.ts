/**
 * usearch's exact (brute-force, SIMD) scans: one query at a time for ExactIndex, or many at once for the k-NN graph
 * of clustering. Beside hnsw-index.ts and hnsw-options.ts, the only module that imports usearch.
 */
import { exactSearch, MetricKind } from 'usearch';
import type { TopDotScan } from './search-index.js';

/** The array itself if it starts its buffer, else a copy that does (see usearchDotScan). */
function atOffsetZero(v: Float32Array): Float32Array {
  return v.byteOffset === 0 ? v : v.slice();
}

/**
 * usearch's exact (brute-force, SIMD, multi-threaded) scan as a `TopDotScan` for ExactIndex: the n rows of `data`
 * with the largest dot product with `query`, best first.
 * usearch's exactSearch reads from the start of each typed array's buffer, ignoring byteOffset, so views are copied
 * first (ExactIndex's rows start at offset 0 and are passed as is).
 * One thread by default: the scan is memory-bound (1e6 × 128-D in ≈ 26 ms on one core, at memory bandwidth), and
 * a second thread was slower whenever the other core had work (e.g. 41 ms vs 26 ms at 1e6 on a loaded 2-core VM).
 */
export function usearchDotScan(threads = 1): TopDotScan {
  return (data, count, dim, query, n) => {
    const rows = atOffsetZero(data.subarray(0, count * dim));
    const m = exactSearch(rows, atOffsetZero(query), dim, Math.min(n, count), MetricKind.IP, threads);
    const keys = m.keys;
    const slots = new Uint32Array(keys.length);
    const dots = new Float32Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      slots[i] = Number(keys[i]);
      dots[i] = 1 - m.distances[i];
    }
    return { slots, dots };
  };
}

/**
 * usearch's exact scan for many queries at once: for each row of `queries`, the n rows of `data` with the largest
 * dot product, best first (row q's at [q·n, (q+1)·n)). usearch's exact_search fills a queries × rows distance matrix
 * before selecting, so it runs over blocks of 16 queries: on 13,233 × 128-D, 16 per call took 3.4 s, 64 5.4 s,
 * 256 24 s, and one query per call (ExactIndex's path) 7.1 s (scripts/bench-knn.ts, docs/clustering.md).
 */
export function usearchTopDotsBatch(
  data: Float32Array,
  count: number,
  dim: number,
  queries: Float32Array,
  n: number,
  threads = 1,
): { slots: Int32Array; dots: Float32Array } {
  const rows = atOffsetZero(data.subarray(0, count * dim));
  const total = Math.floor(queries.length / dim);
  const want = Math.min(n, count);
  const slots = new Int32Array(total * want);
  const dots = new Float32Array(total * want);
  const block = 16;
  for (let start = 0; start < total; start += block) {
    const end = Math.min(total, start + block);
    // a fresh copy: exactSearch ignores byteOffset, and a one-row batch answers in another shape
    const m = exactSearch(rows, queries.slice(start * dim, end * dim), dim, want, MetricKind.IP, threads);
    for (let i = 0; i < (end - start) * want; i++) {
      slots[start * want + i] = Number(m.keys[i]);
      dots[start * want + i] = 1 - m.distances[i];
    }
  }
  return { slots, dots };
}
