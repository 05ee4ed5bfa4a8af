/** Landmarks and alignment: 68-point landmarks (face-api's net on ORT) → similarity transform → dlib face chip. */
export type { Point, Landmarks68 } from './types.js';
export {
  Landmarker,
  landmarkCrop,
  fillLandmarkInput,
  mapLandmarks,
  type LandmarkerLoadOptions,
  type LandmarkOptions,
  type LandmarkCrop,
} from './landmarker.js';
export { landmarkRecipe, buildLandmarkGraph, LANDMARK_INPUT_SIZE } from './landmark-graph.js';
export {
  alignToChip,
  extractChip,
  chipTransform,
  chipTemplatePoints,
  mapToChip,
  DEFAULT_CHIP_OPTIONS,
  DLIB_MEAN_FACE_X,
  DLIB_MEAN_FACE_Y,
  DLIB_5POINT_TEMPLATE,
  type ChipOptions,
  type ChipTemplate,
  type ChipTransform,
  type ChipGeometry,
  type Antialias,
  type CustomTemplate,
} from './chip.js';
export {
  estimateSimilarity,
  applySimilarity,
  invertSimilarity,
  similarityScale,
  similarityAngle,
  similarityToAffine,
  similarityRms,
  type Similarity,
} from './similarity.js';
export type { Affine, Interpolation, Border, Rounding } from './resample.js';
