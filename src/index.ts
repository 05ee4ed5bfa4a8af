/**
 * facenet-ts: faces in photos → aligned chips → embeddings → calibrated decisions.
 *
 *   const fr = await FaceRecognizer.load();                          // load / detect / align / embed / close
 *   const gallery = await Gallery.open({ location: 'faces.db', recognizer: fr });
 *   await gallery.enroll('Ada', ['ada.jpg']);                         // enroll / verify / identify / forget / people
 *   await gallery.verify('Ada', 'door-cam.jpg');
 *   for await (const e of watch('door.mp4', { recognizer: fr, gallery })) …  // video: tracks, one decision each
 *
 * The root holds the verbs of the README and the types they need. Everything else is behind subpaths:
 * `facenet-ts/server` (the REST service), `/eval` (ROC, calibration, clustering metrics), `/train` (triplet
 * training, model metadata), `/cluster` (photo-library clustering and its state), `/engine` (inference engine,
 * gallery stores, search indexes, image decoding).
 */
export { FaceRecognizer } from './recognizer.js';
export type {
  RecognizerOptions,
  Face,
  AlignedFace,
  EmbeddedFace,
  FaceOptions,
  EmbedFaceOptions,
} from './recognizer.js';
export { Gallery } from './gallery/gallery.js';
export type {
  GalleryOptions,
  EnrollOptions,
  EnrollResult,
  EnrolledFace,
  EnrollWarning,
  VerifyOptions,
  VerifyResult,
  IdentifyOptions,
  IdentifyResult,
  IdentifiedFace,
} from './gallery/gallery.js';
export type { Person, PersonSummary, ForgetReceipt } from './gallery/store/store.js';
export { cluster } from './cluster/cluster.js';
export type { ClusterFace, ClusterOptions, ClusterResult, GroupedFace } from './cluster/cluster.js';
export type { ClusterAlgorithm } from './cluster/algorithms.js';
export { distance } from './embed/vector.js';
export { FaceError } from './errors.js';
export type { FaceErrorCode } from './errors.js';
export type { ImageInput, RgbImage } from './image/types.js';
export type { Box, DetectOptions } from './detect/types.js';
export type { Point, Landmarks68 } from './align/types.js';
export {
  watch,
  PushFrameSource,
  type WatchOptions,
  type WatchEvent,
  type WatchResult,
  type TrackSummary,
  type FrameFace,
  type FrameSource,
  type VideoFrame,
} from './video/index.js';
