/**
 * What every evaluation (and a head's training on a pack) does first: load the pipeline, on worker threads or this
 * one, embed a list of images through the shared embedding cache, and close the cache and the workers whatever
 * happens. One worker per core by default: onnxruntime-node's session.run blocks the thread that calls it, so a single
 * thread keeps one core busy however many images are in flight.
 */
import os from 'node:os';
import path from 'node:path';
import { FaceRecognizer, type RecognizerOptions } from '../recognizer.js';
import { PooledRecognizer } from '../workers/worker-pool.js';
import { defaultCacheDir } from '../engine/model-store.js';
import type { DetectOptions } from '../detect/types.js';
import { EmbeddingCache } from './embedding-cache.js';
import { embedImages, type EmbedImagesResult, type EvalRecognizer } from './embed-images.js';
import type { FacePolicy } from './labelled-face.js';

export interface EmbedDatasetOptions {
  readonly recognizer: RecognizerOptions;
  /** Inference worker threads (default one per core; 0 = this thread). */
  readonly workers?: number;
  /** Embedding cache file (default ~/.cache/facenet-ts/eval-embeddings.db, shared by the evaluations); false: none. */
  readonly cacheFile?: string | false;
  /** Images in flight (default: embedImages' choice). */
  readonly concurrency?: number;
  /** Detection settings over EVAL_DETECT. */
  readonly detect?: DetectOptions;
  /** Which detection is each image's labelled face (default 'centre', LFW's protocol). */
  readonly face?: FacePolicy;
  /** Called once the models are loaded (e.g. to show a pack's licence line). */
  readonly onLoaded?: (fr: EvalRecognizer) => void;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface EmbeddedDataset {
  readonly res: EmbedImagesResult;
  /** The recognizer the images were embedded with, already closed: for its ids (modelId, ttaPaddings, packInfo). */
  readonly fr: EvalRecognizer;
  readonly loadSeconds: number;
}

const DEFAULT_EMBEDDING_CACHE = (): string => path.join(defaultCacheDir(), 'eval-embeddings.db');

/** The pipeline an evaluation embeds with: `workers` threads with a FaceRecognizer each, or (0) this thread. */
async function loadEvalRecognizer(opts: RecognizerOptions, workers?: number): Promise<EvalRecognizer> {
  const n = workers ?? os.availableParallelism();
  if (n === 0) return FaceRecognizer.load(opts);
  // the workers are the parallelism: onnxruntime's default (a thread per core in each) would oversubscribe
  return PooledRecognizer.start(n, { ...opts, threads: opts.threads ?? 1 });
}

export async function embedDataset(files: readonly string[], o: EmbedDatasetOptions): Promise<EmbeddedDataset> {
  const tLoad = performance.now();
  const fr = await loadEvalRecognizer(o.recognizer, o.workers);
  const loadSeconds = (performance.now() - tLoad) / 1000;
  try {
    o.onLoaded?.(fr);
    const cache = o.cacheFile === false ? undefined : new EmbeddingCache(o.cacheFile ?? DEFAULT_EMBEDDING_CACHE());
    try {
      const res = await embedImages(fr, files, {
        cache,
        detect: o.detect,
        face: o.face,
        concurrency: o.concurrency,
        onProgress: o.onProgress,
      });
      return { res, fr, loadSeconds };
    } finally {
      cache?.close();
    }
  } finally {
    await fr.close();
  }
}

/** How the labelled faces were found: alone, the central one of several, or not at all (centre-box fallback). */
export interface FaceCounts {
  single: number;
  centralOfSeveral: number;
  noFaceCentreFallback: number;
}

export function faceCounts(res: EmbedImagesResult): FaceCounts {
  const c: FaceCounts = { single: 0, centralOfSeveral: 0, noFaceCentreFallback: 0 };
  for (const e of res.embeddings.values())
    if (e.status === 'ok') c.single++;
    else if (e.status === 'central') c.centralOfSeveral++;
    else c.noFaceCentreFallback++;
  return c;
}

/** FaceCounts as one line of text. */
export function faceCountsLine(c: FaceCounts): string {
  return (
    `${c.single} single, ${c.centralOfSeveral} picked of several, ` +
    `${c.noFaceCentreFallback} no face (centre-box fallback)`
  );
}
