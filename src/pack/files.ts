/**
 * Where a pack's model files live and whether they are the pinned ones. Nothing here downloads: files arrive only
 * through `facenet packs add` (src/pack/install.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError } from '../errors.js';
import type { PackDefinition, PackFile } from './types.js';

/** `--models DIR`, else FACENET_MODELS, else $XDG_DATA_HOME/facenet-ts/models (~/.local/share/facenet-ts/models). */
export function modelsDir(explicit?: string): string {
  if (explicit) return path.resolve(explicit);
  if (process.env.FACENET_MODELS) return path.resolve(process.env.FACENET_MODELS);
  const base = process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'facenet-ts', 'models');
}

/**
 * The repository's own `models/` folder, for `bundled` files: in a clone, and in the npm package for the permissive
 * ones (`package.json` `files`: YuNet). The others (derivatives of non-permissive weights, e.g. EdgeFace's head) stay
 * out of the package: an installed facenet-ts takes them from the models folder.
 */
export const BUNDLED_MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every model file a pack needs from the models folder (none for the face-api pack). */
export function packFiles(pack: PackDefinition): PackFile[] {
  const files: PackFile[] = [];
  if (pack.detector.file) files.push(pack.detector.file);
  if (pack.embedder.kind === 'onnx') files.push(pack.embedder.file);
  if (pack.embedder.kind === 'onnx' && pack.embedder.projection) files.push(pack.embedder.projection.file);
  return files;
}

/** Where a pack file is: in the models folder `dir`; a bundled file in the repository's `models/` when it is there. */
export function filePath(dir: string, file: PackFile): string {
  const bundled = path.join(BUNDLED_MODELS_DIR, ...file.path.split('/'));
  if (file.bundled && existsSync(bundled)) return bundled;
  return path.join(dir, ...file.path.split('/'));
}

const installHint = (dir: string) =>
  `install it with \`facenet packs add DIR|URL\` (a folder or web address holding the pack's files), ` +
  `or point --models / FACENET_MODELS at a folder that holds it (models folder now: ${dir})`;

/**
 * The bytes of a pack file, checked against its SHA-256 before anything uses them.
 * MODEL_NOT_INSTALLED when absent, MODEL_CHECKSUM when the bytes differ.
 */
export async function readVerified(dir: string, file: PackFile): Promise<Uint8Array> {
  const p = filePath(dir, file);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(p));
  } catch (e) {
    throw new ModelError('MODEL_NOT_INSTALLED', `model file ${file.path} is not in ${dir}: ${installHint(dir)}`, {
      file: file.path,
      modelsDir: dir,
      reason: (e as NodeJS.ErrnoException).code,
    });
  }
  const got = sha256Hex(bytes);
  if (got !== file.sha256)
    throw new ModelError(
      'MODEL_CHECKSUM',
      `${p} is not the expected ${file.path} (sha256 ${got}, expected ${file.sha256}): ` +
        `refusing to use it; replace it with \`facenet packs add\``,
      {
        file: file.path,
        expected: file.sha256,
        actual: got,
      },
    );
  return bytes;
}

export type FileState = 'verified' | 'missing' | 'checksum-mismatch';

export interface PackFileStatus {
  readonly path: string;
  readonly state: FileState;
  /** Where it is read from: facenet-ts's own `models/` folder (a bundled file), or the models folder. */
  readonly from: 'package' | 'models folder';
}

/** Whether a file is in the models folder and matches its SHA-256 (reads and hashes it). */
export async function fileState(dir: string, file: PackFile): Promise<FileState> {
  try {
    await stat(filePath(dir, file));
  } catch {
    return 'missing';
  }
  return sha256Hex(new Uint8Array(await readFile(filePath(dir, file)))) === file.sha256
    ? 'verified'
    : 'checksum-mismatch';
}

/** Whether each of a pack's files is present and matches its SHA-256. */
export async function packStatus(pack: PackDefinition, dir: string): Promise<PackFileStatus[]> {
  return Promise.all(
    packFiles(pack).map(async (f) => ({
      path: f.path,
      state: await fileState(dir, f),
      from: filePath(dir, f).startsWith(BUNDLED_MODELS_DIR) ? ('package' as const) : ('models folder' as const),
    })),
  );
}
