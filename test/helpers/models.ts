/** Where the packs' model files live in this repo's tests (../shared/models), and a clear skip when missing. */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const MODELS_DIR = process.env.FACENET_MODELS ?? path.resolve(process.cwd(), '../shared/models');

/** A skip message when the models folder (or a file in it) is absent, else false. */
export function needModels(file = ''): string | false {
  const p = path.join(MODELS_DIR, file);
  return existsSync(p) ? false : `models missing: ${p} (see ../shared/models/README.md; set FACENET_MODELS to relocate)`;
}
