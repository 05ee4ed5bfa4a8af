/**
 * Embeds a list of image files for an evaluation: the labelled face the face policy picks (by default LFW's: the face
 * nearest the image centre among those covering it), a centre box when the detector finds none, both plain and flipped
 * embeddings, cached on disk.
 *
 * The per-image work runs on a FaceRecognizer in this thread or on the worker threads of a PooledRecognizer:
 * onnxruntime-node's session.run blocks the JS thread it is called from, so one thread keeps one core busy however
 * many images are in flight. The cache stays on this thread either way (lookups before dispatch, writes after).
 */
import { createHash } from 'node:crypto';
import { stagesOf, type FaceRecognizer } from '../recognizer.js';
import { readImageBytes } from '../image/decode.js';
import type { Detection, DetectOptions } from '../detect/types.js';
import { PooledRecognizer } from '../workers/worker-pool.js';
import type { CachedEmbedding, EmbeddingCache } from './embedding-cache.js';
import { embedLabelledFace, evalDetect, type FacePolicy } from './labelled-face.js';

export {
  EVAL_DETECT,
  embedLabelledFace,
  evalDetect,
  FACE_POLICIES,
  type FacePolicy,
  type LabelledFace,
} from './labelled-face.js';

export interface EmbedImagesOptions {
  cache?: EmbeddingCache;
  /**
   * Detection settings, over EVAL_DETECT (score ≥ 0.5, photos at their own resolution).
   */
  detect?: DetectOptions;
  /** Which detection is each image's labelled face (default 'centre', LFW's protocol). */
  face?: FacePolicy;
  /**
   * Images in flight at once (overlaps reading and decoding with inference). Default 2 on this thread, 4 per
   * worker with a pool, so a worker has its next images queued while one is being decoded.
   */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface EmbedImagesResult {
  readonly embeddings: Map<string, CachedEmbedding>;
  readonly computed: number;
  readonly fromCache: number;
  readonly seconds: number;
}

/** What evaluations embed with: a recognizer on this thread, or a pool of them on worker threads. */
export type EvalRecognizer = FaceRecognizer | PooledRecognizer;

export async function embedImages(
  fr: EvalRecognizer,
  files: readonly string[],
  opts: EmbedImagesOptions,
): Promise<EmbedImagesResult> {
  const t0 = performance.now();
  const embeddings = new Map<string, CachedEmbedding>();
  let computed = 0;
  let fromCache = 0;
  let next = 0;
  let done = 0;
  const detect = evalDetect(opts.detect);
  const pooled = fr instanceof PooledRecognizer;
  const face = opts.face ?? 'centre';
  // 'centre' keeps the key it had before face policies existed, so cached LFW embeddings stay valid
  const pipelineKey = JSON.stringify({ pipeline: fr.pipelineKey, detect, ...(face === 'centre' ? {} : { face }) });
  const detectorKey = JSON.stringify({
    detector: pooled ? fr.detectorId : stagesOf(fr).detector.modelId,
    opts: detect,
  });
  const embedOne = (bytes: Buffer, cached?: readonly Detection[]) =>
    pooled ? fr.labelledFace(bytes, detect, cached, face) : embedLabelledFace(fr, bytes, detect, cached, face);
  let failed = false;
  const worker = async () => {
    // after one image fails, start no more: the caller closes the cache and the pool while the rest wind down
    while (next < files.length && !failed) {
      const file = files[next++];
      const bytes = await readImageBytes(file); // a missing file is IMAGE_NOT_FOUND, not an internal error
      const sha = createHash('sha256').update(bytes).digest('hex');
      let e = opts.cache?.get(pipelineKey, sha);
      if (e) fromCache++;
      else {
        const cachedDets = opts.cache?.getDetections(detectorKey, sha);
        const { detections, ...embedding } = await embedOne(bytes, cachedDets);
        if (!cachedDets) opts.cache?.putDetections(detectorKey, sha, detections);
        e = embedding;
        opts.cache?.put(pipelineKey, sha, e);
        computed++;
      }
      embeddings.set(file, e);
      opts.onProgress?.(++done, files.length);
    }
  };
  // 4 per worker: measured on a cold LFW View 2 run (2 workers), 8 in flight took 174 s, 4 took 179 s
  const inFlight = Math.max(1, opts.concurrency ?? (pooled ? 4 * fr.size : 2));
  await Promise.all(
    Array.from({ length: inFlight }, () =>
      worker().catch((e: unknown) => {
        failed = true;
        throw e;
      }),
    ),
  );
  return { embeddings, computed, fromCache, seconds: (performance.now() - t0) / 1000 };
}
