/**
 * HnswIndex's settings: defaults measured by scripts/bench-search.ts, the options a caller may give, and what each
 * storage type means to usearch (scalar kind, metric, error bound of its distances).
 */
import { MetricKind, ScalarKind } from 'usearch';
import { FaceError } from '../errors.js';

export type HnswQuantization = 'f32' | 'f16' | 'bf16' | 'i8';

/**
 * Defaults, from scripts/bench-search.ts on clustered 128-D galleries (identities × 3–5 samples, same-person cosine
 * 0.75; 2-core VM). Recall@1 (top hit = the exact top hit) falls sharply from 1e5 to 1e6 entries: with M = 16,
 * efConstruction = 128 (f32) it was ≥ 0.998 at ef = 64 for 1e5 but 0.80 / 0.91 / 0.96 / 0.98 at ef = 64 / 128 /
 * 200 / 400 for 1e6. M = 32 fixes that: 0.983 / 0.999 / 1.000 at ef = 64 / 128 / 200 for 1e6 (i8 + re-scoring,
 * see AdaptiveIndex), at ≈1.7 / 3.0 / 4.5 ms a single query and about half that per query in batches.
 */
export const HNSW_DEFAULTS = {
  /** ef: ≥ 0.99 recall@1 at 1e6 entries from ≈ 96; 128 keeps a margin (0.999). */
  expansionSearch: 128,
  /** M: links per node (2·M on the base layer); 16 is too few for 1e6 near-orthogonal identities (above). */
  connectivity: 32,
  /** efConstruction. */
  expansionAdd: 128,
  quantization: 'f32' as HnswQuantization,
};

export interface HnswOptions {
  /** Stored scalar type (default f32). */
  readonly quantization?: HnswQuantization;
  /** HNSW M (default 32). */
  readonly connectivity?: number;
  /** HNSW efConstruction (default 128). */
  readonly expansionAdd?: number;
  /** HNSW ef at search time (default 128); changeable later with the `expansionSearch` setter. */
  readonly expansionSearch?: number;
  /** Threads for addMany and searchBatch; 0 = every core (default), at most that. Single searches and adds use one. */
  readonly threads?: number;
  /**
   * Exact dot product of `query` with the stored vector of `key` (NaN when unknown). When given, candidates are
   * re-ranked by it, so distances are exact even with quantised storage.
   */
  readonly rescore?: (key: number, query: Float32Array) => number;
}

/** What save() records besides the entries; free-form beyond generation and modelId. */
export interface HnswMeta {
  readonly generation: number;
  readonly modelId: string;
  readonly [extra: string]: unknown;
}

/** usearch's scalar type per storage type. */
export const QUANTS: Record<HnswQuantization, ScalarKind> = {
  f32: ScalarKind.F32,
  f16: ScalarKind.F16,
  bf16: ScalarKind.BF16,
  i8: ScalarKind.I8,
};

/**
 * usearch's i8 inner product is in raw integer units (|error| ~1e4 against 1 − dot), its i8 cosine is a proper
 * 1 − cos: i8 uses cosine, which on unit vectors is the same ranking and value as the dot product.
 */
export const METRIC: Record<HnswQuantization, MetricKind> = {
  f32: MetricKind.IP,
  f16: MetricKind.IP,
  bf16: MetricKind.IP,
  i8: MetricKind.Cos,
};

/**
 * Bound on |usearch distance − (1 − exact dot)| per storage type, with margin: the largest errors measured on unit
 * 128-D vectors were 3e-8 (f32), 1.2e-4 (f16), 9.7e-4 (bf16), 2.1e-2 (i8). Re-scoring stops at the first candidate
 * whose distance, less this bound, is beyond the k-th best exact one.
 */
export const ERROR_BOUND: Record<HnswQuantization, number> = { f32: 1e-5, f16: 1e-3, bf16: 5e-3, i8: 0.05 };

/** `v` when it is a positive integer, else INVALID_INPUT naming the setting. */
export function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0)
    throw new FaceError('INVALID_INPUT', `${name} must be a positive integer, got ${v}`);
  return v;
}
