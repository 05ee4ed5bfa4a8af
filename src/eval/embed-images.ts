/**
 * Embeds a list of image files for an evaluation: the face nearest the image centre among those covering it
 * (LFW's labelled face), a centre box when the detector finds none, both plain and flipped embeddings, cached on disk.
 *
 * The per-image work runs on a FaceRecognizer in this thread or on the worker threads of a PooledRecognizer:
 * onnxruntime-node's session.run blocks the JS thread it is called from, so one thread keeps one core busy however
 * many images are in flight. The cache stays on this thread either way (lookups before dispatch, writes after).
 */
import { createHash } from 'node:crypto';
import type { FaceRecognizer } from '../recognizer.js';
import { centralFace } from '../recognizer.js';
import { decodeImage, readImageBytes } from '../image/decode.js';
import type { Box, Detection, DetectOptions } from '../detect/types.js';
import { PooledRecognizer } from '../server/worker-pool.js';
import type { CachedEmbedding, EmbeddingCache } from './embedding-cache.js';

export interface EmbedImagesOptions {
  cache?: EmbeddingCache;
  /**
   * Detection settings, over EVAL_DETECT (score ≥ 0.5, photos at their own resolution).
   */
  detect?: DetectOptions;
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

/** The labelled face of one image and the detections it was chosen from (for the detection cache). */
export interface LabelledFace extends CachedEmbedding {
  readonly detections: readonly Detection[];
}

/** What evaluations embed with: a recognizer on this thread, or a pool of them on worker threads. */
export type EvalRecognizer = FaceRecognizer | PooledRecognizer;

/**
 * Evaluation detection: score ≥ 0.5 (LFW faces are often cut by the frame; the labelled face is picked by
 * position), and the detector at the photos' own resolution (LFW photos are 250×250 with faces of ≈ 110 px:
 * a 256×256 input, a quarter of the 512×512 pass; on View 2 the accuracy, AUC and τ came out the same to four
 * digits either way, see the README).
 */
export const EVAL_DETECT: DetectOptions = { minScore: 0.5, enlarge: false };

/** EVAL_DETECT overridden by the settings given (undefined ones ignored). */
export function evalDetect(over: DetectOptions = {}): DetectOptions {
  return { ...EVAL_DETECT, ...Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)) };
}

/** LFW crops are centred on the face at roughly 2.2× its size. */
function centreBox(width: number, height: number): Box {
  const side = 0.45 * Math.min(width, height);
  return { x: (width - side) / 2, y: (height - side) / 2, width: side, height: side };
}

/** The labelled face must cover the image centre; a face elsewhere is a bystander, not a miss to accept. */
function coversCentre(box: Box, width: number, height: number): boolean {
  return box.x <= width / 2 && box.x + box.width >= width / 2 && box.y <= height / 2 && box.y + box.height >= height / 2;
}

/**
 * Embeds the labelled face of one encoded image: decode, detect (skipped when `detections` come from the cache),
 * landmarks, chips, plain and flipped embeddings. The one implementation for both this thread and the workers
 * (src/server/pipeline-worker.ts), so their results are the same. `detect` is used as given: pass evalDetect(…).
 */
export async function embedLabelledFace(fr: FaceRecognizer, bytes: Uint8Array, detect: DetectOptions, detections?: readonly Detection[]): Promise<LabelledFace> {
  const img = await decodeImage(bytes);
  const dets = detections ?? (await fr.detector.detect(img, detect));
  const central = dets.filter((f) => coversCentre(f.box, img.width, img.height));
  const face = centralFace(central, img.width, img.height);
  const status: CachedEmbedding['status'] = !face ? 'noface' : central.length === 1 ? 'ok' : 'central';
  const [landmarks] = await fr.landmarksFor(img, [face?.box ?? centreBox(img.width, img.height)]);
  const [views] = await fr.embedder.embedChipSetViews([fr.chipsFor(img, landmarks)], true);
  return { status, embedding: views.plain, flipped: views.flipped!, detections: dets };
}

export async function embedImages(fr: EvalRecognizer, files: readonly string[], opts: EmbedImagesOptions): Promise<EmbedImagesResult> {
  const t0 = performance.now();
  const embeddings = new Map<string, CachedEmbedding>();
  let computed = 0;
  let fromCache = 0;
  let next = 0;
  let done = 0;
  const detect = evalDetect(opts.detect);
  const pooled = fr instanceof PooledRecognizer;
  const pipelineKey = JSON.stringify({ pipeline: fr.pipelineKey, detect });
  const detectorKey = JSON.stringify({ detector: pooled ? fr.detectorId : fr.detector.modelId, opts: detect });
  const embedOne = (bytes: Buffer, cached?: readonly Detection[]) => (pooled ? fr.labelledFace(bytes, detect, cached) : embedLabelledFace(fr, bytes, detect, cached));
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
