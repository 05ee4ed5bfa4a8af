/**
 * The labelled face of one evaluation image, chosen by a face policy (below; LFW's: the face nearest the image centre
 * among those covering it), a centre box when the detector finds none; plain and flipped embeddings. The one
 * implementation for evaluations on this thread (embed-images.ts) and on the inference workers
 * (src/workers/pipeline-worker.ts), so their results are the same.
 */
import { stagesOf, type FaceRecognizer } from '../recognizer.js';
import { centralFace } from '../detect/box.js';
import { decodeImage } from '../image/decode.js';
import type { Box, Detection, DetectOptions } from '../detect/types.js';
import type { CachedEmbedding, FaceStatus } from './embedding-cache.js';
import { FaceError } from '../errors.js';
import { normalisedMean } from '../embed/vector.js';

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
 * Which detection is an evaluation image's labelled face:
 * - `centre`: the face nearest the image centre among those covering it (LFW's protocol: its photos are centred on the
 *   labelled face, and a face elsewhere is a bystander). The default of the LFW evaluations, so their published
 *   figures stay comparable.
 * - `nearest`: the face nearest the image centre, whether or not it covers it (photos roughly centred, faces not).
 * - `largest`: the largest face (single-subject photos that are not centred, such as CFP's).
 * Whatever the policy, an image with no detection at all falls back to a centre box (status `noface`).
 */
export type FacePolicy = 'centre' | 'nearest' | 'largest';
export const FACE_POLICIES: readonly FacePolicy[] = ['centre', 'nearest', 'largest'];
export const FACE_POLICY_HELP =
  "which detection is the photo's labelled face: centre (nearest the centre among those covering it, LFW's " +
  'protocol), nearest (nearest the centre), largest';

export function parseFacePolicy(v: string | undefined, fallback: FacePolicy): FacePolicy {
  if (v === undefined) return fallback;
  if ((FACE_POLICIES as readonly string[]).includes(v)) return v as FacePolicy;
  throw new FaceError('INVALID_INPUT', `--face expects one of ${FACE_POLICIES.join(', ')}, got "${v}"`);
}

/** The labelled face among `dets` under `policy`, and whether it was the only candidate ('ok') or one of several. */
export function pickLabelledFace<D extends Pick<Detection, 'box' | 'score'>>(
  dets: readonly D[],
  width: number,
  height: number,
  policy: FacePolicy = 'centre',
): { face?: D; status: FaceStatus } {
  const candidates = policy === 'centre' ? dets.filter((f) => coversCentre(f.box, width, height)) : dets;
  const face =
    policy === 'largest'
      ? candidates.reduce<D | undefined>((a, b) => (!a || area(b.box) > area(a.box) ? b : a), undefined)
      : centralFace(candidates, width, height);
  return { face, status: !face ? 'noface' : candidates.length === 1 ? 'ok' : 'central' };
}

const area = (b: Box) => b.width * b.height;

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
  policy: FacePolicy = 'centre',
): Promise<LabelledFace> {
  const stages = stagesOf(fr);
  const img = await decodeImage(bytes);
  const dets = detections ?? (await stages.detector.detect(img, detect));
  const { face, status } = pickLabelledFace(dets, img.width, img.height, policy);
  // the face as the pack aligns it: 68 points on its box, or the detector's five points
  const [located] = await stages.locate(img, [face ?? { box: centreBox(img.width, img.height), score: 0 }]);
  const [views] = await stages.embedder.embedChipSetViews([stages.faceChips(img, located)], true);
  if (stages.turnedFlip(located)) {
    // a turned face is always embedded with its mirror image: both variants are that mean
    const both = normalisedMean([views.plain, views.flipped!]);
    return { status, embedding: both, flipped: both, detections: dets };
  }
  return { status, embedding: views.plain, flipped: views.flipped!, detections: dets };
}
