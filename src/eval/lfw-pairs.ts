/** The LFW pairs files: View 2 (`pairs.txt`, 10 folds) and View 1 (`pairsDevTrain.txt`, `pairsDevTest.txt`). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FaceError } from '../errors.js';

export interface LfwPair {
  readonly a: string;
  readonly b: string;
  readonly same: boolean;
}

/** Image path inside an LFW folder: DIR/lfw/<Name>/<Name>_0001.jpg (or DIR/<Name>/… for a bare copy). */
export function lfwImagePath(root: string, name: string, n: number): string {
  const file = `${name}_${String(n).padStart(4, '0')}.jpg`;
  return path.join(root, name, file);
}

/** The folder that holds the per-person image folders. */
export function lfwImageRoot(dataDir: string): string {
  const nested = path.join(dataDir, 'lfw');
  try {
    readFileSync(path.join(dataDir, 'lfw-names.txt'));
    return nested;
  } catch {
    return dataDir;
  }
}

/** Parses a pairs file into folds. View 1 files are one fold. */
export function readPairs(file: string, imageRoot: string): LfwPair[][] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new FaceError('DATASET_MISSING', `LFW pairs file not found: ${file}`, { file });
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const head = lines[0].trim().split(/\s+/).map(Number);
  const [folds, perClass] = head.length === 2 ? head : [1, head[0]];
  if (!folds || !perClass || lines.length - 1 !== folds * perClass * 2)
    throw new FaceError(
      'INVALID_INPUT',
      `${file}: header says ${folds}×${perClass}×2 pairs, file has ${lines.length - 1}`,
    );
  const out: LfwPair[][] = [];
  let i = 1;
  for (let f = 0; f < folds; f++) {
    const fold: LfwPair[] = [];
    for (let k = 0; k < 2 * perClass; k++, i++) {
      const t = lines[i].trim().split(/\s+/);
      if (t.length === 3)
        fold.push({ a: lfwImagePath(imageRoot, t[0], +t[1]), b: lfwImagePath(imageRoot, t[0], +t[2]), same: true });
      else if (t.length === 4)
        fold.push({ a: lfwImagePath(imageRoot, t[0], +t[1]), b: lfwImagePath(imageRoot, t[2], +t[3]), same: false });
      else throw new FaceError('INVALID_INPUT', `${file}:${i + 1}: cannot parse "${lines[i]}"`);
    }
    out.push(fold);
  }
  return out;
}
