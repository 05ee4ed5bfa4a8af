/**
 * Turns the tfjs weights shipped in @vladmandic/face-api into cached ONNX files.
 * Built on first use, keyed by (graph builder version, weights digest); never downloaded.
 */
import { createRequire } from 'node:module';
import { mkdir, readFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { loadTfjsWeights, type WeightMap } from './tfjs-weights.js';
import type { GraphBuilder } from './onnx-graph.js';

export interface BuiltModel {
  /** Stable id: network name + short digest of its weights and graph builder version. */
  readonly id: string;
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface ModelRecipe {
  /** face-api weight file stem, e.g. `face_recognition_model`. */
  readonly weights: string;
  /** Bump when the function computed from the same weights changes (a new model id: galleries keyed by it). */
  readonly version: number;
  /**
   * Bump when the graph is rewritten to compute the same function (equal to float rounding, e.g. ops folded for
   * speed): a new cache file, the same model id, so galleries, caches and calibrations stay valid.
   */
  readonly layout?: number;
  readonly name: string;
  build(weights: WeightMap): GraphBuilder;
}

export function faceApiModelDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

export function defaultCacheDir(): string {
  if (process.env.FACENET_CACHE) return process.env.FACENET_CACHE;
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'facenet-ts');
}

export async function buildModel(
  recipe: ModelRecipe,
  opts: { cacheDir?: string; modelDir?: string } = {},
): Promise<BuiltModel> {
  const modelDir = opts.modelDir ?? faceApiModelDir();
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const manifest = path.join(modelDir, `${recipe.weights}-weights_manifest.json`);
  // The key hashes the manifest + shard bytes, so a changed package rebuilds.
  const weightsText = await readFile(manifest);
  const shardNames = (JSON.parse(weightsText.toString('utf8')) as { paths: string[] }[]).flatMap((g) => g.paths);
  const h = createHash('sha256').update(`${recipe.name}:v${recipe.version}:`).update(weightsText);
  for (const s of shardNames) h.update(await readFile(path.join(modelDir, s)));
  const digest = h.digest('hex').slice(0, 12);
  const id = `${recipe.name}@${digest}`;
  const file = path.join(cacheDir, `${recipe.name}-${digest}${recipe.layout ? `-l${recipe.layout}` : ''}.onnx`);
  try {
    return { id, path: file, bytes: new Uint8Array(await readFile(file)) };
  } catch {
    /* not cached yet */
  }
  const weights = await loadTfjsWeights(manifest);
  const bytes = recipe.build(weights).toBytes();
  await mkdir(cacheDir, { recursive: true });
  // Written to a temporary file of its own and renamed, so concurrent builders never see a half-written model.
  // Its name must differ per thread, not only per process: two worker threads once wrote one `<file>.<pid>.tmp`
  // and left a corrupt model that made onnxruntime abort the process (a cold cache in CI).
  await writeFileAtomic(file, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { id, path: file, bytes };
}
