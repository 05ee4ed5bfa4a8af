/**
 * An HnswIndex on disk: the usearch file plus a JSON sidecar (settings, the key and label of every entry, the
 * caller's meta, the usearch file's name, size and sha256), written atomically and checked before usearch reads it.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { FaceError } from '../errors.js';
import { QUANTS, type HnswMeta, type HnswQuantization } from './hnsw-options.js';

export interface Sidecar {
  format: 'facenet-hnsw';
  version: 1;
  dim: number;
  quantization: HnswQuantization;
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
  /** The usearch file, relative to the sidecar's folder. */
  indexFile: string;
  indexBytes: number;
  /** sha256 of the usearch file: usearch's loader crashes the process on a damaged file, so it is checked first. */
  indexSha256: string;
  nextId: number;
  /** Live entries, parallel arrays. */
  ids: number[];
  keys: number[];
  labels: number[];
  meta: HnswMeta;
}

/** What the index supplies; the rest of the sidecar describes the usearch file written for it. */
export type SidecarContent = Omit<Sidecar, 'format' | 'version' | 'indexFile' | 'indexBytes' | 'indexSha256'>;

/**
 * Write the index atomically: the usearch file (`saveNative`) under a fresh name next to `file`, then the JSON
 * sidecar `file` via temp + rename — that rename is the commit. Older usearch files of `file` are deleted
 * afterwards. A crash leaves either the old pair or the new one (plus, at worst, an orphan usearch file that the
 * next save removes).
 */
export function writeIndexFiles(file: string, saveNative: (indexPath: string) => void, content: SidecarContent): void {
  const dir = path.dirname(path.resolve(file));
  const base = path.basename(file);
  const nonce = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const indexFile = `${base}.${nonce}.usearch`;
  const indexPath = path.join(dir, indexFile);
  const tmp = `${path.resolve(file)}.${nonce}.tmp`;
  try {
    saveNative(indexPath);
    fsyncFile(indexPath);
    const { nextId, ids, keys, labels, meta, ...settings } = content;
    const sidecar: Sidecar = {
      format: 'facenet-hnsw',
      version: 1,
      ...settings,
      indexFile,
      indexBytes: statSync(indexPath).size,
      indexSha256: sha256File(indexPath),
      nextId,
      ids,
      keys,
      labels,
      meta,
    };
    writeFileSync(tmp, JSON.stringify(sidecar));
    fsyncFile(tmp);
    renameSync(tmp, path.resolve(file));
    fsyncDir(dir);
  } catch (e) {
    rmSync(tmp, { force: true });
    rmSync(indexPath, { force: true });
    throw new FaceError(
      'GALLERY_ERROR',
      `could not save the HNSW index to ${file}: ${(e as Error).message}`,
      { file },
      { cause: e },
    );
  }
  // the new pair is committed: drop older usearch files of this sidecar
  for (const f of readdirSync(dir)) {
    if (f !== indexFile && f.startsWith(`${base}.`) && (f.endsWith('.usearch') || f.endsWith('.tmp')))
      rmSync(path.join(dir, f), { force: true });
  }
}

/**
 * Delete a saved index: the sidecar `file` and every usearch or temporary file of it (after a forget, a saved graph
 * still holds the forgotten vectors). Never throws: a file that cannot be removed is reported as a warning.
 */
export function removeIndexFiles(file: string): void {
  const dir = path.dirname(path.resolve(file));
  const base = path.basename(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no folder, no files
  }
  for (const f of names)
    if (f === base || (f.startsWith(`${base}.`) && (f.endsWith('.usearch') || f.endsWith('.tmp'))))
      try {
        rmSync(path.join(dir, f), { force: true });
      } catch (e) {
        process.emitWarning(`facenet: could not delete ${path.join(dir, f)}: ${(e as Error).message}`);
      }
}

/**
 * The sidecar `file` (which exists), its settings and entry arrays checked, and the path of its usearch file,
 * whose size and sha256 match: `fail` (which throws) otherwise, since usearch's loader corrupts the heap on a
 * damaged file.
 */
export function readSidecar(
  file: string,
  fail: (why: string, cause?: unknown) => never,
): { sidecar: Sidecar; indexPath: string } {
  let s: Sidecar;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as Sidecar;
  } catch (e) {
    return fail(`sidecar is not JSON (${(e as Error).message})`, e);
  }
  if (s === null || typeof s !== 'object' || s.format !== 'facenet-hnsw') return fail('not a facenet HNSW sidecar');
  if (s.version !== 1) return fail(`unsupported version ${String(s.version)}`);
  const intOk = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
  if (
    !intOk(s.dim) ||
    !intOk(s.connectivity) ||
    !intOk(s.expansionAdd) ||
    !intOk(s.expansionSearch) ||
    !(s.quantization in QUANTS)
  )
    return fail('bad settings');
  if (
    !Array.isArray(s.ids) ||
    !Array.isArray(s.keys) ||
    !Array.isArray(s.labels) ||
    s.ids.length !== s.keys.length ||
    s.ids.length !== s.labels.length
  )
    return fail('entry arrays missing or of different lengths');
  if (!Number.isInteger(s.nextId) || s.nextId < 0) return fail('bad nextId');
  if (typeof s.indexFile !== 'string' || s.indexFile.includes('/') || s.indexFile.includes('\\'))
    return fail('bad index file name');
  if (
    !s.meta ||
    typeof s.meta !== 'object' ||
    typeof s.meta.generation !== 'number' ||
    typeof s.meta.modelId !== 'string'
  )
    return fail('meta lacks generation / modelId');
  const indexPath = path.join(path.dirname(path.resolve(file)), s.indexFile);
  if (!existsSync(indexPath)) return fail(`its graph file ${s.indexFile} is missing`);
  if (statSync(indexPath).size !== s.indexBytes)
    return fail(`its graph file ${s.indexFile} has ${statSync(indexPath).size} bytes, expected ${s.indexBytes}`);
  // usearch's load() corrupts the heap (and aborts the process) on a truncated or garbled file: never hand it one
  if (typeof s.indexSha256 !== 'string' || sha256File(indexPath) !== s.indexSha256)
    return fail(`its graph file ${s.indexFile} does not match its checksum`);
  return { sidecar: s, indexPath };
}

function sha256File(file: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(8 << 20);
  const fd = openSync(file, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function fsyncFile(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported everywhere (Windows); the rename itself is still atomic
  }
}
