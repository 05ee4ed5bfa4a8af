/**
 * The labelled face of one LFW-style image: the face nearest the image centre among those covering it, a centre box
 * when the detector finds none; plain and flipped embeddings. The one implementation for evaluations on this thread
 * (embed-images.ts) and on the inference workers (src/workers/pipeline-worker.ts), so their results are the same.
 */
import { stagesOf, type FaceRecognizer } from '../recognizer.js';
import { centralFace } from '../detect/box.js';
import { decodeImage } from '../image/decode.js';
import type { Box, Detection, DetectOptions } from '../detect/types.js';
import type { CachedEmbedding } from './embedding-cache.js';

/** The labelled face of one image and the detections it was chosen from (for the detection cache). */
export interface LabelledFace extends CachedEmbedding {
  readonly detections: readonly Detection[];
}

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
  return (
    box.x <= width / 2 && box.x + box.width >= width / 2 && box.y <= height / 2 && box.y + box.height >= height / 2
  );
}

/**
 * Embeds the labelled face of one encoded image: decode, detect (skipped when `detections` come from the cache),
 * landmarks (or the detector's five points), chips, plain and flipped embeddings. `detect` is used as given: pass
 * evalDetect(…).
 */
export async function embedLabelledFace(
  fr: FaceRecognizer,
  bytes: Uint8Array,
  detect: DetectOptions,
  detections?: readonly Detection[],
): Promise<LabelledFace> {
  const stages = stagesOf(fr);
  const img = await decodeImage(bytes);
  const dets = detections ?? (await stages.detector.detect(img, detect));
  const central = dets.filter((f) => coversCentre(f.box, img.width, img.height));
  const face = centralFace(central, img.width, img.height);
  const status: CachedEmbedding['status'] = !face ? 'noface' : central.length === 1 ? 'ok' : 'central';
  // the face as the pack aligns it: 68 points on its box, or the detector's five points
  const [located] = await stages.locate(img, [face ?? { box: centreBox(img.width, img.height), score: 0 }]);
  const [views] = await stages.embedder.embedChipSetViews([stages.faceChips(img, located)], true);
  return { status, embedding: views.plain, flipped: views.flipped!, detections: dets };
}
