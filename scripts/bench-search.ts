/**
 * npm run bench:search — in-process nearest-neighbour search on synthetic clustered galleries.
 *
 * Galleries (scripts/search-data.ts): identities × 3–5 noisy samples, same-person cosine ≈ 0.75, 128-D (--dims),
 * seeded. Queries: fresh samples of enrolled identities. Ground truth: ExactIndex (usearch SIMD scan), k = 1.
 *
 * Per size and backend: build time, memory (index bytes; RSS growth over the build), latency per query at k = 1
 * (single queries one after another: median, mean, p99 — on a shared machine the median is the steadiest figure;
 * and batches of 64 through searchBatch where the backend has one, time per query), and, for
 * approximate backends, recall@1 = the top hit is the exact top hit (same entry) and label@1 = same person.
 *
 * Backends: exact-js (ExactIndex's JS loop), exact (ExactIndex + usearch's exact SIMD scan), hnsw-<quant> (HnswIndex,
 * one row per ef; quant f32 / f16 / bf16 / i8, "+rs" = candidates re-scored with exact f32 vectors), adaptive
 * (AdaptiveIndex with its defaults, filled one add() at a time then build()). More backends (pgvector, …): implement
 * `BenchBackend` from scripts/search-data.ts and list it in BACKENDS below.
 *
 * Options: --sizes 1e4,1e5,1e6  --queries 1000  --ef 48,64,80,96,128,200,256  --quant f32  --backends (all)
 *          --connectivity 32  --expansion-add 128 (HNSW_DEFAULTS; for the hnsw-* backends, not adaptive)
 *          --batch 64  --seed 1  --json  --out FILE (markdown copy)
 *          --dims 128,512 (embedding dimensions, each a section per size: 512-D packs against their 128-D head)
 *          --cache DIR (save HNSW indexes there and reuse them on the next run: the build column then shows load time)
 * Run with --expose-gc (the npm script does) for meaningful RSS figures.
 */
import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ExactIndex } from '../src/search/search-index.js';
import { HNSW_DEFAULTS, HnswIndex, usearchDotScan, type HnswQuantization } from '../src/search/hnsw-index.js';
import { AdaptiveIndex } from '../src/search/adaptive-index.js';
import {
  row,
  syntheticGallery,
  syntheticQueries,
  type BenchBackend,
  type BenchHit,
  type BuiltBackend,
  type SyntheticGallery,
  type SyntheticQueries,
} from './search-data.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1e4,1e5,1e6' },
    queries: { type: 'string', default: '1000' },
    ef: { type: 'string', default: '48,64,80,96,128,200,256' },
    quant: { type: 'string', default: 'f32' },
    backends: { type: 'string' },
    connectivity: { type: 'string', default: String(HNSW_DEFAULTS.connectivity) },
    'expansion-add': { type: 'string', default: String(HNSW_DEFAULTS.expansionAdd) },
    batch: { type: 'string', default: '64' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
    cache: { type: 'string' },
    dims: { type: 'string', default: '128' },
  },
});

const sizes = args.sizes.split(',').map((s) => Math.round(Number(s)));
const nQueries = Number(args.queries);
const efs = args.ef.split(',').map(Number);
const batchSize = Number(args.batch);
const connectivity = Number(args.connectivity);
const expansionAdd = Number(args['expansion-add']);
const seed = Number(args.seed);
const dims = args.dims.split(',').map(Number);
if (dims.some((d) => !(Number.isInteger(d) && d > 1))) throw new Error('bad --dims');
if (sizes.some((n) => !(n > 0)) || !(nQueries > 0) || efs.some((e) => !(e > 0)))
  throw new Error('bad --sizes / --queries / --ef');

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const gc = (globalThis as { gc?: () => void }).gc;
function rssMB(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

/** Ground truth for the current size, shared with backends that re-score (the "+rs" HNSW variants). */
let truthIndex: ExactIndex | undefined;

function exactBackend(name: string, native: boolean): BenchBackend {
  return {
    name,
    build(g) {
      const index = new ExactIndex(g.dim, g.count, native ? { scan: usearchDotScan() } : {});
      for (let i = 0; i < g.count; i++) index.add(g.keys[i], g.labels[i], row(g, i));
      return {
        search: (q, k) => index.search(q, k),
        bytes: () => g.count * (g.dim * 4 + 8 + 4),
        // the JS scan at 1e6 is ~0.1–0.2 s a query: time a sample
        maxQueries: native ? undefined : Math.max(20, Math.min(nQueries, Math.round(2e7 / g.count))),
      };
    },
  };
}

function hnswBackend(spec: string): BenchBackend {
  const rescored = spec.endsWith('+rs');
  const quantization = spec.replace('+rs', '') as HnswQuantization;
  return {
    name: `hnsw-${spec}`,
    build(g) {
      const exact = truthIndex!;
      const rescore = rescored ? (key: number, q: Float32Array) => exact.dotKey(key, q) : undefined;
      // --cache: reuse an index built earlier with the same data and settings (1e6 builds take many minutes)
      const cached =
        args.cache &&
        path.join(
          args.cache,
          `hnsw-${quantization}-M${connectivity}-efC${expansionAdd}-n${g.count}-seed${g.seed}.json`,
        );
      const loaded = cached ? HnswIndex.load(cached, { rescore }) : undefined;
      if (loaded) log(`[${g.count}] ${cached}: loaded`);
      const index =
        loaded?.index ??
        new HnswIndex(g.dim, {
          quantization,
          connectivity,
          expansionAdd,
          rescore,
        });
      if (!loaded) {
        index.addMany(g.keys, g.labels, g.vectors);
        if (cached) {
          mkdirSync(args.cache!, { recursive: true });
          index.save(cached, { generation: 0, modelId: 'synthetic', size: g.count, seed: g.seed });
        }
      }
      return {
        variants: efs.map((ef) => ({
          name: `ef=${ef}`,
          apply: () => {
            index.expansionSearch = ef;
          },
        })),
        search: (q, k) => index.search(q, k),
        searchBatch: (qs, k) => index.searchBatch(qs, k),
        bytes: () => index.serializedBytes(),
      };
    },
  };
}

const adaptiveBackend: BenchBackend = {
  name: 'adaptive',
  build(g) {
    const index = new AdaptiveIndex(g.dim);
    for (let i = 0; i < g.count; i++) index.add(g.keys[i], g.labels[i], row(g, i));
    index.build();
    const mode = index.mode;
    return {
      // exact mode: one row; HNSW mode: one row per ef
      variants:
        mode === 'hnsw'
          ? efs.map((ef) => ({
              name: `hnsw ${index.hnswSettings}, ef=${ef}`,
              apply: () => {
                index.expansionSearch = ef;
              },
            }))
          : [{ name: mode, apply: () => {} }],
      search: (q, k) => index.search(q, k),
      searchBatch: (qs, k) => index.searchBatch(qs, k),
    };
  },
};

/** Every backend the bench knows; --backends picks some. Add a pgvector one here. */
const BACKENDS: BenchBackend[] = [
  exactBackend('exact-js', false),
  exactBackend('exact', true),
  ...args.quant.split(',').map(hnswBackend),
  adaptiveBackend,
];

interface Row {
  size: number;
  dim: number;
  backend: string;
  variant: string;
  buildS: number;
  indexMB?: number;
  rssMB: number;
  singleMs: number;
  singleP50Ms: number;
  singleP99Ms: number;
  batchMs?: number;
  queries: number;
  recall1: number;
  label1: number;
  /** 1-minute load average when the row was measured (the machine may be shared). */
  load: number;
}

const isPromise = <T>(x: T | Promise<T>): x is Promise<T> => x instanceof Promise;

async function timeSingles(
  b: BuiltBackend,
  qs: SyntheticQueries,
  n: number,
): Promise<{ hits: BenchHit[]; mean: number; p50: number; p99: number }> {
  for (let q = 0; q < Math.min(n, 20); q++) {
    const r = b.search(row(qs, q), 1);
    if (isPromise(r)) await r;
  }
  const times = new Float64Array(n);
  const hits: BenchHit[] = [];
  for (let q = 0; q < n; q++) {
    const t0 = performance.now();
    let r = b.search(row(qs, q), 1);
    if (isPromise(r)) r = await r;
    times[q] = performance.now() - t0;
    hits.push(r[0]);
  }
  const sorted = Float64Array.from(times).sort();
  return {
    hits,
    mean: times.reduce((a, x) => a + x, 0) / n,
    p50: sorted[n >> 1],
    p99: sorted[Math.min(n - 1, Math.floor(n * 0.99))],
  };
}

async function timeBatches(b: BuiltBackend, qs: SyntheticQueries, n: number): Promise<number | undefined> {
  if (!b.searchBatch) return undefined;
  const t0 = performance.now();
  for (let q = 0; q < n; q += batchSize) {
    const r = b.searchBatch(qs.vectors.subarray(q * qs.dim, Math.min(n, q + batchSize) * qs.dim), 1);
    if (isPromise(r)) await r;
  }
  return (performance.now() - t0) / n;
}

const sections: { rows: Row[]; header: string }[] = [];

/** Rewrite --out with everything measured so far: a long run that dies keeps its rows. */
function checkpoint(): void {
  if (args.out) writeFileSync(args.out, `${markdown(sections)}\n`);
}

async function benchSize(
  size: number,
  dim: number,
  backends: BenchBackend[],
): Promise<{ rows: Row[]; header: string }> {
  let t0 = performance.now();
  const g: SyntheticGallery = syntheticGallery(size, { seed, dim });
  const qs = syntheticQueries(g, nQueries);
  log(`[${size}] gallery of ${g.identities} identities generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t0 = performance.now();
  truthIndex = new ExactIndex(g.dim, g.count, { scan: usearchDotScan() });
  for (let i = 0; i < g.count; i++) truthIndex.add(g.keys[i], g.labels[i], row(g, i));
  const truth = Array.from({ length: qs.count }, (_, q) => truthIndex!.search(row(qs, q), 1)[0]);
  let correct = 0;
  for (let q = 0; q < qs.count; q++) if (truth[q].label === qs.labels[q]) correct++;
  log(`[${size}] ground truth in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const ownPct = ((100 * correct) / qs.count).toFixed(1);
  const loadAverage = os.loadavg().map((x) => x.toFixed(1));
  const header =
    `N = ${size.toExponential(0)}, ${dim}-D: ${g.identities} identities, ${qs.count} queries; ` +
    `exact top-1 is the query's own identity for ${ownPct} %; ` +
    `load average ${loadAverage.join(' ')} on ${os.cpus().length} cores`;

  const rows: Row[] = [];
  sections.push({ rows, header });
  for (const backend of backends) {
    const rss0 = rssMB();
    t0 = performance.now();
    let built = backend.build(g);
    if (isPromise(built)) built = await built;
    const buildS = (performance.now() - t0) / 1000;
    if (!built) continue;
    const rss = rssMB() - rss0;
    const bytes = built.bytes?.();
    log(`[${size}] ${backend.name}: built in ${buildS.toFixed(1)} s, RSS +${rss.toFixed(0)} MB`);
    const n = Math.min(qs.count, built.maxQueries ?? qs.count);
    for (const variant of built.variants ?? [{ name: '', apply: () => {} }]) {
      const a = variant.apply();
      if (isPromise(a)) await a;
      const singles = await timeSingles(built, qs, n);
      const batchMs = await timeBatches(built, qs, n);
      let same = 0;
      let sameLabel = 0;
      for (let q = 0; q < n; q++) {
        if (singles.hits[q]?.key === truth[q].key) same++;
        if (singles.hits[q]?.label === truth[q].label) sameLabel++;
      }
      const r: Row = {
        size,
        dim,
        backend: backend.name,
        variant: variant.name,
        buildS,
        indexMB: bytes === undefined ? undefined : bytes / 2 ** 20,
        rssMB: rss,
        singleMs: singles.mean,
        singleP50Ms: singles.p50,
        singleP99Ms: singles.p99,
        batchMs,
        queries: n,
        recall1: same / n,
        label1: sameLabel / n,
        load: os.loadavg()[0],
      };
      rows.push(r);
      checkpoint();
      log(
        `[${size}] ${backend.name} ${variant.name}: ` +
          `p50 ${r.singleP50Ms.toFixed(3)} mean ${r.singleMs.toFixed(3)} ms/q, ` +
          `batch ${r.batchMs?.toFixed(3) ?? '–'}, recall@1 ${r.recall1.toFixed(3)}`,
      );
    }
    const c = built.close?.();
    if (isPromise(c)) await c;
  }
  truthIndex = undefined;
  return { rows, header };
}

function markdown(sections: { rows: Row[]; header: string }[]): string {
  const out: string[] = [];
  const settings =
    `HNSW M=${connectivity}, efConstruction=${expansionAdd}; k=1; ` +
    `batch=${batchSize}; node ${process.version}, ${os.cpus()[0]?.model ?? '?'}`;
  out.push(settings, '');
  for (const s of sections) {
    out.push(s.header, '');
    out.push(
      '| N | D | backend | setting | build s | index MB | RSS Δ MB | ms/q p50 | ' +
        'ms/q mean | ms/q p99 | ms/q batch | recall@1 | label@1 | queries | load |',
    );
    out.push('|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of s.rows) {
      out.push(
        `| ${r.size.toExponential(0)} | ${r.dim} | ${r.backend} | ${r.variant || '–'} | ${r.buildS.toFixed(1)} ` +
          `| ${r.indexMB?.toFixed(0) ?? '–'} | ${r.rssMB.toFixed(0)} | ${r.singleP50Ms.toFixed(3)} ` +
          `| ${r.singleMs.toFixed(3)} | ${r.singleP99Ms.toFixed(2)} | ${r.batchMs?.toFixed(3) ?? '–'} ` +
          `| ${r.recall1.toFixed(3)} | ${r.label1.toFixed(3)} | ${r.queries} | ${r.load.toFixed(1)} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

const wanted = args.backends?.split(',');
const backends = wanted ? BACKENDS.filter((b) => wanted.includes(b.name)) : BACKENDS;
if (wanted && backends.length !== wanted.length)
  throw new Error(`unknown backend in ${args.backends}; known: ${BACKENDS.map((b) => b.name).join(', ')}`);
if (!gc) log('(run node with --expose-gc for steadier RSS figures)');

for (const size of sizes) for (const dim of dims) await benchSize(size, dim, backends);
if (args.json)
  process.stdout.write(`${JSON.stringify({ connectivity, expansionAdd, batch: batchSize, sections }, null, 2)}\n`);
else process.stdout.write(`${markdown(sections)}\n`);
