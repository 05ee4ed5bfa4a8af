/**
 * Live scores of labelled photos for `facenet eval liveness`: each photo decoded, its faces detected with the pack's
 * detector, one face chosen (the largest, or the one nearest the centre as LFW labels them) and scored.
 */
import type { Box, DetectOptions } from '../detect/types.js';
import { FaceError } from '../errors.js';
import { decodeImage, type DecodeOptions } from '../image/decode.js';
import type { RgbImage } from '../image/types.js';
import { centralFace, type FaceRecognizer } from '../recognizer.js';
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
  detect?: DetectOptions;
  decode?: DecodeOptions;
  onProgress?: (done: number, total: number) => void;
}

const area = (b: Box) => b.width * b.height;

function choose(boxes: readonly { box: Box; score: number }[], img: RgbImage, how: FaceChoice): Box | undefined {
  if (how === 'central') return centralFace(boxes, img.width, img.height)?.box;
  return [...boxes].sort((a, b) => area(b.box) - area(a.box))[0]?.box;
}

/** Each photo's chosen face and its live score, in order; unreadable photos carry their error. */
export async function scorePhotos(
  fr: FaceRecognizer,
  photos: readonly LabelledPhoto[],
  opts: ScoreOptions = {},
): Promise<ScoredPhoto[]> {
  const check = await fr.livenessChecker();
  const out: ScoredPhoto[] = [];
  for (const [i, p] of photos.entries()) {
    try {
      const img = await decodeImage(p.file, opts.decode);
      const dets = await fr.detector.detect(img, opts.detect);
      const box = choose(dets, img, opts.face ?? 'largest');
      const score = box ? (await check.scores(img, [box]))[0].score : undefined;
      out.push({ ...p, faces: dets.length, ...(box ? { box, score } : {}) });
    } catch (e) {
      if (!(e instanceof FaceError)) throw e;
      out.push({ ...p, faces: 0, error: { code: e.code, message: e.message } });
    }
    opts.onProgress?.(i + 1, photos.length);
  }
  return out;
}
