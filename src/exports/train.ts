/** `facenet-ts/train`: triplet-loss training (what `facenet train` runs) and what a trained model says about itself. */
export { runTraining, type TrainRunOptions, type TrainRunResult } from '../train/run.js';
export { readModelMeta, type ModelMeta, type StoredCalibration } from '../train/model-meta.js';
