/**
 * The exact k-NN graph from a blocked matrix product: the n × n dot products of the embeddings in tiles of the upper
 * triangle (rows [r0, r1) against columns [c0, c1), c1 > r0), each pair computed once by the engine's multi-threaded
 * Gemm (src/engine/dot-products.ts), and both faces of a pair offered to each other's top-k.
 *
 * Each face keeps its k best neighbours in a min-heap ordered by (dot, −index): the root is the worst kept one, a
 * pair enters when it beats the root, and a tie in the dot product goes to the smaller index. So the result depends
 * on the dot products alone, not on the tiling or the order pairs are seen in.
 */
import type { InferenceEngine } from '../engine/engine.js';
import { loadDotProducts } from '../engine/dot-products.js';

export interface ExactKnnOptions {
  /** Rows and columns of one tile (default 1024 × 2048: an 8 MB block of dot products). */
  readonly tile?: { readonly rows: number; readonly cols: number };
  /**
   * Intra-op threads of the matrix product (absent: the engine's default, one per core; 0: onnxruntime's own choice,
   * which was one thread on a 2-core VM).
   */
  readonly threads?: number;
}

/** Each face's k nearest others as dot products, nearest first; ties by the smaller index. */
export async function exactTopDots(
  engine: InferenceEngine,
  data: Float32Array,
  n: number,
  dim: number,
  k: number,
  opts: ExactKnnOptions = {},
): Promise<{ slots: Int32Array; dots: Float32Array }> {
  const heaps = new TopK(n, k);
  const rowsPerTile = opts.tile?.rows ?? 1024;
  const colsPerTile = opts.tile?.cols ?? 2048;
  const product = await loadDotProducts(engine, dim, opts.threads);
  try {
    for (let r0 = 0; r0 < n; r0 += rowsPerTile) {
      const r1 = Math.min(n, r0 + rowsPerTile);
      for (let c0 = r0; c0 < n; c0 += colsPerTile) {
        const c1 = Math.min(n, c0 + colsPerTile);
        const block = await product.dots(
          data.subarray(r0 * dim, r1 * dim),
          r1 - r0,
          data.subarray(c0 * dim, c1 * dim),
          c1 - c0,
        );
        heaps.offerTile(block, r0, r1, c0, c1);
      }
    }
  } finally {
    await product.close();
  }
  return heaps.sorted();
}

/** n fixed-size min-heaps of (dot, index), flat in typed arrays. */
export class TopK {
  private readonly dots: Float32Array;
  private readonly slots: Int32Array;
  /** Each heap's root dot: what a new neighbour must reach (−Infinity until the heap is full of real ones). */
  private readonly floor: Float32Array;

  constructor(
    private readonly n: number,
    private readonly k: number,
  ) {
    this.dots = new Float32Array(n * k).fill(-Infinity);
    this.slots = new Int32Array(n * k).fill(-1);
    this.floor = new Float32Array(n).fill(-Infinity);
  }

  /** Every pair (i, j) of a tile with j > i, offered to i's heap and to j's. */
  offerTile(block: Float32Array, r0: number, r1: number, c0: number, c1: number): void {
    const cols = c1 - c0;
    const colFloor = this.floor.subarray(c0, c1);
    for (let i = r0; i < r1; i++) {
      const row = block.subarray((i - r0) * cols, (i - r0 + 1) * cols);
      let fi = this.floor[i];
      // one test per pair in the common case: neither face wants it (2–3× faster than two separate tests)
      for (let c = Math.max(0, i + 1 - c0); c < cols; c++) {
        const d = row[c];
        if (d >= fi || d >= colFloor[c]) {
          if (d >= fi) {
            this.offer(i, c0 + c, d);
            fi = this.floor[i];
          }
          if (d >= colFloor[c]) this.offer(c0 + c, i, d);
        }
      }
    }
  }

  /** Put (d, j) into i's heap if it beats the root: a larger dot, or an equal one with a smaller index. */
  private offer(i: number, j: number, d: number): void {
    const { dots, slots, k } = this;
    const h = i * k;
    if (d === dots[h] && !(j < slots[h] || slots[h] < 0)) return;
    // sift down from the root: the child that is worse (smaller dot, or equal dot and larger index) moves up
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      if (l >= k) break;
      let c = l;
      if (l + 1 < k && worse(dots[h + l + 1], slots[h + l + 1], dots[h + l], slots[h + l])) c = l + 1;
      if (!worse(dots[h + c], slots[h + c], d, j)) break;
      dots[h + p] = dots[h + c];
      slots[h + p] = slots[h + c];
      p = c;
    }
    dots[h + p] = d;
    slots[h + p] = j;
    this.floor[i] = dots[h];
  }

  /** Row i: its neighbours nearest first (larger dot first, ties by the smaller index); −1 / −Infinity pad. */
  sorted(): { slots: Int32Array; dots: Float32Array } {
    const { n, k } = this;
    const slots = new Int32Array(n * k);
    const dots = new Float32Array(n * k);
    const order = Array.from({ length: k }, (_, r) => r);
    for (let i = 0; i < n; i++) {
      const h = i * k;
      order.sort((a, b) => (worse(this.dots[h + a], this.slots[h + a], this.dots[h + b], this.slots[h + b]) ? 1 : -1));
      for (let r = 0; r < k; r++) {
        slots[h + r] = this.slots[h + order[r]];
        dots[h + r] = this.dots[h + order[r]];
      }
    }
    return { slots, dots };
  }
}

/** (d1, s1) ranks below (d2, s2): a smaller dot, or the same dot and a larger index (an empty slot, −1, is worst). */
function worse(d1: number, s1: number, d2: number, s2: number): boolean {
  if (d1 !== d2) return d1 < d2;
  if (s1 < 0 || s2 < 0) return s1 < 0 && s2 >= 0;
  return s1 > s2;
}
