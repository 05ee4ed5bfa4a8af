/**
 * facenet-ts: face detection, alignment, 128-D embeddings, galleries with calibrated decisions, and training.
 *
 *   const fr = await FaceRecognizer.load();
 *   const [face] = await fr.embed('photo.jpg');          // box, score, landmarks, chip, embedding
 *   const gallery = await Gallery.open({ location: 'faces.db', recognizer: fr });
 */
export {
  FaceRecognizer,
  centralFace,
  type RecognizerOptions,
  type Face,
  type AlignedFace,
  type EmbeddedFace,
  type FaceOptions,
  type EmbedFaceOptions,
} from './recognizer.js';
export { FaceError, ImageError, ModelError, isFaceError, type FaceErrorCode } from './errors.js';
export { decodeImage, type DecodeOptions } from './image/decode.js';
export type { RgbImage, ImageInput } from './image/types.js';
export type { Box, Detection, DetectOptions } from './detect/types.js';
export type { Point, Landmarks68 } from './align/types.js';
export { alignToChip, type ChipOptions } from './align/chip.js';
export { distance, l2Normalize } from './embed/distance.js';
export { LFW_THRESHOLD } from './embed/calibrated-threshold.js';
export {
  Gallery,
  type GalleryOptions,
  type EnrollResult,
  type VerifyResult,
  type IdentifyResult,
  type IdentifiedFace,
} from './gallery/gallery.js';
export { SqliteGalleryStore } from './gallery/sqlite-store.js';
export type { GalleryStore } from './gallery/store.js';
export { ExactIndex, type VectorIndex } from './gallery/search-index.js';
export { galleryRecognizer } from './gallery/face-source.js';
export { recordedPack } from './gallery/recorded-pack.js';
export {
  calibrate,
  tauForFar,
  openSetThreshold,
  perComparisonFar,
  type CalibrationTable,
} from './decide/calibration.js';
export { rocCurve, rocAuc, tarAtFar, bestThreshold, type ScoredPair, type RocPoint } from './eval/roc.js';
export type { InferenceEngine, InferenceSession } from './engine/engine.js';
export { readModelMeta } from './train/model-meta.js';
export { buildServer } from './server/app.js';
export { startServer } from './server/start.js';
export {
  cluster,
  extendClusters,
  clusterThreshold,
  DEFAULT_ALGORITHM,
  DEFAULT_MERGE_RATE,
  pairwiseMergeRate,
  type ClusterFace,
  type ClusterOptions,
  type ClusterResult,
  type ExtendResult,
  type GroupedFace,
} from './cluster/cluster.js';
export { CLUSTER_ALGORITHMS, type ClusterAlgorithm } from './cluster/algorithms.js';
export {
  buildKnnGraph,
  compareGraphs,
  EXACT_KNN_LIMIT,
  type GraphComparison,
  type KnnGraph,
  type KnnOptions,
} from './cluster/knn-graph.js';
export { pairwiseScores, bcubedScores, labelsFromGroups, type PrecisionRecall } from './cluster/metrics.js';
export { ClusterState, type GroupSummary, type StoredFace } from './cluster/state.js';
export { clusterIntoState, nameGroup, matchGroups, facesOfPhoto } from './cluster/library.js';
