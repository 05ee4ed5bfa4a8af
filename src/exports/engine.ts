/**
 * `facenet-ts/engine`: the back ends behind small interfaces — the inference engine (onnxruntime), gallery stores
 * (SQLite; PostgreSQL by URL through `Gallery.open`), in-memory search indexes, and image decoding.
 */
export {
  defaultThreads,
  type EngineOptions,
  type InferenceEngine,
  type InferenceSession,
  type TensorData,
} from '../engine/engine.js';
export { createOrtEngine, ortEngine, type OrtEngineOptions } from '../engine/ort.js';
export type { GalleryStore, NewTemplate, StoredTemplate } from '../gallery/store/store.js';
export { SqliteGalleryStore } from '../gallery/store/sqlite/sqlite-store.js';
export { ExactIndex, type VectorIndex } from '../search/search-index.js';
export { AdaptiveIndex } from '../search/adaptive-index.js';
export { decodeImage, type DecodeOptions } from '../image/decode.js';
/** The pack a gallery file or database was built with (galleries made before a default change keep theirs). */
export { recordedPack } from '../gallery/recorded-pack.js';
