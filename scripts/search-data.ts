/**
 * Synthetic face galleries for search benchmarks and tests: identities × 3–5 noisy samples each, seeded.
 *
 * Identity i has a centre c_i (a random unit vector); a sample is unit(c_i + σ·g) with g ~ N(0, I), and σ is
 * chosen so that two samples of one person have cosine ≈ `samePersonCos` (default 0.75): with D·σ² = 1/cos − 1,
 * cos(sample, c_i) ≈ 1/√(1 + D·σ²) and cos(sample_a, sample_b) ≈ 1/(1 + D·σ²). Different people are ≈ orthogonal
 * (cosine ~ N(0, 1/D)), as real embeddings of unrelated faces roughly are.
 *
 * Every identity and every sample has its own PRNG stream derived from (seed, identity, sample), so a gallery of
 * 1e4 points is the prefix of the gallery of 1e5 points with the same seed, and a query (a fresh sample of an
 * enrolled identity, sample numbers ≥ 1,000,000) never coincides with an enrolled sample.
 *
 * Shared by scripts/bench-search.ts and the index tests; a benchmark backend (HNSW, pgvector, …) takes the same
 * `SyntheticGallery` and `SyntheticQueries`.
 */
import { seededRandom } from '../src/eval/identify.js';

export interface SyntheticGallery {
  readonly dim: number;
  readonly count: number;
  /** Row-major count × dim, each row unit length. */
  readonly vectors: Float32Array;
  /** Row i's key (= i). */
  readonly keys: Float64Array;
  /** Row i's identity. */
  readonly labels: Int32Array;
  /** Number of identities. */
  readonly identities: number;
  readonly seed: number;
  readonly samePersonCos: number;
}

export interface SyntheticQueries {
  readonly dim: number;
  readonly count: number;
  /** Row-major count × dim, unit rows: fresh samples of enrolled identities. */
  readonly vectors: Float32Array;
  /** The identity each query was drawn from. */
  readonly labels: Int32Array;
}

export interface GalleryOptions {
  dim?: number;
  seed?: number;
  /** Expected cosine between two samples of one person (default 0.75). */
  samePersonCos?: number;
  /** Samples per identity, inclusive range (default 3–5). */
  minSamples?: number;
  maxSamples?: number;
}

/** A 32-bit hash of a few integers, for per-identity / per-sample PRNG seeds. */
function mix(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}

/** Standard normals from one uniform stream (Box–Muller, both outputs used). */
class Gaussian {
  private spare = NaN;
  constructor(private readonly rand: () => number) {}
  next(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.rand()));
    const t = 2 * Math.PI * this.rand();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }
}

function normaliseInto(out: Float32Array, offset: number, dim: number): void {
  let s = 0;
  for (let j = 0; j < dim; j++) s += out[offset + j] * out[offset + j];
  const inv = 1 / Math.sqrt(s);
  for (let j = 0; j < dim; j++) out[offset + j] *= inv;
}

class Identities {
  readonly sigma: number;
  private readonly centre: Float32Array;
  private cached = -1;

  constructor(
    readonly dim: number,
    readonly seed: number,
    samePersonCos: number,
  ) {
    if (!(samePersonCos > 0 && samePersonCos < 1))
      throw new Error(`samePersonCos must be in (0, 1), got ${samePersonCos}`);
    this.sigma = Math.sqrt((1 / samePersonCos - 1) / dim);
    this.centre = new Float32Array(dim);
  }

  private centreOf(id: number): Float32Array {
    if (this.cached !== id) {
      const g = new Gaussian(seededRandom(mix(this.seed, id, 0x5eed)));
      for (let j = 0; j < this.dim; j++) this.centre[j] = g.next();
      normaliseInto(this.centre, 0, this.dim);
      this.cached = id;
    }
    return this.centre;
  }

  /** Sample `sample` of identity `id`, written (unit length) at out[offset..offset+dim). */
  sampleInto(id: number, sample: number, out: Float32Array, offset: number): void {
    const c = this.centreOf(id);
    const g = new Gaussian(seededRandom(mix(this.seed, id, sample + 1)));
    for (let j = 0; j < this.dim; j++) out[offset + j] = c[j] + this.sigma * g.next();
    normaliseInto(out, offset, this.dim);
  }
}

function samplesOf(seed: number, id: number, min: number, max: number): number {
  return min + (mix(seed, id, 0x5a3b1e) % (max - min + 1));
}

/** A gallery of exactly `count` rows: identities 0, 1, 2, … with 3–5 samples each (the last one possibly cut short). */
export function syntheticGallery(count: number, opts: GalleryOptions = {}): SyntheticGallery {
  const dim = opts.dim ?? 128;
  const seed = opts.seed ?? 1;
  const samePersonCos = opts.samePersonCos ?? 0.75;
  const min = opts.minSamples ?? 3;
  const max = opts.maxSamples ?? 5;
  const ids = new Identities(dim, seed, samePersonCos);
  const vectors = new Float32Array(count * dim);
  const keys = new Float64Array(count);
  const labels = new Int32Array(count);
  let row = 0;
  let id = 0;
  for (; row < count; id++) {
    const n = samplesOf(seed, id, min, max);
    for (let s = 0; s < n && row < count; s++, row++) {
      ids.sampleInto(id, s, vectors, row * dim);
      keys[row] = row;
      labels[row] = id;
    }
  }
  return { dim, count, vectors, keys, labels, identities: id, seed, samePersonCos };
}

/** `count` queries: each a fresh sample (never enrolled) of an identity drawn uniformly from the gallery's. */
export function syntheticQueries(gallery: SyntheticGallery, count: number, querySeed = 7): SyntheticQueries {
  const { dim } = gallery;
  const ids = new Identities(dim, gallery.seed, gallery.samePersonCos);
  const rand = seededRandom(mix(gallery.seed, querySeed, 0x9e3779b9));
  const vectors = new Float32Array(count * dim);
  const labels = new Int32Array(count);
  for (let q = 0; q < count; q++) {
    const id = Math.floor(rand() * gallery.identities);
    ids.sampleInto(id, 1_000_000 + q, vectors, q * dim);
    labels[q] = id;
  }
  return { dim, count, vectors, labels };
}

/** Row i of a row-major matrix, as a view. */
export function row(m: { vectors: Float32Array; dim: number }, i: number): Float32Array {
  return m.vectors.subarray(i * m.dim, (i + 1) * m.dim);
}

/**
 * A search backend for scripts/bench-search.ts: build an index over a generated gallery, then answer queries.
 * The bench times every backend on the same `SyntheticGallery` / `SyntheticQueries` and scores it against the
 * exact answers. Async is allowed throughout (a database backend, e.g. pgvector); sync results are not awaited.
 */
export interface BenchBackend {
  readonly name: string;
  /** Build over `gallery`; undefined skips this backend at this size. */
  build(gallery: SyntheticGallery): BuiltBackend | undefined | Promise<BuiltBackend | undefined>;
}

export interface BenchHit {
  readonly key: number;
  readonly label: number;
  readonly distance: number;
}

export interface BuiltBackend {
  /** Settings to measure one after another (e.g. ef=64, ef=128), a table row each; default: one row, no name. */
  readonly variants?: readonly { readonly name: string; apply(): void | Promise<void> }[];
  /** Up to k hits, one per label, nearest first (VectorIndex semantics). */
  search(query: Float32Array, k: number): BenchHit[] | Promise<BenchHit[]>;
  /** Many queries (row-major n × dim) at once, if the backend has a batch path. */
  searchBatch?(queries: Float32Array, k: number): BenchHit[][] | Promise<BenchHit[][]>;
  /** Bytes the index holds (vectors + structure), if known. */
  bytes?(): number | undefined;
  /** Time at most this many queries (slow backends); recall is then scored on those. */
  readonly maxQueries?: number;
  /** Free what build() took. */
  close?(): void | Promise<void>;
}
