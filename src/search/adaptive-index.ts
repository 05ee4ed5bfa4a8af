/**
 * A `VectorIndex` that is exact while small and HNSW when large.
 *
 * Up to `threshold` entries (50,000) it is an ExactIndex with usearch's SIMD scan: measured 0.2 ms a query at 1e4,
 * 2.2 ms at 1e5 (28 ms at 1e6), so ≈1 ms at the threshold. Above it, an HnswIndex is built from the exact index's
 * vectors and answers searches; below threshold/2 (hysteresis, so a gallery hovering at the threshold does not
 * rebuild back and forth) the HNSW index is dropped again.
 *
 * The exact vectors are kept in HNSW mode too — dim × 4 bytes per entry (512 MB at 1e6 × 128-D) — because:
 * - usearch's JS binding cannot read vectors back, so switching back to exact, or rebuilding, needs them;
 * - HNSW candidates are re-scored with them, so every distance returned is the exact sqrt(2 − 2·dot), equal to
 *   what ExactIndex reports, and the order is exact among the candidates, whatever the HNSW storage; calibrated
 *   decision thresholds apply unchanged;
 * - that in turn lets the HNSW index store i8 vectors (128 bytes each instead of 512): i8 alone loses recall@1
 *   between near-equal templates of one person (0.95 at 1e4–1e5), i8 re-scored does not (1.000), and i8 distances
 *   are ~4× cheaper, which pays for M = 32 links (M = 16 reached only recall@1 0.98 at ef = 400 at 1e6 entries;
 *   M = 32 reaches 0.999 at ef = 128) — see ADAPTIVE_HNSW_DEFAULTS and scripts/bench-search.ts;
 * - there is always an exact answer to fall back on (`exactSearch`), e.g. for audits or recall checks.
 * Net memory at 1e6 × 128-D: ≈512 MB exact + ≈400 MB HNSW (i8 vectors + M = 32 graph), vs ≈650 MB for a
 * stand-alone f32 M = 16 HnswIndex.
 *
 * HNSW inserts go in batches of `chunk` (one multi-threaded usearch insert each): an add queues its key, and a
 * full queue is flushed. When the gallery first crosses the threshold the whole backlog is queued; it is drained a
 * chunk per add/search call (each call stays short; searches are exact meanwhile) or at once by build(). A search
 * in HNSW mode first flushes the (< chunk) keys added since the last flush, so results always cover every entry.
 */
import { FaceError } from '../errors.js';
import { ExactIndex, type SearchHit, type SearchOptions, type VectorIndex } from './search-index.js';
import { HNSW_DEFAULTS, HnswIndex, usearchDotScan, type HnswMeta, type HnswOptions } from './hnsw-index.js';

/** Above this many entries the index is HNSW (see the measurements in scripts/bench-search.ts's header). */
export const ADAPTIVE_DEFAULT_THRESHOLD = 50_000;

/** HNSW settings AdaptiveIndex uses over HNSW_DEFAULTS (see the measurements in scripts/bench-search.ts's header). */
export const ADAPTIVE_HNSW_DEFAULTS: Omit<HnswOptions, 'rescore'> = {
  quantization: 'i8',
  connectivity: 32,
};

export interface AdaptiveOptions {
  /** HNSW above this many entries; exact again below half of it (default 50,000). */
  readonly threshold?: number;
  /** HNSW settings (default: HNSW_DEFAULTS overridden by ADAPTIVE_HNSW_DEFAULTS; rescoring is always on). */
  readonly hnsw?: Omit<HnswOptions, 'rescore'>;
  /** Entries per HNSW insert batch (default 256: ≈0.1 s of inserting on 2 cores at 1e5–1e6 entries). */
  readonly chunk?: number;
  /** Exact mode's scan: usearch's SIMD scan (default) or ExactIndex's JS loop. */
  readonly exactScan?: 'native' | 'js';
}

export class AdaptiveIndex implements VectorIndex {
  readonly threshold: number;
  private readonly chunk: number;
  private readonly hnswOpts: HnswOptions;
  private readonly exact: ExactIndex;
  private hnsw?: HnswIndex;
  /** Keys to (re)insert into hnsw: queue[head..] */
  private queue: number[] = [];
  private head = 0;
  /** hnsw answers searches (the initial backlog is in). */
  private ready = false;
  /** deferHnsw(true): adds fill the exact index only. */
  private deferred = false;

  constructor(
    readonly dim: number,
    opts: AdaptiveOptions = {},
  ) {
    this.threshold = opts.threshold ?? ADAPTIVE_DEFAULT_THRESHOLD;
    if (!Number.isInteger(this.threshold) || this.threshold < 1)
      throw new FaceError('INVALID_INPUT', `threshold must be a positive integer, got ${this.threshold}`);
    this.chunk = opts.chunk ?? 256;
    if (!Number.isInteger(this.chunk) || this.chunk < 1)
      throw new FaceError('INVALID_INPUT', `chunk must be a positive integer, got ${this.chunk}`);
    this.exact = new ExactIndex(dim, 64, opts.exactScan === 'js' ? {} : { scan: usearchDotScan() });
    const exact = this.exact;
    this.hnswOpts = {
      ...HNSW_DEFAULTS,
      ...ADAPTIVE_HNSW_DEFAULTS,
      ...opts.hnsw,
      rescore: (key, query) => exact.dotKey(key, query),
    };
  }

  get size(): number {
    return this.exact.size;
  }

  get labels(): number {
    return this.exact.labels;
  }

  /** 'exact', 'building' (HNSW catching up; searches exact) or 'hnsw'. */
  get mode(): 'exact' | 'building' | 'hnsw' {
    return !this.hnsw ? 'exact' : this.ready ? 'hnsw' : 'building';
  }

  /** The HNSW settings in use, e.g. "i8+rescore M=32 efC=128". */
  get hnswSettings(): string {
    const o = this.hnswOpts;
    return `${o.quantization}+rescore M=${o.connectivity} efC=${o.expansionAdd}`;
  }

  /** HNSW ef (for the current or the next HNSW index). */
  get expansionSearch(): number {
    return this.hnsw?.expansionSearch ?? this.hnswOpts.expansionSearch ?? HNSW_DEFAULTS.expansionSearch;
  }

  set expansionSearch(ef: number) {
    if (this.hnsw) this.hnsw.expansionSearch = ef;
    (this.hnswOpts as { expansionSearch?: number }).expansionSearch = ef;
  }

  private get backlog(): number {
    return this.queue.length - this.head;
  }

  add(key: number, label: number, vector: Float32Array): void {
    this.exact.add(key, label, vector);
    if (this.deferred) {
      if (this.hnsw)
        this.deferred = false; // a graph exists: keep it in step
      else return;
    }
    if (this.hnsw) {
      this.hnsw.remove(key); // an older vector of this key
      this.queue.push(key);
      if (this.backlog >= this.chunk) this.flush(this.chunk);
    } else if (this.exact.size > this.threshold) {
      this.startHnsw();
      this.flush(this.chunk);
    }
  }

  remove(key: number): boolean {
    const removed = this.exact.remove(key);
    this.hnsw?.remove(key);
    this.maybeShrink();
    return removed;
  }

  removeLabel(label: number): number {
    const n = this.exact.removeLabel(label);
    this.hnsw?.removeLabel(label);
    this.maybeShrink();
    return n;
  }

  /**
   * A request for (nearly) every label is a full ranking: answered exactly, because an HNSW search is not sure to
   * reach every node of its graph (it once returned 297 of 298 labels for k = 10,000).
   */
  private wantsEveryLabel(k: number, opts: SearchOptions): boolean {
    return k >= this.labels - (opts.excludeLabel === undefined ? 0 : 1);
  }

  search(query: Float32Array, k: number, opts: SearchOptions = {}): SearchHit[] {
    if (this.wantsEveryLabel(k, opts)) return this.exact.search(query, k, opts);
    if (this.hnsw && !this.ready) this.flush(this.chunk);
    if (this.hnsw && this.ready) {
      if (this.backlog > 0) this.flush(this.backlog);
      if (query.length !== this.dim)
        throw new FaceError('INVALID_INPUT', `index holds ${this.dim}-D vectors, got a ${query.length}-D query`);
      return this.hnsw.search(query, k, opts);
    }
    return this.exact.search(query, k, opts);
  }

  /** Search many queries (row-major n × dim); multi-threaded in HNSW mode. */
  searchBatch(queries: Float32Array, k: number, opts: SearchOptions = {}): SearchHit[][] {
    if (queries.length % this.dim !== 0)
      throw new FaceError('INVALID_INPUT', `queries must be n × ${this.dim} values, got ${queries.length}`);
    if (this.hnsw && !this.ready && !this.wantsEveryLabel(k, opts)) this.flush(this.chunk);
    if (this.hnsw && this.ready && !this.wantsEveryLabel(k, opts)) {
      if (this.backlog > 0) this.flush(this.backlog);
      return this.hnsw.searchBatch(queries, k, opts);
    }
    const out: SearchHit[][] = [];
    for (let i = 0; i < queries.length; i += this.dim)
      out.push(this.exact.search(queries.subarray(i, i + this.dim), k, opts));
    return out;
  }

  /** The exact answer, whatever the mode. */
  exactSearch(query: Float32Array, k: number, opts: SearchOptions = {}): SearchHit[] {
    return this.exact.search(query, k, opts);
  }

  /**
   * While deferred, adds only fill the exact index (no HNSW work): for loading a gallery whose saved graph may be
   * restored. Ending the deferral starts the HNSW build if the index is past the threshold and has no graph.
   */
  deferHnsw(on: boolean): void {
    this.deferred = on;
    if (!on && !this.hnsw && this.exact.size > this.threshold) this.startHnsw();
  }

  /**
   * Write the HNSW graph (all entries flushed in) beside a gallery; false when the index is exact (nothing to save).
   */
  saveGraph(file: string, meta: HnswMeta): boolean {
    if (!this.hnsw) return false;
    this.build();
    this.hnsw.save(file, meta);
    return true;
  }

  /**
   * Adopt a graph saved by saveGraph, when `accept` approves its meta and it holds exactly this index's entries;
   * otherwise (missing, damaged, stale) change nothing and return false, so the caller builds as usual.
   */
  restoreGraph(file: string, accept: (meta: HnswMeta) => boolean): boolean {
    let loaded: { index: HnswIndex; meta: HnswMeta } | undefined;
    try {
      loaded = HnswIndex.load(file, {
        rescore: (key, query) => this.exact.dotKey(key, query),
        expansionSearch: this.expansionSearch,
      });
    } catch {
      return false; // a damaged file is rebuilt, never trusted
    }
    if (!loaded || loaded.index.dim !== this.dim || !accept(loaded.meta) || loaded.index.size !== this.exact.size)
      return false;
    for (const key of this.exact.rows().keys) if (!loaded.index.has(key)) return false;
    this.hnsw = loaded.index;
    this.queue = [];
    this.head = 0;
    this.ready = true;
    return true;
  }

  /** Bring the HNSW index fully up to date now (multi-threaded), e.g. after loading a gallery. */
  build(): void {
    if (!this.hnsw && this.exact.size > this.threshold) this.startHnsw();
    if (this.hnsw && this.backlog > 0) this.flush(this.backlog);
  }

  private startHnsw(): void {
    this.hnsw = new HnswIndex(this.dim, this.hnswOpts);
    this.queue = Array.from(this.exact.rows().keys);
    this.head = 0;
    this.ready = false;
  }

  private maybeShrink(): void {
    if (this.hnsw && this.exact.size < this.threshold / 2) {
      this.hnsw = undefined; // usearch frees its memory when the object is collected
      this.queue = [];
      this.head = 0;
      this.ready = false;
    }
  }

  /** Insert up to `max` queued keys into hnsw in one batch. */
  private flush(max: number): void {
    const hnsw = this.hnsw;
    if (!hnsw) return;
    const keys: number[] = [];
    const labels: number[] = [];
    const taken = new Set<number>();
    const vectors = new Float32Array(Math.min(max, this.backlog) * this.dim);
    while (keys.length < max && this.head < this.queue.length) {
      const key = this.queue[this.head++];
      if (taken.has(key) || hnsw.has(key)) continue;
      const label = this.exact.label(key);
      if (label === undefined) continue; // removed since it was queued
      vectors.set(this.exact.vector(key)!, keys.length * this.dim);
      keys.push(key);
      labels.push(label);
      taken.add(key);
    }
    if (keys.length > 0) hnsw.addMany(keys, labels, vectors.subarray(0, keys.length * this.dim));
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 65536 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (!this.ready && this.backlog < this.chunk) this.ready = true;
  }
}
