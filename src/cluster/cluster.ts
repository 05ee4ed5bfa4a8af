/**
 * `cluster(faces, opts)`: group faces by person from their embeddings alone (any dimension, any model), and
 * `extendClusters` to add new faces to existing groups without re-clustering them.
 *
 * τ comes from a calibration table: the pairwise false-merge rate f of a single comparison (the FAR of accepting
 * two faces as one person) gives τ = tauForFar(table, f). f is `targetFar` when given, else it follows from a
 * per-face rate F and the number of faces N: f = 1 − (1 − F)^(1/(N−1)). An explicit `threshold` overrides both. The
 * default algorithm and its target FAR were chosen by `facenet eval cluster` on LFW (docs/clustering.md).
 */
import { perComparisonFar, tauForFar, type CalibrationTable, type ThresholdChoice } from '../decide/calibration.js';
import { FaceError } from '../errors.js';
import { AdaptiveIndex } from '../search/adaptive-index.js';
import {
  agglomerative,
  chineseWhispers,
  CLUSTER_ALGORITHMS,
  connectedComponents,
  dbscan,
  type ClusterAlgorithm,
} from './algorithms.js';
import { buildKnnGraph, packVectors, type KnnGraph, type KnnOptions } from './knn-graph.js';

export interface ClusterFace {
  /** L2-normalised embedding; every face of one call has the same dimension. */
  readonly embedding: Float32Array;
  /**
   * The photo the face is in (any id, e.g. its sha256). Two faces of one photo are two people: Chinese Whispers
   * and incremental joins never put them in one group.
   */
  readonly image?: string;
}

/** Face i's photo as an integer, or undefined when no face names one. */
function imageIds(faces: readonly ClusterFace[]): Int32Array | undefined {
  if (!faces.some((f) => f.image !== undefined)) return undefined;
  const ids = new Map<string, number>();
  return Int32Array.from(faces, (f, i) => {
    if (f.image === undefined) return -1 - i; // a photo of its own
    let id = ids.get(f.image);
    if (id === undefined) ids.set(f.image, (id = ids.size));
    return id;
  });
}

/**
 * Default per-face false-merge rate of each algorithm: the chance that a face has a stranger within τ among the
 * other N − 1 faces. τ comes from the per-pair rate f = 1 − (1 − F)^(1/(N−1)) (the gallery-size adjustment
 * decisions use), so a library of 50 faces gets a looser τ than one of 50,000. Chosen on all 13,233 LFW faces with
 * dlib128 and EdgeFace (docs/clustering.md): the loosest rate of the grid with pairwise precision ≥ 0.99 for both.
 * Single linkage needs a stricter rate (one stray edge merges two people), averaging a looser one.
 */
export const DEFAULT_MERGE_RATE: Readonly<Record<ClusterAlgorithm, number>> = {
  'chinese-whispers': 0.013,
  'chinese-whispers-weighted': 0.013,
  'connected-components': 0.013,
  dbscan: 0.013,
  'average-linkage': 0.12,
  'complete-linkage': 0.33,
};

/**
 * Small libraries (the common case: a folder of tens to hundreds of photos) get a looser per-face rate for average
 * linkage: up to SMALL_LIBRARY faces SMALL_LIBRARY_MERGE_RATE, then log-linear in N down to DEFAULT_MERGE_RATE at
 * LARGE_LIBRARY faces and above. Measured with `facenet eval cluster --subsets` (200 random LFW libraries of 5–20
 * people × 5–15 photos): with dlib128 at 0.12 a person with varied photos is often split (55 % of libraries exactly
 * right, 4.4 % more groups than people), at 0.2 69.5 % (2.0 %), pairwise precision 0.994; EdgeFace, which does not
 * over-split, stays as it was (92.0 % exact against 92.5 %). 0.3 splits dlib less still but costs EdgeFace (88 %
 * exact, 7 % of libraries with a false merge). On all of LFW (13,233 faces) looser rates merge people: large
 * libraries keep 0.12. See docs/clustering.md.
 */
export const SMALL_LIBRARY_MERGE_RATE: Readonly<Partial<Record<ClusterAlgorithm, number>>> = {
  'average-linkage': 0.2,
};
export const SMALL_LIBRARY = 1_000;
export const LARGE_LIBRARY = 10_000;

/** The default per-face false-merge rate of `algorithm` for a library of `faces` faces. */
export function defaultMergeRate(algorithm: ClusterAlgorithm, faces: number): number {
  const large = DEFAULT_MERGE_RATE[algorithm];
  const small = SMALL_LIBRARY_MERGE_RATE[algorithm];
  if (small === undefined || faces >= LARGE_LIBRARY) return large;
  if (faces <= SMALL_LIBRARY) return small;
  const t = Math.log(faces / SMALL_LIBRARY) / Math.log(LARGE_LIBRARY / SMALL_LIBRARY);
  return Math.exp((1 - t) * Math.log(small) + t * Math.log(large));
}

/**
 * Average linkage over the k-NN graph: the only algorithm with pairwise precision ≥ 0.99 on LFW with both packs
 * at one rate, and the best BCubed F with the best pack (0.9915 with EdgeFace; 0.907 with dlib128, where Chinese
 * Whispers does better: 0.938). See docs/clustering.md.
 */
export const DEFAULT_ALGORITHM: ClusterAlgorithm = 'average-linkage';

export interface ClusterOptions {
  readonly algorithm?: ClusterAlgorithm;
  /** Calibration of the embedding model: τ = tauForFar(calibration, targetFar). */
  readonly calibration?: CalibrationTable;
  /** Pairwise false-merge rate of one comparison; overrides mergeRate. */
  readonly targetFar?: number;
  /** Per-face false-merge rate F (default defaultMergeRate(algorithm, N)): f = 1 − (1 − F)^(1/(N−1)). */
  readonly mergeRate?: number;
  /** An explicit L2 distance threshold; overrides the calibration. */
  readonly threshold?: number;
  /** Smallest group reported (default 2); faces in smaller ones are unclustered. */
  readonly minSize?: number;
  /** k-NN graph settings (neighbours per face, default 30; index). */
  readonly knn?: KnnOptions;
  /** DBSCAN's minPts (default 3). */
  readonly minPts?: number;
  /** Chinese Whispers' visiting-order seed (default 1). */
  readonly seed?: number;
}

export interface ClusterResult<T> {
  /** Groups of at least minSize faces, largest first; each group's faces in input order. */
  readonly groups: { readonly faces: T[]; readonly indices: number[] }[];
  /** Faces in no group, in input order. */
  readonly unclustered: { readonly face: T; readonly index: number }[];
  readonly algorithm: ClusterAlgorithm;
  readonly threshold: ClusterThreshold;
  /** Seconds spent on the k-NN graph and on the algorithm. */
  readonly seconds: { readonly graph: number; readonly cluster: number };
}

/** The τ used and where it came from. */
export interface ClusterThreshold {
  readonly threshold: number;
  readonly source: 'calibration' | 'explicit';
  /** With a calibration: the choice tauForFar made (target FAR, measured FAR and TAR, resolvable). */
  readonly calibrated?: ThresholdChoice;
}

export function parseAlgorithm(v: string): ClusterAlgorithm {
  if ((CLUSTER_ALGORITHMS as readonly string[]).includes(v)) return v as ClusterAlgorithm;
  throw new FaceError('INVALID_INPUT', `unknown clustering algorithm "${v}"; one of ${CLUSTER_ALGORITHMS.join(', ')}`);
}

/** The per-pair false-merge rate for `faces` faces: targetFar when given, else from the per-face rate. */
export function pairwiseMergeRate(
  opts: Pick<ClusterOptions, 'algorithm' | 'targetFar' | 'mergeRate'>,
  faces: number,
): number {
  if (opts.targetFar !== undefined) return opts.targetFar;
  const rate = opts.mergeRate ?? defaultMergeRate(opts.algorithm ?? DEFAULT_ALGORITHM, faces);
  if (!(rate > 0 && rate < 1))
    throw new FaceError('INVALID_INPUT', `per-face false-merge rate must be in (0, 1), got ${rate}`);
  return perComparisonFar(rate, Math.max(1, faces - 1));
}

/** τ from an explicit threshold, or from the calibration at the pairwise false-merge rate for `faces` faces. */
export function clusterThreshold(
  opts: Pick<ClusterOptions, 'algorithm' | 'calibration' | 'targetFar' | 'mergeRate' | 'threshold'>,
  faces = 2,
): ClusterThreshold {
  if (opts.threshold !== undefined) {
    if (!(opts.threshold > 0 && opts.threshold <= 2))
      throw new FaceError('INVALID_INPUT', `threshold must be an L2 distance in (0, 2], got ${opts.threshold}`);
    return { threshold: opts.threshold, source: 'explicit' };
  }
  if (!opts.calibration)
    throw new FaceError(
      'CALIBRATION_ERROR',
      'clustering needs a calibration of the embedding model (to turn ' +
        'a target false-merge rate into τ) or an explicit threshold',
    );
  const far = pairwiseMergeRate(opts, faces);
  if (!(far > 0 && far < 1))
    throw new FaceError('INVALID_INPUT', `target false-merge rate must be in (0, 1), got ${far}`);
  const calibrated = tauForFar(opts.calibration, far);
  return { threshold: calibrated.threshold, source: 'calibration', calibrated };
}

/** One label per face from the graph, with the algorithm asked for. */
export function labelGraph(
  g: KnnGraph,
  tau: number,
  opts: Pick<ClusterOptions, 'algorithm' | 'minPts' | 'seed'> & { sameImage?: Int32Array } = {},
): Int32Array {
  switch (opts.algorithm ?? DEFAULT_ALGORITHM) {
    case 'chinese-whispers':
      return chineseWhispers(g, tau, { seed: opts.seed, sameImage: opts.sameImage });
    case 'chinese-whispers-weighted':
      return chineseWhispers(g, tau, { seed: opts.seed, weights: 'similarity', sameImage: opts.sameImage });
    case 'connected-components':
      return connectedComponents(g, tau);
    case 'dbscan':
      return dbscan(g, tau, opts.minPts);
    case 'average-linkage':
      return agglomerative(g, tau, 'average', opts.sameImage);
    case 'complete-linkage':
      return agglomerative(g, tau, 'complete', opts.sameImage);
  }
}

/** Groups of face indices (≥ minSize, largest first, ties by first face) and the rest. */
export function groupsFromLabels(
  labels: ArrayLike<number>,
  minSize = 2,
): { groups: number[][]; unclustered: number[] } {
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byLabel.get(labels[i]);
    if (list) list.push(i);
    else byLabel.set(labels[i], [i]);
  }
  const groups: number[][] = [];
  const unclustered: number[] = [];
  for (const g of byLabel.values()) {
    if (g.length >= minSize) groups.push(g);
    else unclustered.push(...g);
  }
  groups.sort((a, b) => b.length - a.length || a[0] - b[0]);
  unclustered.sort((a, b) => a - b);
  return { groups, unclustered };
}

function checkFaces(faces: readonly ClusterFace[]): void {
  faces.forEach((f, i) => {
    if (!(f?.embedding instanceof Float32Array) || f.embedding.length === 0)
      throw new FaceError('INVALID_INPUT', `face ${i} has no embedding (a Float32Array)`, { index: i });
    for (const v of f.embedding)
      if (!Number.isFinite(v))
        throw new FaceError('INVALID_INPUT', `face ${i} has a non-finite embedding value`, { index: i });
  });
}

export async function cluster<T extends ClusterFace>(
  faces: readonly T[],
  opts: ClusterOptions = {},
): Promise<ClusterResult<T>> {
  checkFaces(faces);
  const algorithm = opts.algorithm ?? DEFAULT_ALGORITHM;
  const threshold = clusterThreshold({ ...opts, algorithm }, faces.length);
  const minSize = opts.minSize ?? 2;
  if (!Number.isInteger(minSize) || minSize < 1)
    throw new FaceError('INVALID_INPUT', `minSize must be a positive integer, got ${minSize}`);
  const t0 = performance.now();
  const g = await buildKnnGraph(
    faces.map((f) => f.embedding),
    opts.knn,
  );
  const t1 = performance.now();
  const labels = labelGraph(g, threshold.threshold, { ...opts, algorithm, sameImage: imageIds(faces) });
  const { groups, unclustered } = groupsFromLabels(labels, minSize);
  const t2 = performance.now();
  return {
    groups: groups.map((indices) => ({ indices, faces: indices.map((i) => faces[i]) })),
    unclustered: unclustered.map((index) => ({ index, face: faces[index] })),
    algorithm,
    threshold,
    seconds: { graph: (t1 - t0) / 1000, cluster: (t2 - t1) / 1000 },
  };
}

/** A face already in a group (group ids are the caller's: stable ids of a cluster state). */
export interface GroupedFace extends ClusterFace {
  readonly group: number;
}

export interface ExtendResult<T> {
  /** New faces that joined an existing group, with the group and how many of their near neighbours voted for it. */
  readonly joined: { readonly face: T; readonly index: number; readonly group: number; readonly votes: number }[];
  /** New groups among the rest (new faces and `loose` ones), as indices into [...fresh, ...loose]. */
  readonly newGroups: number[][];
  /** Indices into [...fresh, ...loose] still in no group. */
  readonly unclustered: number[];
  readonly threshold: ClusterThreshold;
}

/**
 * Incremental clustering: each new face joins the existing group most of its near neighbours (closer than τ,
 * among the `votes` nearest grouped faces, default 10) belong to, as one Chinese Whispers step would decide,
 * never a group that already holds a face of its photo;
 * existing groups never split or merge, so their ids stay. The new faces that joined nothing are clustered
 * together with `loose` (faces unclustered before) into new groups.
 */
export async function extendClusters<T extends ClusterFace, L extends ClusterFace>(
  grouped: readonly GroupedFace[],
  fresh: readonly T[],
  loose: readonly L[],
  opts: ClusterOptions & { votes?: number } = {},
): Promise<ExtendResult<T>> {
  checkFaces(grouped);
  checkFaces(fresh);
  checkFaces(loose);
  const algorithm = opts.algorithm ?? DEFAULT_ALGORITHM;
  // τ for the library as it will be: every face grouped, new or loose
  const threshold = clusterThreshold({ ...opts, algorithm }, grouped.length + fresh.length + loose.length);
  const tau = threshold.threshold;
  const joined: ExtendResult<T>['joined'] = [];
  const rest: ClusterFace[] = [];
  const restIndex: number[] = [];
  let index: AdaptiveIndex | undefined;
  if (grouped.length && fresh.length) {
    const { data, dim } = packVectors(grouped.map((g) => g.embedding));
    if (fresh[0].embedding.length !== dim)
      throw new FaceError(
        'MODEL_MISMATCH',
        `new faces are ${fresh[0].embedding.length}-D, the grouped ones ${dim}-D: embeddings of different models`,
      );
    index = new AdaptiveIndex(dim);
    for (let i = 0; i < grouped.length; i++) index.add(i, i, data.subarray(i * dim, (i + 1) * dim));
  }
  const k = opts.votes ?? 10;
  // groups holding a face of each photo (grouped faces, then new faces as they join)
  const groupsOfImage = new Map<string, Set<number>>();
  const note = (image: string | undefined, group: number) => {
    if (image === undefined) return;
    const set = groupsOfImage.get(image);
    if (set) set.add(group);
    else groupsOfImage.set(image, new Set([group]));
  };
  for (const g of grouped) note(g.image, g.group);
  fresh.forEach((face, i) => {
    const barred = face.image === undefined ? undefined : groupsOfImage.get(face.image);
    const tally = new Map<number, { votes: number; nearest: number }>();
    for (const h of index?.search(face.embedding, k) ?? []) {
      if (!(h.distance < tau)) continue;
      const group = grouped[h.key].group;
      if (barred?.has(group)) continue;
      const t = tally.get(group);
      if (t) t.votes++;
      else tally.set(group, { votes: 1, nearest: h.distance });
    }
    let best: [number, { votes: number; nearest: number }] | undefined;
    for (const entry of tally)
      if (
        !best ||
        entry[1].votes > best[1].votes ||
        (entry[1].votes === best[1].votes && entry[1].nearest < best[1].nearest)
      )
        best = entry;
    if (best) {
      joined.push({ face, index: i, group: best[0], votes: best[1].votes });
      note(face.image, best[0]);
    } else {
      rest.push(face);
      restIndex.push(i);
    }
  });
  loose.forEach((face, j) => {
    rest.push(face);
    restIndex.push(fresh.length + j);
  });
  const { groups, unclustered } = await cluster(rest, { ...opts, algorithm, threshold: tau });
  return {
    joined,
    newGroups: groups.map((g) => g.indices.map((i) => restIndex[i])),
    unclustered: unclustered.map((u) => restIndex[u.index]),
    threshold,
  };
}
