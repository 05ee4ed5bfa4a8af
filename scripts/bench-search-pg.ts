/**
 * npm run bench:search:pg — the PostgreSQL + pgvector store's own search (`PostgresGalleryStore.nearest`) on the
 * same synthetic galleries as scripts/bench-search.ts (scripts/search-data.ts: identities × 3–5 samples,
 * same-person cosine ≈ 0.75, 128-D, seeded; queries are fresh samples of enrolled identities).
 *
 * Per size: bulk load through `enrollMany` into a fresh schema with no index (templates/s), then per index kind
 * (halfvec, vector): HNSW build time and size (pg_relation_size), and per ef: latency of `nearest` at k = 1, one
 * query at a time and with 8 queries in flight, recall@1 (the top hit is the exact top template) and label@1 (the
 * same person) against an exact brute-force scan in JS.
 *
 * Options: --size 1e5 (or --sizes 1e5,1e6)  --queries 500  --ef 40,100,200,400  --index halfvec,vector
 *          --concurrency 8  --m 16  --ef-construction 64  --maintenance-work-mem 1GB  --batch 2000 (people per
 *          enrollMany)  --seed 1  --url postgres://…  (default $FACENET_TEST_PG_URL)  --keep (leave the schema)
 *          --json  --out FILE (markdown copy)
 *
 * `pgvectorBenchBackend(url)` is the same measurement as a scripts/search-data.ts BenchBackend, for listing in
 * scripts/bench-search.ts's BACKENDS.
 */
import os from 'node:os';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PostgresGalleryStore, type PgIndexKind } from '../src/gallery/store/postgres/postgres-store.js';
import type { EnrollRecord } from '../src/gallery/store/store.js';
import {
  row,
  syntheticGallery,
  syntheticQueries,
  type BenchBackend,
  type SyntheticGallery,
  type SyntheticQueries,
} from './search-data.js';

const MODEL = 'bench-model@1';

interface Loaded {
  store: PostgresGalleryStore;
  url: string;
  schema: string;
  /** store template id → gallery row */
  rowOfId: Map<number, number>;
  loadS: number;
}

/** A fresh schema holding `g`, loaded through enrollMany (one transaction per `batch` people), no index yet. */
async function load(baseUrl: string, g: SyntheticGallery, batch: number, log: (s: string) => void): Promise<Loaded> {
  const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
  const u = new URL(baseUrl);
  u.searchParams.set('schema', schema);
  const url = u.toString();
  const store = await PostgresGalleryStore.open(url, { index: 'none', maxConnections: 16 });
  const rowOfId = new Map<number, number>();
  const t0 = performance.now();
  let r = 0;
  while (r < g.count) {
    const records: EnrollRecord[] = [];
    const rows: number[][] = [];
    while (r < g.count && records.length < batch) {
      const label = g.labels[r];
      const mine: number[] = [];
      for (; r < g.count && g.labels[r] === label; r++) mine.push(r);
      rows.push(mine);
      records.push({
        name: `id${label}`,
        templates: mine.map((i) => ({
          modelId: MODEL,
          embedding: row(g, i),
          sourceSha256: i.toString(16).padStart(64, '0'),
          detectionScore: 1,
          faceSize: 112,
        })),
      });
    }
    const receipts = await store.enrollMany(records);
    receipts.forEach((rc, j) => rc.templateIds.forEach((id, k) => rowOfId.set(id, rows[j][k])));
    if (r % 100_000 < batch * 5)
      log(`  loaded ${r} / ${g.count} (${(r / ((performance.now() - t0) / 1000)).toFixed(0)} templates/s)`);
  }
  return { store, url, schema, rowOfId, loadS: (performance.now() - t0) / 1000 };
}

async function dropSchema(baseUrl: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: baseUrl });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

/** The plan of a nearest() query: does it use the HNSW index? */
async function usesIndex(baseUrl: string, schema: string, kind: PgIndexKind, dim: number): Promise<boolean> {
  const c = new pg.Client({ connectionString: baseUrl });
  await c.connect();
  try {
    const q = `[${Array.from({ length: dim }, (_, i) => (i === 0 ? 1 : 0)).join(',')}]`;
    const order =
      kind === 'none' ? `embedding <#> $1::vector` : `embedding::${kind}(${dim}) <#> ($1::vector)::${kind}(${dim})`;
    const plan = await c.query(`EXPLAIN SELECT id FROM "${schema}".templates ORDER BY ${order} LIMIT 16`, [q]);
    return plan.rows.some((r: Record<string, string>) => /templates_hnsw/.test(Object.values(r)[0]));
  } finally {
    await c.end();
  }
}

/** Exact top-1 row per query (brute force, double accumulation). */
function groundTruth(g: SyntheticGallery, qs: SyntheticQueries): Int32Array {
  const out = new Int32Array(qs.count);
  const { dim, vectors } = g;
  for (let q = 0; q < qs.count; q++) {
    const v = row(qs, q);
    let best = -Infinity;
    let arg = -1;
    for (let i = 0, o = 0; i < g.count; i++, o += dim) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += vectors[o + j] * v[j];
      if (s > best) {
        best = s;
        arg = i;
      }
    }
    out[q] = arg;
  }
  return out;
}

export interface PgRow {
  size: number;
  index: PgIndexKind;
  ef: number;
  loadPerS: number;
  buildS: number;
  indexMB: number;
  tableMB: number;
  usesIndex: boolean;
  singleMs: number;
  singleP50Ms: number;
  singleP99Ms: number;
  concurrency: number;
  concurrentMs: number;
  concurrentQps: number;
  queries: number;
  recall1: number;
  label1: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function measure(
  l: Loaded,
  g: SyntheticGallery,
  qs: SyntheticQueries,
  truth: Int32Array,
  ef: number,
  concurrency: number,
): Promise<
  Pick<PgRow, 'singleMs' | 'singleP50Ms' | 'singleP99Ms' | 'concurrentMs' | 'concurrentQps' | 'recall1' | 'label1'>
> {
  for (let q = 0; q < Math.min(qs.count, 30); q++) await l.store.nearest(MODEL, row(qs, q), 1, { ef });
  const times = new Float64Array(qs.count);
  let same = 0;
  let sameLabel = 0;
  for (let q = 0; q < qs.count; q++) {
    const t0 = performance.now();
    const [hit] = await l.store.nearest(MODEL, row(qs, q), 1, { ef });
    times[q] = performance.now() - t0;
    const r = hit ? l.rowOfId.get(hit.key) : undefined;
    if (r === truth[q]) same++;
    if (r !== undefined && g.labels[r] === g.labels[truth[q]]) sameLabel++;
  }
  const sorted = Float64Array.from(times).sort();
  // `concurrency` queries in flight (as a server's request handlers would issue them)
  let next = 0;
  let total = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let q = next++; q < qs.count; q = next++) {
        const s = performance.now();
        await l.store.nearest(MODEL, row(qs, q), 1, { ef });
        total += performance.now() - s;
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  return {
    singleMs: times.reduce((a, x) => a + x, 0) / qs.count,
    singleP50Ms: percentile(sorted, 0.5),
    singleP99Ms: percentile(sorted, 0.99),
    concurrentMs: total / qs.count,
    concurrentQps: qs.count / wall,
    recall1: same / qs.count,
    label1: sameLabel / qs.count,
  };
}

/** As a BenchBackend for scripts/bench-search.ts (one row per ef; halfvec index unless told). */
export function pgvectorBenchBackend(
  url: string,
  opts: { index?: PgIndexKind; efs?: readonly number[]; batch?: number } = {},
): BenchBackend {
  const kind = opts.index ?? 'halfvec';
  return {
    name: `pgvector-${kind}`,
    async build(g) {
      const l = await load(url, g, opts.batch ?? 2000, () => {});
      await l.store.buildIndex(kind, { maintenanceWorkMem: '1GB' });
      let ef = 100;
      return {
        variants: (opts.efs ?? [40, 100, 200, 400]).map((e) => ({ name: `ef=${e}`, apply: () => void (ef = e) })),
        search: async (q, k) =>
          (await l.store.nearest(MODEL, q, k, { ef })).map((h) => ({
            key: l.rowOfId.get(h.key) ?? -1,
            label: g.labels[l.rowOfId.get(h.key) ?? 0],
            distance: h.distance,
          })),
        close: async () => {
          await l.store.close();
          await dropSchema(url, l.schema);
        },
      };
    },
  };
}

function markdown(sections: { header: string; rows: PgRow[] }[], settings: string): string {
  const out = [settings, ''];
  for (const s of sections) {
    out.push(s.header, '');
    out.push(
      '| N | index | ef | load tpl/s | build s | index MB | table MB | index used | ms/q single mean (p50, p99) ' +
        '| ms/q with 8 in flight | q/s with 8 in flight | recall@1 | label@1 | queries |',
    );
    out.push('|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|');
    for (const r of s.rows)
      out.push(
        `| ${r.size.toExponential(0)} | ${r.index} | ${r.ef} | ${r.loadPerS.toFixed(0)} ` +
          `| ${r.buildS.toFixed(1)} | ${r.indexMB.toFixed(1)} | ${r.tableMB.toFixed(1)} ` +
          `| ${r.usesIndex ? 'yes' : 'NO'} | ${r.singleMs.toFixed(2)} ` +
          `(${r.singleP50Ms.toFixed(2)}, ${r.singleP99Ms.toFixed(2)}) | ${r.concurrentMs.toFixed(2)} ` +
          `| ${r.concurrentQps.toFixed(0)} | ${r.recall1.toFixed(3)} | ${r.label1.toFixed(3)} | ${r.queries} |`,
      );
    out.push('');
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      size: { type: 'string' },
      sizes: { type: 'string', default: '1e5' },
      queries: { type: 'string', default: '500' },
      ef: { type: 'string', default: '40,100,200,400' },
      index: { type: 'string', default: 'halfvec,vector' },
      concurrency: { type: 'string', default: '8' },
      m: { type: 'string', default: '16' },
      'ef-construction': { type: 'string', default: '64' },
      'maintenance-work-mem': { type: 'string', default: '1GB' },
      batch: { type: 'string', default: '2000' },
      seed: { type: 'string', default: '1' },
      url: {
        type: 'string',
        default: process.env.FACENET_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:54329/facenet_test',
      },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const sizes = (args.size ?? args.sizes).split(',').map((s) => Math.round(Number(s)));
  const nQueries = Number(args.queries);
  const efs = args.ef.split(',').map(Number);
  const kinds = args.index.split(',') as PgIndexKind[];
  const concurrency = Number(args.concurrency);
  const m = Number(args.m);
  const efConstruction = Number(args['ef-construction']);
  const batch = Number(args.batch);
  if (
    sizes.some((n) => !(n > 0)) ||
    !(nQueries > 0) ||
    efs.some((e) => !(e > 0)) ||
    kinds.some((k) => !['halfvec', 'vector', 'none'].includes(k))
  )
    throw new Error('bad --size / --queries / --ef / --index');
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const settings =
    `pgvector HNSW m=${m}, ef_construction=${efConstruction}, ` +
    `maintenance_work_mem=${args['maintenance-work-mem']}; nearest() k=1 (over-fetch 16 candidates, ` +
    `iterative scan, exact re-rank); node ${process.version}, ${os.cpus().length}× ${os.cpus()[0]?.model ?? '?'}`;

  const sections: { header: string; rows: PgRow[] }[] = [];
  for (const size of sizes) {
    let t0 = performance.now();
    const g = syntheticGallery(size, { seed: Number(args.seed) });
    const qs = syntheticQueries(g, nQueries);
    log(`[${size}] ${g.identities} identities generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
    const truth = groundTruth(g, qs);
    let own = 0;
    for (let q = 0; q < qs.count; q++) if (g.labels[truth[q]] === qs.labels[q]) own++;
    log(`[${size}] exact ground truth in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const l = await load(args.url, g, batch, log);
    const loadPerS = g.count / l.loadS;
    log(`[${size}] loaded ${g.count} templates in ${l.loadS.toFixed(1)} s (${loadPerS.toFixed(0)} templates/s)`);
    const rows: PgRow[] = [];
    try {
      for (const kind of kinds) {
        t0 = performance.now();
        await l.store.buildIndex(kind, { m, efConstruction, maintenanceWorkMem: args['maintenance-work-mem'] });
        const buildS = (performance.now() - t0) / 1000;
        const info = await l.store.indexInfo();
        const used = await usesIndex(args.url, l.schema, kind, g.dim);
        log(
          `[${size}] ${kind}: index built in ${buildS.toFixed(1)} s, ${(info.bytes / 2 ** 20).toFixed(1)} MB; ` +
            `plan uses it: ${used}`,
        );
        for (const ef of efs) {
          const r = await measure(l, g, qs, truth, ef, concurrency);
          rows.push({
            size,
            index: kind,
            ef,
            loadPerS,
            buildS,
            indexMB: info.bytes / 2 ** 20,
            tableMB: info.tableBytes / 2 ** 20,
            usesIndex: used,
            concurrency,
            queries: qs.count,
            ...r,
          });
          log(
            `[${size}] ${kind} ef=${ef}: ${r.singleMs.toFixed(2)} ms/q, ` +
              `${r.concurrentQps.toFixed(0)} q/s with ${concurrency} in flight, recall@1 ${r.recall1.toFixed(3)}`,
          );
        }
      }
    } finally {
      await l.store.close();
      if (!args.keep) await dropSchema(args.url, l.schema);
    }
    const ownPct = ((100 * own) / qs.count).toFixed(1);
    const loadAverage = os.loadavg().map((x) => x.toFixed(1));
    const header =
      `N = ${size.toExponential(0)}: ${g.identities} identities, ${qs.count} queries; ` +
      `exact top-1 is the query's own identity for ${ownPct} %; load average ${loadAverage.join(' ')}`;
    sections.push({ header, rows });
    if (args.out) writeFileSync(args.out, `${markdown(sections, settings)}\n`);
  }
  if (args.json) process.stdout.write(`${JSON.stringify({ settings, sections }, null, 2)}\n`);
  else process.stdout.write(`${markdown(sections, settings)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
