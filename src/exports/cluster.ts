/**
 * `facenet-ts/cluster`: clustering beyond the root's `cluster()` — adding faces to existing groups, the calibrated
 * threshold, the k-NN graph, and the photo-library state `facenet cluster` keeps (groups with stable ids).
 */
export {
  cluster,
  clusterThreshold,
  DEFAULT_ALGORITHM,
  DEFAULT_MERGE_RATE,
  extendClusters,
  pairwiseMergeRate,
  type ClusterFace,
  type ClusterOptions,
  type ClusterResult,
  type ClusterThreshold,
  type ExtendResult,
  type GroupedFace,
} from '../cluster/cluster.js';
export { CLUSTER_ALGORITHMS, type ClusterAlgorithm } from '../cluster/algorithms.js';
export {
  buildKnnGraph,
  compareGraphs,
  EXACT_KNN_LIMIT,
  type GraphComparison,
  type KnnGraph,
  type KnnOptions,
} from '../cluster/knn-graph.js';
export { ClusterState, type GroupSummary, type NewFace, type StoredFace } from '../cluster/state.js';
export {
  clusterCalibration,
  clusterIntoState,
  facesOfPhoto,
  matchGroups,
  nameGroup,
  type ClusterRunResult,
  type GroupMatch,
} from '../cluster/library.js';
