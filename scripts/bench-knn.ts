/**
 * The k-NN graph of N synthetic unit vectors three ways, in one run (so the ratios hold on a shared machine):
 * - blocked: usearch's exact scan over blocks of 16 faces (usearchTopDotsBatch, the default up to 50,000 faces);
 * - index: one AdaptiveIndex (usearch SIMD) exact scan per face (the former default);
 * - hnsw: AdaptiveIndex forced into HNSW mode (threshold 1: build + one search per face; the path above 50,000).
 * Reports seconds, whether index's neighbour lists equal blocked's, and hnsw's recall@k against blocked.
 *
 *   node --import tsx scripts/bench-knn.ts --count 13233 --dim 128 [--methods blocked,index,hnsw] [--k 30] [--json]
 */
import { parseArgs } from 'node:util';
import { buildKnnGraph, type KnnGraph } from '../src/cluster/knn-graph.js';
import { syntheticGallery } from './search-data.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '13233' },
    dim: { type: 'string', default: '128' },
    k: { type: 'string', default: '30' },
    methods: { type: 'string', default: 'blocked,index,hnsw' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const dim = Number(values.dim);
const k = Number(values.k);
const g = syntheticGallery(count, { dim });
const embeddings = Array.from({ length: count }, (_, i) => g.vectors.subarray(i * dim, (i + 1) * dim));

const graphs = new Map<string, KnnGraph>();
const rows: { method: string; seconds: number; sameAsBlocked?: number; recall?: number; maxDistanceDiff?: number }[] = [];
for (const method of values.methods.split(',')) {
  const t0 = performance.now();
  const graph =
    method === 'blocked'
      ? buildKnnGraph(embeddings, { k, index: 'exact' })
      : method === 'index'
        ? buildKnnGraph(embeddings, { k, index: 'index', adaptive: { threshold: count + 1 } })
        : buildKnnGraph(embeddings, { k, index: 'index', adaptive: { threshold: 1 } });
  const seconds = (performance.now() - t0) / 1000;
  graphs.set(method, graph);
  const ref = graphs.get('blocked');
  const row: (typeof rows)[number] = { method, seconds };
  if (ref && method !== 'blocked') {
    let sameRows = 0;
    let found = 0;
    let maxDiff = 0;
    for (let i = 0; i < count; i++) {
      const a = ref.neighbors.subarray(i * k, (i + 1) * k);
      const b = graph.neighbors.subarray(i * k, (i + 1) * k);
      if (a.every((x, j) => x === b[j])) sameRows++;
      const set = new Set(a);
      for (const x of b) if (set.has(x)) found++;
      for (let j = 0; j < k; j++) if (a[j] === b[j]) maxDiff = Math.max(maxDiff, Math.abs(ref.distances[i * k + j] - graph.distances[i * k + j]));
    }
    row.sameAsBlocked = sameRows / count;
    row.recall = found / (count * k);
    row.maxDistanceDiff = maxDiff;
  }
  rows.push(row);
  if (!values.json) console.log(JSON.stringify(row));
}
if (values.json) console.log(JSON.stringify({ count, dim, k, rows }, null, 2));
