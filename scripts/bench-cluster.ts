/**
 * Clustering at scale on a synthetic gallery (scripts/search-data.ts, as bench:search makes one): identities × 3–5
 * samples, same-person cosine 0.75, τ from a calibration of the synthetic "model" on 2,000,000 of its own labelled
 * pairs. Reports the k-NN graph time (--knn auto: exact by matrix product up to EXACT_KNN_LIMIT faces, the HNSW
 * index above; exact; scan; index: see KnnOptions), each algorithm's time and scores, and the process's peak memory.
 *
 *   npm run bench:cluster -- --count 100000 [--knn auto] [--algorithms chinese-whispers,connected-components] \
 *     [--fars 1e-6,1e-5]
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { syntheticGallery, row } from './search-data.js';
import { calibrate } from '../src/decide/calibration.js';
import { seededRandom } from '../src/eval/identify.js';
import { clusterEvalTable, evaluateClustering } from '../src/eval/cluster.js';
import { CLUSTER_ALGORITHMS } from '../src/cluster/algorithms.js';
import { parseAlgorithm } from '../src/cluster/cluster.js';
import type { KnnOptions } from '../src/cluster/knn-graph.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '128' },
    algorithms: { type: 'string', default: CLUSTER_ALGORITHMS.join(',') },
    fars: { type: 'string', default: '1e-6,1e-5' },
    neighbors: { type: 'string', default: '30' },
    knn: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
function knnMethod(v: string): KnnOptions['index'] {
  if (v === 'auto' || v === 'exact' || v === 'scan' || v === 'index') return v;
  throw new Error(`--knn: auto, exact, scan or index, got ${v}`);
}
const dim = Number(values.dim);
const t0 = performance.now();
const gal = syntheticGallery(count, { dim, seed: 1 });
const genSeconds = (performance.now() - t0) / 1000;
const embeddings = Array.from({ length: gal.count }, (_, i) => row(gal, i));

// calibration: every same-identity pair among the first 20,000 faces, and 2,000,000 random different-identity pairs
const pairs: { distance: number; same: boolean }[] = [];
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, j) => s + v * b[j], 0);
const dist = (i: number, j: number) => Math.sqrt(Math.max(0, 2 - 2 * dot(embeddings[i], embeddings[j])));
const head = Math.min(count, 20_000);
for (let i = 0; i < head; i++)
  for (let j = i + 1; j < head && gal.labels[j] === gal.labels[i]; j++)
    pairs.push({ distance: dist(i, j), same: true });
const rand = seededRandom(9);
for (let n = 0; n < 2_000_000;) {
  const i = Math.floor(rand() * count);
  const j = Math.floor(rand() * count);
  if (gal.labels[i] === gal.labels[j]) continue;
  pairs.push({ distance: dist(i, j), same: false });
  n++;
}
const calibration = calibrate(pairs, { modelId: 'synthetic', source: `synthetic: ${pairs.length} pairs` });
const memBefore = process.memoryUsage().rss;
const result = await evaluateClustering(embeddings, gal.labels, {
  algorithms: values.algorithms.split(',').map((a) => parseAlgorithm(a.trim())),
  fars: values.fars.split(',').map(Number),
  calibration,
  knn: { k: Number(values.neighbors), index: knnMethod(values.knn) },
  onRow: (r) => process.stderr.write(`${r.algorithm} @ ${r.targetFar}: ${r.seconds.toFixed(2)} s\n`),
});
const report = {
  identities: gal.identities,
  dim,
  generateSeconds: genSeconds,
  ...result,
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  rssBeforeClusteringMiB: Math.round(memBefore / 2 ** 20),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
  load: os.loadavg(),
};
if (values.json) console.log(JSON.stringify(report, null, 2));
else
  console.log(
    [
      `synthetic ${count} faces of ${gal.identities} identities (${dim}-D); ` +
        `k-NN graph (k = ${result.neighbors}) in ${result.graphSeconds.toFixed(1)} s`,
      clusterEvalTable(result),
      `peak RSS ${report.peakRssMiB} MiB (${report.rssBeforeClusteringMiB} MiB before the graph); ` +
        `load average ${os.loadavg()[0].toFixed(1)}`,
    ].join('\n'),
  );
