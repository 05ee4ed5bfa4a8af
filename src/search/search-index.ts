/**
 * In-memory nearest-neighbour search over L2-normalised embeddings.
 *
 * `VectorIndex` is what the gallery needs; `ExactIndex` answers it exactly with one contiguous Float32Array
 * (row i = entry i) and a dot product per row, distance = sqrt(2 - 2·dot): a scan picks the best n rows (n ≥ 64,
 * a small heap), and the first row of each label among them is that label's nearest entry; n widens ×4 until k
 * labels turn up. The scan is JS by default, or a faster `TopDotScan` (usearch's SIMD one: `usearchDotScan` in
 * hnsw-index.ts, ≈4–8× faster). `HnswIndex` (approximate) and `AdaptiveIndex` (exact while small, HNSW when large)
 * implement the same interface for galleries that outgrow a linear scan.
 *
 * Entries carry a `key` (unique, e.g. a template id) and a `label` (e.g. a person id); searches return at most
 * one hit per label — its nearest entry — so several templates of one person never crowd out other people.
 */
import { FaceError } from '../errors.js';
import { distanceFromDot } from '../embed/vector.js';

export interface SearchHit {
  readonly key: number;
  readonly label: number;
  /** Euclidean distance between the query and the entry (both unit length): sqrt(2 - 2·dot). */
  readonly distance: number;
}

export interface SearchOptions {
  /** Ignore entries with this label (e.g. the person being enrolled). */
  readonly excludeLabel?: number;
}

export interface VectorIndex {
  readonly dim: number;
  /** Number of entries. */
  readonly size: number;
  /** Number of distinct labels. */
  readonly labels: number;
  /** Add an entry; replaces an existing entry with the same key. */
  add(key: number, label: number, vector: Float32Array): void;
  /** Remove one entry; false when absent. */
  remove(key: number): boolean;
  /** Remove every entry with this label; returns how many. */
  removeLabel(label: number): number;
  /** Up to k hits, one per label (its nearest entry), nearest first. */
  search(query: Float32Array, k: number, opts?: SearchOptions): SearchHit[];
}

/**
 * A top-n scan by dot product: the (at most) n rows of `data` (count × dim, row-major, starting at byte offset 0)
 * with the largest dot product with `query`, best first, as row numbers and their dot products.
 * ExactIndex uses one, when given, in place of its JS loop (e.g. usearch's SIMD scan, `usearchDotScan`).
 */
export type TopDotScan = (
  data: Float32Array,
  count: number,
  dim: number,
  query: Float32Array,
  n: number,
) => { readonly slots: ArrayLike<number>; readonly dots: ArrayLike<number> };

export interface ExactIndexOptions {
  /** A faster top-n scan than the built-in JS loop; results are the same up to float rounding and ties. */
  readonly scan?: TopDotScan;
}

/**
 * Dot product of v[o..o+d) with q. Four accumulators: independent adds pipeline, ≈1.5× a single-accumulator
 * loop (V8 inlines this into the scan loop).
 */
function dotAt(v: Float32Array, o: number, q: Float32Array, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const d4 = d - (d % 4);
  let j = 0;
  for (; j < d4; j += 4) {
    s0 += v[o + j] * q[j];
    s1 += v[o + j + 1] * q[j + 1];
    s2 += v[o + j + 2] * q[j + 2];
    s3 += v[o + j + 3] * q[j + 3];
  }
  for (; j < d; j++) s0 += v[o + j] * q[j];
  return s0 + s1 + (s2 + s3);
}

/** The n largest of values[0..count) with their indices, largest first (a min-heap of n; n ≤ count). */
export function topN(values: Float32Array, count: number, n: number): { slots: Uint32Array; dots: Float32Array } {
  const hs = new Uint32Array(n); // heap of indices, smallest value at the root
  let size = 0;
  const sift = (pos: number): void => {
    const idx = hs[pos];
    const v = values[idx];
    for (;;) {
      let c = 2 * pos + 1;
      if (c >= size) break;
      if (c + 1 < size && values[hs[c + 1]] < values[hs[c]]) c++;
      if (values[hs[c]] >= v) break;
      hs[pos] = hs[c];
      pos = c;
    }
    hs[pos] = idx;
  };
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (size < n) {
      // sift up
      let pos = size++;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (values[hs[parent]] <= v) break;
        hs[pos] = hs[parent];
        pos = parent;
      }
      hs[pos] = i;
    } else if (v > values[hs[0]]) {
      hs[0] = i;
      sift(0);
    }
  }
  const slots = hs.slice(0, size).sort((a, b) => values[b] - values[a] || a - b);
  const dots = new Float32Array(size);
  for (let i = 0; i < size; i++) dots[i] = values[slots[i]];
  return { slots, dots };
}

export class ExactIndex implements VectorIndex {
  private vectors: Float32Array;
  private keys: Float64Array;
  private labelOf: Int32Array;
  private count = 0;
  private readonly slotOfKey = new Map<number, number>();
  private readonly labelCounts = new Map<number, number>();
  private readonly scan?: TopDotScan;

  constructor(
    readonly dim: number,
    initialCapacity = 64,
    opts: ExactIndexOptions = {},
  ) {
    this.scan = opts.scan;
    if (!Number.isInteger(dim) || dim <= 0)
      throw new FaceError('INVALID_INPUT', `index dimension must be a positive integer, got ${dim}`);
    const cap = Math.max(1, initialCapacity);
    this.vectors = new Float32Array(cap * dim);
    this.keys = new Float64Array(cap);
    this.labelOf = new Int32Array(cap);
  }

  get size(): number {
    return this.count;
  }

  get labels(): number {
    return this.labelCounts.size;
  }

  private grow(): void {
    const cap = this.keys.length * 2;
    const v = new Float32Array(cap * this.dim);
    v.set(this.vectors);
    const k = new Float64Array(cap);
    k.set(this.keys);
    const l = new Int32Array(cap);
    l.set(this.labelOf);
    this.vectors = v;
    this.keys = k;
    this.labelOf = l;
  }

  add(key: number, label: number, vector: Float32Array): void {
    if (vector.length !== this.dim)
      throw new FaceError('INVALID_INPUT', `index holds ${this.dim}-D vectors, got ${vector.length}-D`);
    if (!Number.isInteger(label) || label < -(2 ** 31) || label >= 2 ** 31)
      throw new FaceError('INVALID_INPUT', `label must be a 32-bit integer, got ${label}`);
    this.remove(key);
    if (this.count === this.keys.length) this.grow();
    const slot = this.count++;
    this.vectors.set(vector, slot * this.dim);
    this.keys[slot] = key;
    this.labelOf[slot] = label;
    this.slotOfKey.set(key, slot);
    this.labelCounts.set(label, (this.labelCounts.get(label) ?? 0) + 1);
  }

  remove(key: number): boolean {
    const slot = this.slotOfKey.get(key);
    if (slot === undefined) return false;
    const label = this.labelOf[slot];
    const last = --this.count;
    if (slot !== last) {
      // move the last row into the hole: rows stay contiguous
      this.vectors.copyWithin(slot * this.dim, last * this.dim, (last + 1) * this.dim);
      this.keys[slot] = this.keys[last];
      this.labelOf[slot] = this.labelOf[last];
      this.slotOfKey.set(this.keys[slot], slot);
    }
    this.slotOfKey.delete(key);
    const n = (this.labelCounts.get(label) ?? 1) - 1;
    if (n > 0) this.labelCounts.set(label, n);
    else this.labelCounts.delete(label);
    return true;
  }

  removeLabel(label: number): number {
    const doomed: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.labelOf[i] === label) doomed.push(this.keys[i]);
    for (const k of doomed) this.remove(k);
    return doomed.length;
  }

  has(key: number): boolean {
    return this.slotOfKey.has(key);
  }

  /** The label of `key`, or undefined. */
  label(key: number): number | undefined {
    const slot = this.slotOfKey.get(key);
    return slot === undefined ? undefined : this.labelOf[slot];
  }

  /** Dot product of `query` with the vector of `key`; NaN when absent. Summed like dots(), so equal to it. */
  dotKey(key: number, query: Float32Array): number {
    const slot = this.slotOfKey.get(key);
    return slot === undefined ? NaN : dotAt(this.vectors, slot * this.dim, query, this.dim);
  }

  /** The vector of `key` (a copy), or undefined. */
  vector(key: number): Float32Array | undefined {
    const slot = this.slotOfKey.get(key);
    return slot === undefined ? undefined : this.vectors.slice(slot * this.dim, (slot + 1) * this.dim);
  }

  /**
   * Every entry as views: row i of `vectors` (size × dim) has key keys[i] and label labels[i]. The views are only
   * valid until the next add or remove.
   */
  rows(): { readonly vectors: Float32Array; readonly keys: Float64Array; readonly labels: Int32Array } {
    return {
      vectors: this.vectors.subarray(0, this.count * this.dim),
      keys: this.keys.subarray(0, this.count),
      labels: this.labelOf.subarray(0, this.count),
    };
  }

  private checkQuery(query: Float32Array): void {
    if (query.length !== this.dim)
      throw new FaceError('INVALID_INPUT', `index holds ${this.dim}-D vectors, got a ${query.length}-D query`);
  }

  /** Dot products of `query` with every row, into `out` (length ≥ size). */
  dots(query: Float32Array, out = new Float32Array(this.count)): Float32Array {
    this.checkQuery(query);
    const d = this.dim;
    const v = this.vectors;
    for (let i = 0, o = 0; i < this.count; i++, o += d) out[i] = dotAt(v, o, query, d);
    return out;
  }

  search(query: Float32Array, k: number, opts: SearchOptions = {}): SearchHit[] {
    this.checkQuery(query);
    if (k <= 0 || this.count === 0) return [];
    const hits = this.searchWithScan(this.scan ?? this.jsScan, query, k, opts);
    if (hits) return hits;
    const dots = this.dots(query);
    // best row per label
    const bestSlot = new Map<number, number>();
    for (let i = 0; i < this.count; i++) {
      const label = this.labelOf[i];
      if (label === opts.excludeLabel) continue;
      const cur = bestSlot.get(label);
      if (cur === undefined || dots[i] > dots[cur]) bestSlot.set(label, i);
    }
    // top-k by dot: keep a small sorted buffer (k is small; labels may be many)
    const top: number[] = [];
    for (const slot of bestSlot.values()) {
      if (top.length === k && dots[slot] <= dots[top[k - 1]]) continue;
      let pos = top.length < k ? top.length : k - 1;
      if (top.length < k) top.push(slot);
      while (pos > 0 && dots[top[pos - 1]] < dots[slot]) {
        top[pos] = top[pos - 1];
        pos--;
      }
      top[pos] = slot;
    }
    return top.map((slot) => ({
      key: this.keys[slot],
      label: this.labelOf[slot],
      distance: distanceFromDot(dots[slot]),
    }));
  }

  private scratch = new Float32Array(0);

  /** The built-in TopDotScan: dots() into a reused buffer, then the n best rows with a small min-heap. */
  private readonly jsScan: TopDotScan = (_data, count, _dim, query, n) => {
    if (this.scratch.length < count) this.scratch = new Float32Array(this.keys.length);
    const dots = this.dots(query, this.scratch);
    return topN(dots, count, n);
  };

  /**
   * Top-k labels from the n best rows of a scan, widening n ×4 while fewer than k labels turn up; undefined
   * once n would pass a quarter of the rows (small indexes, k near the number of labels): the JS pass then does.
   * The first row of each label in best-first order is that label's nearest entry, so this is exact.
   */
  private searchWithScan(
    scan: TopDotScan,
    query: Float32Array,
    k: number,
    opts: SearchOptions,
  ): SearchHit[] | undefined {
    const exclude = opts.excludeLabel;
    const reachable = this.labelCounts.size - (exclude !== undefined && this.labelCounts.has(exclude) ? 1 : 0);
    const want = Math.min(k, reachable);
    if (want <= 0) return [];
    const perLabel = this.count / this.labelCounts.size;
    let n = Math.max(
      64,
      Math.ceil(want * perLabel * 2) + (exclude === undefined ? 0 : (this.labelCounts.get(exclude) ?? 0)),
    );
    for (;;) {
      if (n > this.count / 4) return undefined;
      const { slots, dots } = scan(this.vectors, this.count, this.dim, query, n);
      const hits: SearchHit[] = [];
      const seen = new Set<number>();
      for (let i = 0; i < slots.length && hits.length < want; i++) {
        const slot = slots[i];
        const label = this.labelOf[slot];
        if (label === exclude || seen.has(label)) continue;
        seen.add(label);
        hits.push({ key: this.keys[slot], label, distance: distanceFromDot(dots[i]) });
      }
      if (hits.length === want) return hits;
      n *= 4;
    }
  }
}
