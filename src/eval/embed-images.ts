/**
 * Embeds a list of image files for an evaluation: the face nearest the image centre among those covering it
 * (LFW's labelled face), a centre box when the detector finds none, both plain and flipped embeddings, cached on disk.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FaceRecognizer } from '../recognizer.js';
import { centralFace } from '../recognizer.js';
import { decodeImage } from '../image/decode.js';
import type { Box, DetectOptions } from '../detect/types.js';
import type { CachedEmbedding, EmbeddingCache } from './embedding-cache.js';

export interface EmbedImagesOptions {
  cache?: EmbeddingCache;
  /**
   * Detection settings. Default: score ≥ 0.5, lower than the product default, because LFW faces are often cut
   * by the frame and score low; the labelled face is then picked by position.
   */
  detect?: DetectOptions;
  /** Images in flight at once (overlaps decoding with inference). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface EmbedImagesResult {
  readonly embeddings: Map<string, CachedEmbedding>;
  readonly computed: number;
  readonly fromCache: number;
  readonly seconds: number;
}

export const EVAL_DETECT: DetectOptions = { minScore: 0.5 };

function evalDetect(over: DetectOptions = {}): DetectOptions {
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

async function embedOne(fr: FaceRecognizer, bytes: Buffer, sha: string, opts: EmbedImagesOptions): Promise<CachedEmbedding> {
  const img = await decodeImage(bytes);
  const detect = evalDetect(opts.detect);
  const detectorKey = JSON.stringify({ detector: fr.detector.modelId, opts: detect });
  let dets = opts.cache?.getDetections(detectorKey, sha);
  if (!dets) {
    dets = await fr.detector.detect(img, detect);
    opts.cache?.putDetections(detectorKey, sha, dets);
  }
  const central = dets.filter((f) => coversCentre(f.box, img.width, img.height));
  const face = centralFace(central, img.width, img.height);
  const status: CachedEmbedding['status'] = !face ? 'noface' : central.length === 1 ? 'ok' : 'central';
  const [landmarks] = await fr.landmarksFor(img, [face?.box ?? centreBox(img.width, img.height)]);
  const [views] = await fr.embedder.embedChipSetViews([fr.chipsFor(img, landmarks)], true);
  return { status, embedding: views.plain, flipped: views.flipped! };
}

export async function embedImages(fr: FaceRecognizer, files: readonly string[], opts: EmbedImagesOptions): Promise<EmbedImagesResult> {
  const t0 = performance.now();
  const embeddings = new Map<string, CachedEmbedding>();
  let computed = 0;
  let fromCache = 0;
  let next = 0;
  let done = 0;
  const pipelineKey = JSON.stringify({ pipeline: fr.pipelineKey, detect: evalDetect(opts.detect) });
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++];
      const bytes = await readFile(file);
      const sha = createHash('sha256').update(bytes).digest('hex');
      let e = opts.cache?.get(pipelineKey, sha);
      if (e) fromCache++;
      else {
        e = await embedOne(fr, bytes, sha, opts);
        opts.cache?.put(pipelineKey, sha, e);
        computed++;
      }
      embeddings.set(file, e);
      opts.onProgress?.(++done, files.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, worker));
  return { embeddings, computed, fromCache, seconds: (performance.now() - t0) / 1000 };
}
