/** Where the shared datasets live, and a clear skip when they are missing. */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const DATASETS = process.env.FACENET_DATASETS ?? path.resolve(process.cwd(), '../shared/datasets');
export const LFW_DIR = path.join(DATASETS, 'lfw');
export const JOHNS_DIR = path.join(DATASETS, 'johns');
export const DETECTION_DIR = path.join(DATASETS, 'detection');
/** CFP's development split (ids 001–100, folds 1–2): ../shared/datasets/README.md. */
export const CFP_DIR = path.join(DATASETS, 'cfp-dev');

/** Returns a skip message (for node:test's `skip` option) when the folder is absent, else false. */
export function needDataset(dir: string): string | false {
  return existsSync(dir)
    ? false
    : `dataset missing: ${dir} (see ../shared/datasets/README.md; set FACENET_DATASETS to relocate)`;
}

/** The models folder (YuNet, SCRFD, EdgeFace): FACENET_MODELS, else ../shared/models. */
export const MODELS_DIR = process.env.FACENET_MODELS ?? path.resolve(process.cwd(), '../shared/models');
export const YUNET_MODEL = path.join(MODELS_DIR, 'yunet/face_detection_yunet_2026may.onnx');
export const SCRFD_2_5G_MODEL = path.join(MODELS_DIR, 'scrfd/scrfd_2.5g.onnx');
export const SCRFD_500M_MODEL = path.join(MODELS_DIR, 'scrfd/scrfd_500m.onnx');

/** Returns a skip message when the model file is absent, else false. */
export function needModel(file: string): string | false {
  return existsSync(file)
    ? false
    : `model missing: ${file} (see ../shared/models/README.md; set FACENET_MODELS to relocate)`;
}
