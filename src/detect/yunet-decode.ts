/**
 * YuNet's outputs → face candidates. Anchor-free: one prediction per feature-map cell at strides 8, 16 and 32, cells
 * in row-major order. Per cell: cls and obj (probabilities), bbox (dx, dy, log w, log h) and kps (five (kx, ky)).
 *   score = √(cls · obj)  (each clamped to [0, 1])
 *   centre = ((col + dx) · s, (row + dy) · s), size = (e^lw · s, e^lh · s)
 *   point k = ((col + kx) · s, (row + ky) · s)
 * The points come in image left-to-right order: left eye, right eye, nose tip, left and right mouth corner.
 */
import { CandidateBuilder, type Candidates } from './candidates.js';
import { invariant } from '../errors.js';

export const YUNET_STRIDES = [8, 16, 32] as const;

/** One stride's outputs (`cls_8`, `obj_8`, `bbox_8`, `kps_8`, …), batch 1. */
export interface YunetLevel {
  readonly stride: number;
  /** [cells] */
  readonly cls: Float32Array;
  /** [cells] */
  readonly obj: Float32Array;
  /** [cells, 4] */
  readonly bbox: Float32Array;
  /** [cells, 10] */
  readonly kps: Float32Array;
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Candidates scoring above `minScore` on a `width`×`height` canvas (sides multiples of 32). */
export function decodeYunet(
  levels: readonly YunetLevel[],
  width: number,
  height: number,
  minScore: number,
): Candidates {
  const out = new CandidateBuilder();
  const pts = new Float64Array(10);
  for (const { stride, cls, obj, bbox, kps } of levels) {
    const cols = Math.ceil(width / stride);
    const rows = Math.ceil(height / stride);
    const cells = cols * rows;
    invariant(
      cls.length === cells && obj.length === cells && bbox.length === 4 * cells && kps.length === 10 * cells,
      `YuNet stride ${stride}: expected ${cells} cells for ${width}×${height}, ` +
        `got cls ${cls.length}, obj ${obj.length}, bbox ${bbox.length / 4}, kps ${kps.length / 10}`,
    );
    for (let i = 0; i < cells; i++) {
      const score = Math.sqrt(clamp01(cls[i]) * clamp01(obj[i]));
      if (!(score > minScore)) continue;
      const col = i % cols;
      const row = (i - col) / cols;
      const b = 4 * i;
      const cx = (col + bbox[b]) * stride;
      const cy = (row + bbox[b + 1]) * stride;
      const w = Math.exp(bbox[b + 2]) * stride;
      const h = Math.exp(bbox[b + 3]) * stride;
      const k = 10 * i;
      for (let j = 0; j < 5; j++) {
        pts[2 * j] = (col + kps[k + 2 * j]) * stride;
        pts[2 * j + 1] = (row + kps[k + 2 * j + 1]) * stride;
      }
      out.add(score, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, pts);
    }
  }
  return out.build();
}

/** YuNet's twelve named outputs (`cls_8` … `kps_32`) as levels. */
export function yunetLevels(outputs: Readonly<Record<string, { data: Float32Array } | undefined>>): YunetLevel[] {
  return YUNET_STRIDES.map((stride) => {
    const get = (kind: string) => {
      const t = outputs[`${kind}_${stride}`];
      invariant(t, `YuNet: output ${kind}_${stride} missing (got ${Object.keys(outputs).join(', ')})`);
      return t.data;
    };
    return { stride, cls: get('cls'), obj: get('obj'), bbox: get('bbox'), kps: get('kps') };
  });
}
