/**
 * SCRFD's outputs → face candidates. Strides 8, 16 and 32, `anchorsPerCell` (2) anchors per feature-map cell, cells
 * in row-major order and a cell's anchors next to each other; an anchor sits at the cell's corner (col · s, row · s).
 * Per anchor: a score (a probability), box distances (l, t, r, b) and five point offsets (kx, ky), all in strides:
 *   box = (cx − l·s, cy − t·s, cx + r·s, cy + b·s), point k = (cx + kx·s, cy + ky·s).
 * The points come in image left-to-right order: left eye, right eye, nose tip, left and right mouth corner.
 */
import { CandidateBuilder, type Candidates } from './candidates.js';
import { invariant } from '../errors.js';

export const SCRFD_STRIDES = [8, 16, 32] as const;

/** One stride's outputs, batch 1. */
export interface ScrfdLevel {
  readonly stride: number;
  /** [anchors] */
  readonly scores: Float32Array;
  /** [anchors, 4] */
  readonly boxes: Float32Array;
  /** [anchors, 10] */
  readonly kps: Float32Array;
}

/** Candidates scoring above `minScore` on a `width`×`height` canvas (sides multiples of 32). */
export function decodeScrfd(
  levels: readonly ScrfdLevel[],
  width: number,
  height: number,
  minScore: number,
  anchorsPerCell = 2,
): Candidates {
  const out = new CandidateBuilder();
  const pts = new Float64Array(10);
  for (const { stride, scores, boxes, kps } of levels) {
    const cols = Math.ceil(width / stride);
    const rows = Math.ceil(height / stride);
    const n = cols * rows * anchorsPerCell;
    invariant(
      scores.length === n && boxes.length === 4 * n && kps.length === 10 * n,
      `SCRFD stride ${stride}: expected ${n} anchors for ${width}×${height}, ` +
        `got scores ${scores.length}, boxes ${boxes.length / 4}, kps ${kps.length / 10}`,
    );
    for (let i = 0; i < n; i++) {
      const score = scores[i];
      if (!(score > minScore)) continue;
      const cell = Math.floor(i / anchorsPerCell);
      const col = cell % cols;
      const cx = col * stride;
      const cy = ((cell - col) / cols) * stride;
      const b = 4 * i;
      const k = 10 * i;
      for (let j = 0; j < 5; j++) {
        pts[2 * j] = cx + kps[k + 2 * j] * stride;
        pts[2 * j + 1] = cy + kps[k + 2 * j + 1] * stride;
      }
      out.add(
        Math.min(1, score),
        cx - boxes[b] * stride,
        cy - boxes[b + 1] * stride,
        cx + boxes[b + 2] * stride,
        cy + boxes[b + 3] * stride,
        pts,
      );
    }
  }
  return out.build();
}

/**
 * Groups SCRFD's nine outputs into levels. Their names differ between exports (`446`, `449`, … for 2.5G, `443`, …
 * for 500M), so they are told apart by shape: the last dimension is 1 (scores), 4 (boxes) or 10 (points), and within
 * a kind the largest output is stride 8. Returns the levels and the anchors per cell.
 */
export function scrfdLevels(
  outputs: readonly { data: Float32Array; dims: readonly number[] }[],
  width: number,
  height: number,
): { levels: ScrfdLevel[]; anchorsPerCell: number } {
  const kind = (w: number) =>
    outputs
      .filter((t) => t.dims[t.dims.length - 1] === w)
      .map((t) => t.data)
      .sort((a, b) => b.length / w - a.length / w);
  const scores = kind(1);
  const boxes = kind(4);
  const kps = kind(10);
  invariant(
    outputs.length === 9 && scores.length === 3 && boxes.length === 3 && kps.length === 3,
    'SCRFD: expected 3 score, 3 box and 3 point outputs, ' +
      `got shapes ${outputs.map((t) => `[${t.dims.join(',')}]`).join(' ')}`,
  );
  const cells8 = Math.ceil(width / 8) * Math.ceil(height / 8);
  const anchorsPerCell = scores[0].length / cells8;
  invariant(
    Number.isInteger(anchorsPerCell) && anchorsPerCell >= 1,
    `SCRFD: ${scores[0].length} stride-8 scores for ${cells8} cells`,
  );
  return {
    levels: SCRFD_STRIDES.map((stride, i) => ({ stride, scores: scores[i], boxes: boxes[i], kps: kps[i] })),
    anchorsPerCell,
  };
}
