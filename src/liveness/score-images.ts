/**
 * Live scores of labelled photos for `facenet eval liveness`: each photo decoded, its faces detected with the pack's
 * detector (under the recognizer's detection settings), one face chosen (the largest, or the one nearest the centre
 * as LFW labels them) and scored by the pipeline's liveness stage.
 */
import type { Box } from '../detect/types.js';
import { boxArea, centralFace } from '../detect/box.js';
import { isInputError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import type { PipelineStages } from '../pipeline-stages.js';
import type { ScoredPresentation } from './evaluate.js';

export type FaceChoice = 'largest' | 'central';

export interface LabelledPhoto {
  readonly file: string;
  readonly label: string;
}

export interface ScoredPhoto extends ScoredPresentation {
  readonly box?: Box;
  /** Faces the detector found. */
  readonly faces: number;
  /** A photo that could not be read (typed error code and message). */
  readonly error?: { readonly code: string; readonly message: string };
}

export interface ScoreOptions {
  face?: FaceChoice;
  onProgress?: (done: number, total: number) => void;
}

function choose(boxes: readonly { box: Box; score: number }[], img: RgbImage, how: FaceChoice): Box | undefined {
  if (how === 'central') return centralFace(boxes, img.width, img.height)?.box;
  return [...boxes].sort((a, b) => boxArea(b.box) - boxArea(a.box))[0]?.box;
}

/** Each photo's chosen face and its live score, in order; unreadable photos carry their error. */
export async function scorePhotos(
  stages: PipelineStages,
  photos: readonly LabelledPhoto[],
  opts: ScoreOptions = {},
): Promise<ScoredPhoto[]> {
  const check = await stages.liveness.checker();
  const out: ScoredPhoto[] = [];
  for (const [i, p] of photos.entries()) {
    try {
      const img = await stages.decode(p.file);
      const dets = await stages.detectBoxes(img);
      const box = choose(dets, img, opts.face ?? 'largest');
      const score = box ? (await check.scores(img, [box]))[0].score : undefined;
      out.push({ ...p, faces: dets.length, ...(box ? { box, score } : {}) });
    } catch (e) {
      if (!isInputError(e)) throw e;
      out.push({ ...p, faces: 0, error: { code: e.code, message: e.message } });
    }
    opts.onProgress?.(i + 1, photos.length);
  }
  return out;
}
