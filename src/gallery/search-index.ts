/**
 * In-memory nearest-neighbour search over L2-normalised embeddings.
 *
 * `VectorIndex` is what the gallery needs; `ExactIndex` answers it exactly with one contiguous Float32Array
 * (row i = entry i) and a dot product per row, distance = sqrt(2 - 2·dot). An approximate index (HNSW, IVF)
 * can implement the same interface when galleries outgrow a linear scan.
 *
 * Entries carry a `key` (unique, e.g. a template id) and a `label` (e.g. a person id); searches return at most
 * one hit per label — its nearest entry — so several templates of one person never crowd out other people.
 */
import { FaceError } from '../errors.js';

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

/** Distance between unit vectors from their dot product, clamped against rounding. */
export function distanceFromDot(dot: number): number {
  return Math.sqrt(Math.max(0, 2 - 2 * dot));
}

export class ExactIndex implements VectorIndex {
  private vectors: Float32Array;
  private keys: Float64Array;
  private labelOf: Int32Array;
  private count = 0;
  private readonly slotOfKey = new Map<number, number>();
  private readonly labelCounts = new Map<number, number>();

  constructor(
    readonly dim: number,
    initialCapacity = 64,
  ) {
    if (!Number.isInteger(dim) || dim <= 0) throw new FaceError('INVALID_INPUT', `index dimension must be a positive integer, got ${dim}`);
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
    if (vector.length !== this.dim) throw new FaceError('INVALID_INPUT', `index holds ${this.dim}-D vectors, got ${vector.length}-D`);
    if (!Number.isInteger(label) || label < -(2 ** 31) || label >= 2 ** 31) throw new FaceError('INVALID_INPUT', `label must be a 32-bit integer, got ${label}`);
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

  /** Dot products of `query` with every row, into `out` (length ≥ size). */
  dots(query: Float32Array, out = new Float32Array(this.count)): Float32Array {
    if (query.length !== this.dim) throw new FaceError('INVALID_INPUT', `index holds ${this.dim}-D vectors, got a ${query.length}-D query`);
    const d = this.dim;
    const v = this.vectors;
    for (let i = 0; i < this.count; i++) {
      let s = 0;
      const o = i * d;
      for (let j = 0; j < d; j++) s += v[o + j] * query[j];
      out[i] = s;
    }
    return out;
  }

  search(query: Float32Array, k: number, opts: SearchOptions = {}): SearchHit[] {
    if (k <= 0 || this.count === 0) return [];
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
    return top.map((slot) => ({ key: this.keys[slot], label: this.labelOf[slot], distance: distanceFromDot(dots[slot]) }));
  }
}
