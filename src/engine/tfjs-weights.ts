/**
 * Reads a tfjs weights manifest + .bin shards (the format face-api ships) into named Float32Arrays,
 * dequantising uint8/uint16 entries (value = q * scale + min).
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ModelError } from '../errors.js';

export interface WeightEntry {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export interface WeightMap {
  get(name: string): WeightEntry;
  has(name: string): boolean;
  names(): string[];
  /** sha256 of manifest + shards: identifies the model version for caches. */
  readonly digest: string;
}

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}
interface ManifestGroup {
  paths: string[];
  weights: ManifestWeight[];
}

export async function loadTfjsWeights(manifestPath: string): Promise<WeightMap> {
  let groups: ManifestGroup[];
  const hash = createHash('sha256');
  try {
    const text = await readFile(manifestPath, 'utf8');
    hash.update(text);
    groups = JSON.parse(text) as ManifestGroup[];
  } catch (e) {
    throw new ModelError(
      'MODEL_LOAD_FAILED',
      `cannot read weights manifest ${manifestPath}: ${(e as Error).message}`,
      undefined,
      { cause: e },
    );
  }
  const entries = new Map<string, WeightEntry>();
  for (const group of groups) {
    const shards = await Promise.all(group.paths.map((p) => readFile(path.join(path.dirname(manifestPath), p))));
    shards.forEach((s) => hash.update(s));
    const buf = Buffer.concat(shards);
    let offset = 0;
    for (const w of group.weights) {
      const size = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const bytesPer = q ? (q.dtype === 'uint8' ? 1 : 2) : 4;
      const nbytes = size * bytesPer;
      if (offset + nbytes > buf.length)
        throw new ModelError('MODEL_LOAD_FAILED', `weights file too short for ${w.name}`);
      const out = new Float32Array(size);
      if (!q) {
        const src = buf.subarray(offset, offset + nbytes);
        const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
        for (let i = 0; i < size; i++)
          out[i] = w.dtype === 'int32' ? dv.getInt32(i * 4, true) : dv.getFloat32(i * 4, true);
      } else if (q.dtype === 'uint8' || q.dtype === 'uint16') {
        const scale = q.scale ?? 1;
        const min = q.min ?? 0;
        for (let i = 0; i < size; i++) {
          const v = q.dtype === 'uint8' ? buf[offset + i] : buf.readUInt16LE(offset + 2 * i);
          out[i] = v * scale + min;
        }
      } else {
        throw new ModelError('MODEL_LOAD_FAILED', `unsupported quantization ${q.dtype} for ${w.name}`);
      }
      entries.set(w.name, { data: out, shape: w.shape });
      offset += nbytes;
    }
  }
  const digest = hash.digest('hex');
  return {
    digest,
    has: (name) => entries.has(name),
    names: () => [...entries.keys()],
    get(name) {
      const e = entries.get(name);
      if (!e) throw new ModelError('MODEL_LOAD_FAILED', `weight ${name} missing from ${path.basename(manifestPath)}`);
      return e;
    },
  };
}
