/**
 * Clustering evaluation: run each algorithm at each target false-merge rate on one k-NN graph of labelled
 * embeddings and score it against the true identities (pairwise and BCubed precision / recall / F, groups
 * against people). Used by `facenet eval cluster` (LFW) and scripts/bench-cluster.ts (synthetic galleries).
 */
import { tauForFar, type CalibrationTable } from '../decide/calibration.js';
import type { ClusterAlgorithm } from '../cluster/algorithms.js';
import { groupsFromLabels, labelGraph } from '../cluster/cluster.js';
import { buildKnnGraph, type KnnOptions } from '../cluster/knn-graph.js';
import { bcubedScores, labelsFromGroups, pairwiseScores, type PrecisionRecall } from '../cluster/metrics.js';

export interface ClusterEvalRow {
  readonly algorithm: ClusterAlgorithm;
  readonly targetFar: number;
  /** The per-face false-merge rate F that targetFar is for this many faces: 1 − (1 − f)^(N−1). */
  readonly mergeRate: number;
  readonly threshold: number;
  /** False when targetFar is below what the calibration resolves (τ is then its strictest measured one). */
  readonly resolvable: boolean;
  readonly pairwise: PrecisionRecall;
  readonly bcubed: PrecisionRecall;
  /** Groups of ≥ 2 faces. */
  readonly groups: number;
  /** Faces in no group. */
  readonly unclustered: number;
  /** Groups + unclustered faces: the number of "people" the clustering claims, against the true count. */
  readonly clusters: number;
  /** Seconds of the algorithm alone (the graph is built once for every row, see graphSeconds). */
  readonly seconds: number;
  /** The product's default setting at this many faces (opts.defaultRow). */
  readonly default?: boolean;
}

export interface ClusterEvalResult {
  readonly faces: number;
  readonly people: number;
  readonly neighbors: number;
  readonly graphSeconds: number;
  readonly rows: ClusterEvalRow[];
}

export async function evaluateClustering(
  embeddings: readonly Float32Array[],
  truth: ArrayLike<number>,
  opts: {
    algorithms: readonly ClusterAlgorithm[];
    fars: readonly number[];
    calibration: CalibrationTable;
    knn?: KnnOptions;
    onRow?: (r: ClusterEvalRow) => void;
    /** One more row, marked `default`: e.g. what `facenet cluster` would do with these faces. */
    defaultRow?: { algorithm: ClusterAlgorithm; targetFar: number };
  },
): Promise<ClusterEvalResult> {
  const t0 = performance.now();
  const graph = await buildKnnGraph(embeddings, opts.knn);
  const graphSeconds = (performance.now() - t0) / 1000;
  const rows: ClusterEvalRow[] = [];
  const settings = opts.algorithms.flatMap((algorithm) => opts.fars.map((targetFar) => ({ algorithm, targetFar })));
  for (const { algorithm, targetFar, isDefault } of [
    ...settings.map((s) => ({ ...s, isDefault: false })),
    ...(opts.defaultRow ? [{ ...opts.defaultRow, isDefault: true }] : []),
  ]) {
    const choice = tauForFar(opts.calibration, targetFar);
    const t1 = performance.now();
    const labels = labelGraph(graph, choice.threshold, { algorithm });
    const { groups, unclustered } = groupsFromLabels(labels);
    const seconds = (performance.now() - t1) / 1000;
    const predicted = labelsFromGroups(embeddings.length, groups);
    const row: ClusterEvalRow = {
      algorithm,
      targetFar,
      mergeRate: -Math.expm1((embeddings.length - 1) * Math.log1p(-targetFar)),
      threshold: choice.threshold,
      resolvable: choice.resolvable,
      pairwise: pick(pairwiseScores(predicted, truth)),
      bcubed: bcubedScores(predicted, truth),
      groups: groups.length,
      unclustered: unclustered.length,
      clusters: groups.length + unclustered.length,
      seconds,
      ...(isDefault ? { default: true } : {}),
    };
    rows.push(row);
    opts.onRow?.(row);
  }
  return { faces: embeddings.length, people: new Set(Array.from(truth)).size, neighbors: graph.k, graphSeconds, rows };
}

const pick = (s: PrecisionRecall): PrecisionRecall => ({ precision: s.precision, recall: s.recall, f: s.f });

const f4 = (v: number) => v.toFixed(4);

/** The rows as a fixed-width table. */
export function clusterEvalTable(r: ClusterEvalResult): string {
  const head = [
    'algorithm                ',
    'FAR   ',
    'F/face',
    'τ     ',
    'pair P',
    'pair R',
    'pair F',
    'B³ P  ',
    'B³ R  ',
    'B³ F  ',
    'groups',
    'alone',
    'clusters',
    'sec',
  ];
  const lines = [head.join('  ')];
  for (const row of r.rows)
    lines.push(
      [
        row.algorithm.padEnd(25),
        row.targetFar.toExponential(0).padEnd(6),
        row.mergeRate.toFixed(3).padEnd(6),
        f4(row.threshold),
        f4(row.pairwise.precision),
        f4(row.pairwise.recall),
        f4(row.pairwise.f),
        f4(row.bcubed.precision),
        f4(row.bcubed.recall),
        f4(row.bcubed.f),
        String(row.groups).padStart(6),
        String(row.unclustered).padStart(5),
        String(row.clusters).padStart(8),
        `${row.seconds.toFixed(2)}${row.resolvable ? '' : '!'}`,
      ].join('  '),
    );
  return lines.join('\n');
}
