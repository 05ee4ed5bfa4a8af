/**
 * The k-NN graph of N synthetic unit vectors several ways, in one run (so the ratios hold on a shared machine):
 * - exact: all dot products by the engine's multi-threaded matrix product in tiles, each pair once (the default up
 *   to EXACT_KNN_LIMIT faces);
 * - scan: usearch's single-threaded exact scan over blocks of 16 faces (usearchTopDotsBatch, the former default);
 * - index: one AdaptiveIndex (usearch SIMD) exact scan per face (the default before that);
 * - hnsw: AdaptiveIndex forced into HNSW mode (threshold 1: build + one search per face; the path above the limit).
 * Reports seconds, and each graph against the first one: rows identical, rows the same up to ties at equal
 * distances (compareGraphs), recall@k, the largest rank-by-rank distance difference; and the peak RSS.
 *
 *   node --import tsx scripts/bench-knn.ts --count 13233 --dim 512 [--methods exact,scan,index,hnsw] [--k 30] [--json]
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import {
  buildKnnGraph,
  compareGraphs,
  type GraphComparison,
  type KnnGraph,
  type KnnOptions,
} from '../src/cluster/knn-graph.js';
import { syntheticGallery } from './search-data.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '13233' },
    dim: { type: 'string', default: '128' },
    k: { type: 'string', default: '30' },
    methods: { type: 'string', default: 'exact,scan,index,hnsw' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const dim = Number(values.dim);
const k = Number(values.k);
const g = syntheticGallery(count, { dim });
const embeddings = Array.from({ length: count }, (_, i) => g.vectors.subarray(i * dim, (i + 1) * dim));

const settings: Record<string, KnnOptions> = {
  exact: { k, index: 'exact' },
  scan: { k, index: 'scan' },
  index: { k, index: 'index', adaptive: { threshold: count + 1 } },
  hnsw: { k, index: 'index', adaptive: { threshold: 1 } },
};
let reference: { method: string; graph: KnnGraph } | undefined;
const rows: ({ method: string; seconds: number; against?: string } & Partial<GraphComparison>)[] = [];
for (const method of values.methods.split(',')) {
  if (!settings[method]) throw new Error(`unknown method ${method}; one of ${Object.keys(settings).join(', ')}`);
  const t0 = performance.now();
  const graph = await buildKnnGraph(embeddings, settings[method]);
  const row: (typeof rows)[number] = { method, seconds: (performance.now() - t0) / 1000 };
  if (reference) Object.assign(row, { against: reference.method }, compareGraphs(reference.graph, graph));
  else reference = { method, graph };
  rows.push(row);
  if (!values.json) console.log(JSON.stringify(row));
}
const report = {
  count,
  dim,
  k,
  rows,
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  load: os.loadavg(),
};
if (values.json) console.log(JSON.stringify(report, null, 2));
else
  console.log(
    `peak RSS ${report.peakRssMiB} MiB; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
