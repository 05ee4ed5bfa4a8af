/**
 * The pgvector HNSW index over a gallery's embeddings, and the nearest-people search through it.
 *
 * A gallery holds one model and so one dimension: the first enrollment fixes it and creates the index as an
 * expression index, `((embedding::halfvec(D)) halfvec_ip_ops)` by default. The search over-fetches candidates from
 * the index and re-ranks them by the exact float32 inner product, so the half-precision index takes ~30 % less
 * space and builds faster without changing the distances reported or, as measured by scripts/bench-search-pg.ts,
 * the recall. (halfvec holds |x| ≤ 65504: any L2-normalised embedding; HNSW takes up to 4000 dimensions as
 * halfvec, 2000 as vector; a larger dimension is searched exactly, without an index.)
 */
import type { PoolClient } from 'pg';
import { FaceError } from '../../../errors.js';
import { distanceFromDot } from '../../../embed/vector.js';
import type { StoreHit, StoreSearchOptions } from '../store.js';
import type { Queryable } from './location.js';
import { dotBinary } from './rows.js';

/** The HNSW index over the embeddings: half precision (default), full precision, or none (exact scans only). */
export type PgIndexKind = 'halfvec' | 'vector' | 'none';
/** Index kinds by the number stored for them in store_state. */
const INDEX_KINDS: readonly PgIndexKind[] = ['none', 'vector', 'halfvec'];
/** pgvector's HNSW limits on dimensions. */
const HNSW_MAX_DIM: Record<Exclude<PgIndexKind, 'none'>, number> = { vector: 2000, halfvec: 4000 };

/** hnsw.ef_search used when the caller gives none (scripts/bench-search-pg.ts: recall@1 ≥ 0.999 at 1e5 templates). */
export const DEFAULT_EF = 100;
/** Index candidates fetched per wanted person (a person has several templates; the best one counts). */
const OVERFETCH = 4;

/** The gallery's dimension (0 before the first enrollment) and index kind. */
export interface IndexState {
  readonly dim: number;
  readonly kind: PgIndexKind;
}

export interface IndexParams {
  readonly m?: number;
  readonly efConstruction?: number;
}

export async function readIndexState(q: Queryable, s: string): Promise<IndexState> {
  const rows = (
    await q.query<{ key: string; value: number }>(
      `SELECT key, value FROM ${s}.store_state WHERE key IN ('dim', 'index_kind')`,
    )
  ).rows;
  const get = (k: string) => rows.find((r) => r.key === k)?.value ?? 0;
  return { dim: get('dim'), kind: INDEX_KINDS[get('index_kind')] ?? 'none' };
}

/** Record the index kind a gallery without embeddings will get. */
export async function setIndexKind(c: PoolClient, s: string, kind: PgIndexKind): Promise<void> {
  await c.query(`UPDATE ${s}.store_state SET value = $1 WHERE key = 'index_kind'`, [INDEX_KINDS.indexOf(kind)]);
}

/** (Re)create the index for `dim` dimensions (none when pgvector's HNSW cannot take that many) and record the state. */
export async function createIndex(
  c: PoolClient,
  s: string,
  dim: number,
  kind: PgIndexKind,
  params: IndexParams = {},
): Promise<void> {
  await c.query(`DROP INDEX IF EXISTS ${s}.templates_hnsw`);
  const usable = kind !== 'none' && dim <= HNSW_MAX_DIM[kind] ? kind : 'none';
  if (usable !== 'none') {
    const m = Math.trunc(params.m ?? 16);
    const ef = Math.trunc(params.efConstruction ?? 64);
    await c.query(
      `CREATE INDEX templates_hnsw ON ${s}.templates USING hnsw ` +
        `((embedding::${usable}(${dim})) ${usable}_ip_ops) WITH (m = ${m}, ef_construction = ${ef})`,
    );
  }
  await c.query(
    `UPDATE ${s}.store_state SET value = CASE key WHEN 'dim' THEN ` +
      `$1::bigint ELSE $2::bigint END WHERE key IN ('dim', 'index_kind')`,
    [dim, INDEX_KINDS.indexOf(usable)],
  );
}

/**
 * The first enrollment fixes the gallery's dimension and creates its HNSW index (of `newKind`); a gallery emptied
 * by `forget` takes a new dimension (a new model) with a new index of its old kind. True when the index was made.
 */
export async function ensureIndex(
  c: PoolClient,
  s: string,
  location: string,
  dim: number,
  newKind: PgIndexKind,
): Promise<boolean> {
  const state = await readIndexState(c, s);
  if (state.dim === dim) return false;
  if (state.dim !== 0 && (await c.query(`SELECT EXISTS (SELECT 1 FROM ${s}.templates) AS any`)).rows[0].any)
    throw new FaceError(
      'INVALID_INPUT',
      `gallery ${location} holds ${state.dim}-dimensional embeddings; cannot add ${dim}-dimensional ones`,
      {
        gallery: location,
        dim: state.dim,
        requested: dim,
      },
    );
  // No live template is left, but deleted ones may still be visible to another session's older snapshot, and an
  // index build reads those too: casting one to the new dimension fails. TRUNCATE removes them (ids keep counting).
  if (state.dim !== 0) await c.query(`TRUNCATE ${s}.templates, ${s}.thumbnails`);
  const kind = state.dim === 0 ? newKind : state.kind;
  await createIndex(c, s, dim, kind);
  return true;
}

/**
 * The k nearest people in one read-only transaction on `c`. Candidates are over-fetched (k × 4 templates, more
 * while fewer than k people turn up) with an iterative index scan, then re-ranked by the exact inner product of
 * the stored float32 vectors. `vec` is `query` in pgvector's binary format; `state` matches its dimension.
 * `assertOnlyModel` runs when a candidate of another model turns up (it throws MODEL_MISMATCH).
 */
export async function searchIndex(
  c: PoolClient,
  s: string,
  state: IndexState,
  search: { modelId: string; query: Float32Array; vec: Buffer; k: number; opts: StoreSearchOptions },
  assertOnlyModel: () => Promise<void>,
): Promise<StoreHit[]> {
  const { modelId, query, vec, k, opts } = search;
  const ef = Math.min(1000, Math.max(1, Math.trunc(opts.ef ?? DEFAULT_EF)));
  const order =
    state.kind === 'none'
      ? `embedding <#> $1::vector`
      : `embedding::${state.kind}(${state.dim}) <#> ($1::vector)::${state.kind}(${state.dim})`;
  const exclude = opts.excludeLabel !== undefined ? 'WHERE person_id <> $3' : '';
  // Candidates in index order; their exact float32 vectors come along for the re-rank (pgvector's own <#>
  // accumulates in single precision: off by up to ~3e-4 in distance next to a perfect match). No model_id
  // filter: with one (unknown to the planner selectivity), PostgreSQL prefers the btree on model_id + a sort
  // over the HNSW scan. A gallery holds one model; a candidate of another is a MODEL_MISMATCH below.
  const sql = `SELECT c.id, c.person_id, c.model_id, vector_send(c.embedding) AS v, p.name FROM (
      SELECT id, person_id, model_id, embedding FROM ${s}.templates
      ${exclude} ORDER BY ${order} LIMIT $2
    ) c JOIN ${s}.people p ON p.id = c.person_id`;
  let fetch = Math.max(k * OVERFETCH, 16);
  await c.query(`BEGIN READ ONLY; SET LOCAL hnsw.ef_search = ${ef}; SET LOCAL hnsw.iterative_scan = relaxed_order`);
  for (;;) {
    const params: unknown[] = [vec, fetch];
    if (opts.excludeLabel !== undefined) params.push(opts.excludeLabel);
    const found = (
      await c.query<{ id: number; person_id: number; model_id: string; v: Buffer; name: string }>(sql, params)
    ).rows;
    if (found.some((r) => r.model_id !== modelId)) await assertOnlyModel();
    const rows = found.map((r) => ({ ...r, dot: dotBinary(r.v, query) }));
    const best = new Map<number, (typeof rows)[number]>();
    for (const r of rows) {
      const cur = best.get(r.person_id);
      if (!cur || r.dot > cur.dot || (r.dot === cur.dot && r.id < cur.id)) best.set(r.person_id, r);
    }
    if (best.size < k && rows.length === fetch && fetch < 20_000) {
      fetch *= 4;
      continue;
    }
    await c.query('COMMIT');
    return [...best.values()]
      .sort((a, b) => b.dot - a.dot || a.id - b.id)
      .slice(0, k)
      .map((r) => ({ key: r.id, label: r.person_id, distance: distanceFromDot(r.dot), name: r.name }));
  }
}
