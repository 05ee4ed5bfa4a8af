/**
 * Approximate nearest-neighbour search (HNSW) over L2-normalised embeddings, on usearch.
 *
 * `HnswIndex` implements `VectorIndex` like `ExactIndex`: unique keys (add replaces), remove, removeLabel, and
 * searches that return at most one hit per label, nearest first. usearch itself knows nothing of labels, so each
 * search over-fetches candidates (at least `expansionSearch` of them) and keeps each label's nearest; when fewer
 * than k distinct labels turn up (a person with many templates, an excluded label) it widens the search ×4 until
 * k labels are found or the index is exhausted.
 *
 * Metric: inner product on unit vectors (cosine for i8 storage, see METRIC); usearch reports 1 − dot and we return
 * sqrt(2 − 2·dot) like ExactIndex. Storage is f32 by default; f16 / bf16 / i8 shrink the stored vectors (the graph
 * itself is ~2·M·4 bytes per entry either way). With `rescore` (exact vectors by key, as AdaptiveIndex provides)
 * candidates are re-ranked by their exact dot product, so distances and the order are exact whatever the storage;
 * without it, quantised storage yields quantised distances (|error| up to ~1e-4 for f16, ~2e-2 for i8) and, for i8,
 * a visibly worse recall@1 between near-equal templates of one person (label recall is unaffected).
 *
 * usearch keys are internal ids (0, 1, 2, … never reused), so any number works as a key and re-adding a key never
 * collides with usearch's own bookkeeping of removed entries (usearch recycles their slots internally).
 *
 * `expansionSearch` (HNSW's ef): usearch searches with a beam of max(its configured ef, the number of results
 * asked for), and its JS binding has no setter for ef, so the index is created with ef = 1 and every search asks
 * for max(ef, candidates) results: ef can then change at any time, per index.
 *
 * This file, hnsw-options.ts and usearch-scan.ts are the only ones that import usearch (native, prebuilt for
 * linux-x64/arm64 and macOS; Windows builds from source). usearch-scan.ts exposes its exact (brute-force) SIMD scans
 * (re-exported here); hnsw-file.ts the on-disk format, hnsw-options.ts the settings.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Index, BatchMatches, type Matches } from 'usearch';
import { FaceError } from '../errors.js';
import { readSidecar, writeIndexFiles } from './hnsw-file.js';
import {
  ERROR_BOUND,
  HNSW_DEFAULTS,
  METRIC,
  positiveInt,
  QUANTS,
  type HnswMeta,
  type HnswOptions,
  type HnswQuantization,
} from './hnsw-options.js';
import { distanceFromDot } from '../embed/vector.js';
import { type SearchHit, type SearchOptions, type VectorIndex } from './search-index.js';

export { HNSW_DEFAULTS, type HnswMeta, type HnswOptions, type HnswQuantization } from './hnsw-options.js';
export { usearchDotScan, usearchTopDotsBatch } from './usearch-scan.js';

export class HnswIndex implements VectorIndex {
  readonly quantization: HnswQuantization;
  readonly connectivity: number;
  readonly expansionAdd: number;
  private ef: number;
  private readonly threads: number;
  private readonly rescore?: (key: number, query: Float32Array) => number;
  private native: Index;
  /** key → internal id */
  private readonly idOfKey = new Map<number, number>();
  /** internal id → key / label (valid while idOfKey maps the key back to that id) */
  private keyOfId = new Float64Array(64);
  private labelOfId = new Int32Array(64);
  private readonly keysOfLabel = new Map<number, Set<number>>();
  private nextId = 0;

  constructor(
    readonly dim: number,
    opts: HnswOptions = {},
  ) {
    if (!Number.isInteger(dim) || dim <= 0)
      throw new FaceError('INVALID_INPUT', `index dimension must be a positive integer, got ${dim}`);
    this.quantization = opts.quantization ?? HNSW_DEFAULTS.quantization;
    if (!(this.quantization in QUANTS))
      throw new FaceError('INVALID_INPUT', `unknown quantization ${this.quantization}`);
    this.connectivity = positiveInt('connectivity', opts.connectivity ?? HNSW_DEFAULTS.connectivity);
    this.expansionAdd = positiveInt('expansionAdd', opts.expansionAdd ?? HNSW_DEFAULTS.expansionAdd);
    this.ef = positiveInt('expansionSearch', opts.expansionSearch ?? HNSW_DEFAULTS.expansionSearch);
    // usearch reserves one search context per thread when it grows (on add) and fails a batch search that runs
    // more threads than contexts ("Reserve capacity ahead of searches!"), so every call passes the same count
    this.threads = Math.min(opts.threads || availableParallelism(), availableParallelism());
    this.rescore = opts.rescore;
    this.native = this.createNative();
  }

  private createNative(): Index {
    return new Index({
      dimensions: this.dim,
      metric: METRIC[this.quantization],
      quantization: QUANTS[this.quantization],
      connectivity: this.connectivity,
      expansion_add: this.expansionAdd,
      // the beam is max(this, results asked for): searches ask for ≥ ef results, so ef lives on our side
      expansion_search: 1,
      multi: false,
    });
  }

  get size(): number {
    return this.idOfKey.size;
  }

  get labels(): number {
    return this.keysOfLabel.size;
  }

  /** HNSW ef: the search beam width, traded against recall. */
  get expansionSearch(): number {
    return this.ef;
  }

  set expansionSearch(ef: number) {
    this.ef = positiveInt('expansionSearch', ef);
  }

  has(key: number): boolean {
    return this.idOfKey.has(key);
  }

  private checkVector(vector: Float32Array, what = 'vectors'): void {
    if (vector.length !== this.dim)
      throw new FaceError('INVALID_INPUT', `index holds ${this.dim}-D ${what}, got ${vector.length}-D`);
  }

  private checkLabel(label: number): void {
    if (!Number.isInteger(label) || label < -(2 ** 31) || label >= 2 ** 31)
      throw new FaceError('INVALID_INPUT', `label must be a 32-bit integer, got ${label}`);
  }

  private ensureIds(n: number): void {
    if (n <= this.keyOfId.length) return;
    let cap = this.keyOfId.length;
    while (cap < n) cap *= 2;
    const k = new Float64Array(cap);
    k.set(this.keyOfId);
    const l = new Int32Array(cap);
    l.set(this.labelOfId);
    this.keyOfId = k;
    this.labelOfId = l;
  }

  private track(key: number, label: number, id: number): void {
    this.keyOfId[id] = key;
    this.labelOfId[id] = label;
    this.idOfKey.set(key, id);
    let set = this.keysOfLabel.get(label);
    if (!set) this.keysOfLabel.set(label, (set = new Set()));
    set.add(key);
  }

  add(key: number, label: number, vector: Float32Array): void {
    this.checkVector(vector);
    this.checkLabel(label);
    this.remove(key);
    const id = this.nextId++;
    this.ensureIds(this.nextId);
    this.native.add(BigInt(id), vector, this.threads); // one task runs inline; the count sizes usearch's reservations
    this.track(key, label, id);
  }

  /**
   * Add many entries in one multi-threaded insert (rows of `vectors`, row-major). Replaces existing keys like add.
   * Much faster than add() in a loop on a multi-core machine.
   */
  addMany(keys: ArrayLike<number>, labels: ArrayLike<number>, vectors: Float32Array): void {
    const n = keys.length;
    if (labels.length !== n || vectors.length !== n * this.dim)
      throw new FaceError(
        'INVALID_INPUT',
        `addMany needs ${n} labels and ${n}×${this.dim} vector values, got ${labels.length} and ${vectors.length}`,
      );
    if (n === 0) return;
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) {
      this.checkLabel(labels[i]);
      if (seen.has(keys[i])) throw new FaceError('INVALID_INPUT', `addMany: key ${keys[i]} appears twice`);
      seen.add(keys[i]);
    }
    for (let i = 0; i < n; i++) this.remove(keys[i]);
    const ids = new BigUint64Array(n);
    const first = this.nextId;
    this.nextId += n;
    this.ensureIds(this.nextId);
    for (let i = 0; i < n; i++) ids[i] = BigInt(first + i);
    this.native.add(ids, vectors, this.threads);
    for (let i = 0; i < n; i++) this.track(keys[i], labels[i], first + i);
  }

  remove(key: number): boolean {
    const id = this.idOfKey.get(key);
    if (id === undefined) return false;
    this.native.remove(BigInt(id));
    this.idOfKey.delete(key);
    const label = this.labelOfId[id];
    const set = this.keysOfLabel.get(label);
    if (set) {
      set.delete(key);
      if (set.size === 0) this.keysOfLabel.delete(label);
    }
    return true;
  }

  removeLabel(label: number): number {
    const set = this.keysOfLabel.get(label);
    if (!set) return 0;
    const keys = [...set];
    for (const k of keys) this.remove(k);
    return keys.length;
  }

  /** How many candidates a search for k labels starts with. */
  private firstFetch(k: number, opts: SearchOptions): number {
    const perLabel = this.labels > 0 ? this.size / this.labels : 1;
    const excluded = opts.excludeLabel === undefined ? 0 : (this.keysOfLabel.get(opts.excludeLabel)?.size ?? 0);
    return Math.max(this.ef, Math.ceil(k * perLabel * 2) + excluded);
  }

  /** Hits from one query's candidates (ids, usearch distances), or undefined when more candidates are needed. */
  private collect(
    query: Float32Array,
    ids: BigUint64Array,
    distances: Float32Array,
    count: number,
    k: number,
    opts: SearchOptions,
    exhausted: boolean,
  ): SearchHit[] | undefined {
    const exclude = opts.excludeLabel;
    const best = new Map<number, { key: number; dot: number }>();
    const rescore = this.rescore;
    const bound = ERROR_BOUND[this.quantization];
    let kth = -Infinity; // k-th best exact dot among labels found, once there are k
    let kthStale = true;
    for (let i = 0; i < count; i++) {
      const approx = 1 - distances[i];
      if (rescore && best.size >= k) {
        if (kthStale) {
          kth = kthLargest(best, k);
          kthStale = false;
        }
        // candidates come nearest first: this one and all after it have exact dot ≤ approx + bound < kth
        if (approx + bound < kth) break;
      }
      const id = Number(ids[i]);
      const key = this.keyOfId[id];
      if (this.idOfKey.get(key) !== id) continue; // removed (usearch should not return it; belt and braces)
      const label = this.labelOfId[id];
      if (label === exclude) continue;
      let dot = approx;
      if (rescore) {
        const exact = rescore(key, query);
        if (!Number.isNaN(exact)) dot = exact;
      }
      const cur = best.get(label);
      if (!cur) {
        // without re-scoring, candidates come nearest first: the first k labels are the answer
        best.set(label, { key, dot });
        kthStale = true;
        if (!rescore && best.size === k) break;
      } else if (dot > cur.dot) {
        cur.key = key;
        cur.dot = dot;
        kthStale = true;
      }
    }
    if (best.size < k && !exhausted) {
      // every label there is (bar the excluded one) has been found: a wider search cannot add any
      const reachable = this.labels - (exclude !== undefined && this.keysOfLabel.has(exclude) ? 1 : 0);
      if (best.size < reachable) return undefined;
    }
    return [...best.entries()]
      .sort((a, b) => b[1].dot - a[1].dot)
      .slice(0, k)
      .map(([label, b]) => ({ key: b.key, label, distance: distanceFromDot(b.dot) }));
  }

  private searchOne(query: Float32Array, k: number, opts: SearchOptions, fetch: number): SearchHit[] {
    for (;;) {
      const m = this.native.search(query, fetch, 1);
      const count = m.keys.length;
      // fewer results than asked: the graph has nothing more to give
      const exhausted = count < fetch || fetch >= this.nextId;
      const hits = this.collect(query, m.keys, m.distances, count, k, opts, exhausted);
      if (hits) return hits;
      fetch *= 4;
    }
  }

  search(query: Float32Array, k: number, opts: SearchOptions = {}): SearchHit[] {
    this.checkVector(query, 'vectors, got a query of');
    if (k <= 0 || this.size === 0) return [];
    return this.searchOne(query, k, opts, this.firstFetch(k, opts));
  }

  /**
   * Search many queries (row-major, n × dim) in one multi-threaded call; same answers as search() per query.
   * Queries that need a wider search than the first pass are redone one by one.
   */
  searchBatch(queries: Float32Array, k: number, opts: SearchOptions = {}): SearchHit[][] {
    if (queries.length % this.dim !== 0)
      throw new FaceError('INVALID_INPUT', `queries must be n × ${this.dim} values, got ${queries.length}`);
    const n = queries.length / this.dim;
    if (k <= 0 || this.size === 0 || n === 0) return Array.from({ length: n }, () => []);
    const fetch = this.firstFetch(k, opts);
    // a flat n × dim array is searched as a batch (BatchMatches) when n > 1; usearch's typings only know Matches
    const all = this.native.search(queries, fetch, this.threads) as Matches | BatchMatches;
    const out: SearchHit[][] = [];
    for (let q = 0; q < n; q++) {
      const query = queries.subarray(q * this.dim, (q + 1) * this.dim);
      const m = all instanceof BatchMatches ? all.get(q) : all;
      const count = m.keys.length;
      const exhausted = count < fetch || fetch >= this.nextId;
      out.push(
        this.collect(query, m.keys, m.distances, count, k, opts, exhausted) ??
          this.searchOne(query, k, opts, fetch * 4),
      );
    }
    return out;
  }

  /** Bytes of the native index as saved (vectors + graph); a fair estimate of its memory. */
  serializedBytes(): number {
    const tmp = path.join(process.env.TMPDIR ?? '/tmp', `hnsw-size-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      this.native.save(tmp);
      return statSync(tmp).size;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /**
   * Write the index atomically beside `file` (the usearch file, then the JSON sidecar `file` as the commit: see
   * hnsw-file.ts), with `meta` in the sidecar.
   */
  save(file: string, meta: HnswMeta): void {
    const ids: number[] = [];
    const keys: number[] = [];
    const labels: number[] = [];
    for (const [key, id] of this.idOfKey) {
      ids.push(id);
      keys.push(key);
      labels.push(this.labelOfId[id]);
    }
    const settings = {
      dim: this.dim,
      quantization: this.quantization,
      connectivity: this.connectivity,
      expansionAdd: this.expansionAdd,
      expansionSearch: this.ef,
    };
    writeIndexFiles(file, (indexPath) => this.native.save(indexPath), {
      ...settings,
      nextId: this.nextId,
      ids,
      keys,
      labels,
      meta,
    });
  }

  /**
   * Load what save() wrote. undefined when `file` does not exist; FaceError GALLERY_ERROR when it or its usearch
   * file is unreadable, inconsistent or corrupt. `opts` supplies what is not saved (threads, rescore) and may
   * override expansionSearch.
   */
  static load(
    file: string,
    opts: Pick<HnswOptions, 'threads' | 'rescore' | 'expansionSearch'> = {},
  ): { index: HnswIndex; meta: HnswMeta } | undefined {
    if (!existsSync(file)) return undefined;
    const fail = (why: string, cause?: unknown): never => {
      throw new FaceError(
        'GALLERY_ERROR',
        `HNSW index ${file} is unusable: ${why}`,
        { file },
        cause === undefined ? undefined : { cause },
      );
    };
    const { sidecar: s, indexPath } = readSidecar(file, fail);
    const index = new HnswIndex(s.dim, {
      quantization: s.quantization,
      connectivity: s.connectivity,
      expansionAdd: s.expansionAdd,
      expansionSearch: opts.expansionSearch ?? s.expansionSearch,
      threads: opts.threads,
      rescore: opts.rescore,
    });
    try {
      index.native.load(indexPath);
    } catch (e) {
      return fail(`its graph file ${s.indexFile} cannot be read (${(e as Error).message})`, e);
    }
    if (index.native.dimensions() !== s.dim)
      return fail(`its graph file holds ${index.native.dimensions()}-D vectors, its sidecar says ${s.dim}`);
    if (index.native.size() !== s.ids.length)
      return fail(`its graph file holds ${index.native.size()} entries, its sidecar lists ${s.ids.length}`);
    index.nextId = s.nextId;
    index.ensureIds(s.nextId);
    for (let i = 0; i < s.ids.length; i++) {
      const id = s.ids[i];
      const key = s.keys[i];
      const label = s.labels[i];
      if (
        !Number.isInteger(id) ||
        id < 0 ||
        id >= s.nextId ||
        typeof key !== 'number' ||
        !Number.isInteger(label) ||
        index.idOfKey.has(key)
      )
        return fail(`entry ${i} is invalid`);
      index.track(key, label, id);
    }
    // a spot check that ids in the sidecar are the ones usearch holds
    for (let i = 0; i < Math.min(16, s.ids.length); i++) {
      const id = s.ids[Math.floor((i * s.ids.length) / 16)];
      if (!index.native.contains(BigInt(id))) return fail(`its graph file lacks entry ${id} listed in the sidecar`);
    }
    return { index, meta: s.meta };
  }
}

function kthLargest(best: Map<number, { dot: number }>, k: number): number {
  const dots: number[] = [];
  for (const b of best.values()) dots.push(b.dot);
  dots.sort((a, b) => b - a);
  return dots[k - 1];
}
