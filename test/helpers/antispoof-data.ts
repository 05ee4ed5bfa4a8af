/** The assembled anti-spoofing sample set (scripts/antispoof-data.ts) and the models' parity references. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MODELS_DIR } from './datasets.js';

/** FACENET_ANTISPOOF_DATA, else ../antispoof-data beside the repository (where scripts/antispoof-data.ts writes). */
export const ANTISPOOF_DATA = process.env.FACENET_ANTISPOOF_DATA ?? path.resolve(process.cwd(), '../antispoof-data');

/** The reference repository's own samples, as the assembly script files them. */
export const SILENT_FACE_SAMPLES = {
  live: path.join(ANTISPOOF_DATA, 'live/silent-face/image_T1.jpg'),
  print: path.join(ANTISPOOF_DATA, 'print/silent-face/image_F1.jpg'),
  replay: path.join(ANTISPOOF_DATA, 'replay/silent-face/image_F2.jpg'),
};

export const ANTISPOOF_REFERENCES = ['minifasnet_v2_2.7_80x80', 'minifasnet_v1se_4.0_80x80'].map((n) =>
  path.join(MODELS_DIR, `antispoof/reference-${n}.json`),
);

/** A skip message when a file is missing, else false. */
export function needFile(file: string, how: string): string | false {
  return existsSync(file) ? false : `missing ${file} (${how})`;
}

export const ASSEMBLE_HINT = 'run `npx tsx scripts/antispoof-data.ts` or set FACENET_ANTISPOOF_DATA';
export const REFERENCE_HINT = 'see ../shared/models/README.md; set FACENET_MODELS to relocate';
