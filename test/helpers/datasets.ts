/** Where the shared datasets live, and a clear skip when they are missing. */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const DATASETS = process.env.FACENET_DATASETS ?? path.resolve(process.cwd(), '../shared/datasets');
export const LFW_DIR = path.join(DATASETS, 'lfw');
export const JOHNS_DIR = path.join(DATASETS, 'johns');
export const DETECTION_DIR = path.join(DATASETS, 'detection');

/** Returns a skip message (for node:test's `skip` option) when the folder is absent, else false. */
export function needDataset(dir: string): string | false {
  return existsSync(dir) ? false : `dataset missing: ${dir} (see ../shared/datasets/README.md; set FACENET_DATASETS to relocate)`;
}
