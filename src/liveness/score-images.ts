/**
 * Live scores of labelled photos for `facenet eval liveness`: each photo decoded, its faces detected with the pack's
 * detector (under the recognizer's detection settings), one face chosen by the evaluations' face policy (the
 * largest by default; LFW's centre one) and scored by the pipeline's liveness stage.
 */
import type { Box } from '../detect/types.js';
import { isInputError } from '../errors.js';
import { pickLabelledFace, type FacePolicy } from '../eval/labelled-face.js';
import type { PipelineStages } from '../pipeline-stages.js';
import type { ScoredPresentation } from './evaluate.js';

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
  /** Which detection is the photo's face (default largest). */
  face?: FacePolicy;
  onProgress?: (done: number, total: number) => void;
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
      const box = pickLabelledFace(dets, img.width, img.height, opts.face ?? 'largest').face?.box;
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
