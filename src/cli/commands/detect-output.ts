/** What `facenet detect` prints: one photo's faces, or a run over several photos and folders with a summary. */
import type { FaceError } from '../../errors.js';
import type { Face } from '../../recognizer.js';
import { boxText } from '../../gallery/enrollment.js';
import { faceJson } from '../../face-json.js';
import { EXIT, exitCodeOfErrors } from '../output.js';

/** One photo of a run: its faces, or the typed error that refused it (unreadable, SPOOF_SUSPECTED under require). */
export type DetectRow = { source: string; faces?: Face[]; error?: FaceError };

export interface DetectSummary {
  images: number;
  faces: number;
  /** Faces judged not live (when the check ran). */
  notLive?: number;
  imagesWithoutFace: number;
  errors: number;
}

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

/** One face: box and score, its liveness verdict when judged, and the --face box when the photo has several. */
function faceLine(f: Face, i: number, several: boolean): string {
  const l = f.liveness;
  return (
    `face ${i + 1}: x=${round(f.box.x, 0)} y=${round(f.box.y, 0)} ` +
    `${round(f.box.width, 0)}×${round(f.box.height, 0)} score=${round(f.score, 3)}` +
    (l ? ` liveness=${round(l.score, 3)} ${l.live ? 'live' : `NOT LIVE (< ${l.threshold})`}` : '') +
    (several ? `  (--face ${boxText(f.box)})` : '')
  );
}

export function detectLines(faces: readonly Face[]): string {
  if (!faces.length) return 'no face found';
  return faces.map((f, i) => faceLine(f, i, faces.length > 1)).join('\n');
}

export function detectSummary(rows: readonly DetectRow[], judged: boolean): DetectSummary {
  const faces = rows.flatMap((r) => r.faces ?? []);
  return {
    images: rows.length,
    faces: faces.length,
    ...(judged ? { notLive: faces.filter((f) => f.liveness && !f.liveness.live).length } : {}),
    imagesWithoutFace: rows.filter((r) => r.faces && !r.faces.length).length,
    errors: rows.filter((r) => r.error).length,
  };
}

export function detectRunJson(pack: string, rows: readonly DetectRow[], s: DetectSummary, landmarks: boolean) {
  return {
    pack,
    results: rows.map((r) =>
      r.error
        ? { source: r.source, error: r.error.toJSON() }
        : { source: r.source, faces: r.faces!.map((f) => faceJson(f, { landmarks })) },
    ),
    summary: s,
  };
}

export function detectRunLines(rows: readonly DetectRow[], s: DetectSummary): string {
  const photo = (r: DetectRow) =>
    r.error
      ? `${r.source}: error [${r.error.code}] ${r.error.message}`
      : r.faces!.length
        ? `${r.source}:\n${detectLines(r.faces!).replace(/^/gm, '  ')}`
        : `${r.source}: no face found`;
  return [
    ...rows.map(photo),
    `${s.images} image(s), ${s.faces} face(s)` +
      (s.notLive !== undefined ? `, ${s.notLive} not live` : '') +
      `, ${s.imagesWithoutFace} without a face, ${s.errors} error(s)`,
  ].join('\n');
}

/** Errors first (4 when every one is SPOOF_SUSPECTED), then whether any face was found. */
export function detectRunExit(rows: readonly DetectRow[]): number {
  const errors = rows.flatMap((r) => (r.error ? [r.error] : []));
  if (errors.length) return exitCodeOfErrors(errors);
  return rows.some((r) => r.faces?.length) ? EXIT.ok : EXIT.noMatch;
}
