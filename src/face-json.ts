/**
 * One face as JSON, the same from the CLI (`--json`) and the HTTP service: the box in whole pixels, the detector
 * score to four places, the landmarks and the detector's points to a tenth of a pixel, the embedding (when asked for)
 * to six places. A stage that adds a per-face field (liveness, …) adds its writer to FACE_FIELDS, and both surfaces
 * print it.
 */
import type { Box } from './detect/types.js';
import type { Point } from './align/types.js';

export interface BoxJson {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What the serializer reads from a face; any other field of a face is left out unless FACE_FIELDS names it. */
export interface SerializableFace {
  readonly box: Box;
  readonly score: number;
  readonly landmarks?: readonly Point[];
  readonly points?: readonly Point[];
  readonly embedding?: Float32Array;
}

export interface FaceJson {
  box: BoxJson;
  score: number;
  landmarks?: number[][];
  points?: number[][];
  embedding?: number[];
  [field: string]: unknown;
}

export interface FaceJsonOptions {
  /** The 68 landmarks and the detector's points (default true). */
  readonly landmarks?: boolean;
  /** The embedding (default false: 128 or 512 numbers per face). */
  readonly embedding?: boolean;
}

/** Four decimal places (distances, scores); non-finite values pass through (JSON writes them as null). */
export const r4 = (v: number): number => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : v);

export const boxJson = (b: Box): BoxJson => ({
  x: Math.round(b.x),
  y: Math.round(b.y),
  width: Math.round(b.width),
  height: Math.round(b.height),
});

const pointsJson = (ps: readonly Point[]): number[][] =>
  ps.map((p) => [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10]);

/**
 * Per-face fields after the box and score, in output order, each with its JSON writer. `landmarks` and `points`
 * follow FaceJsonOptions.landmarks; a new per-face field (e.g. `liveness`) is one more entry.
 */
const FACE_FIELDS: Readonly<Record<string, (value: never) => unknown>> = {
  landmarks: pointsJson,
  points: pointsJson,
};
const POINT_FIELDS = new Set(['landmarks', 'points']);

export function faceJson(face: SerializableFace, opts: FaceJsonOptions = {}): FaceJson {
  const out: FaceJson = { box: boxJson(face.box), score: r4(face.score) };
  const fields = face as unknown as Record<string, unknown>;
  for (const [name, write] of Object.entries(FACE_FIELDS)) {
    if (fields[name] === undefined || (opts.landmarks === false && POINT_FIELDS.has(name))) continue;
    out[name] = write(fields[name] as never);
  }
  if (opts.embedding && face.embedding) out.embedding = Array.from(face.embedding, (v) => Math.round(v * 1e6) / 1e6);
  return out;
}
