/**
 * The anti-spoofing crops, exactly as the MiniFASNet pair was trained and evaluated (Silent-Face-Anti-Spoofing's
 * CropImage, then OpenCV's `resize` with INTER_LINEAR on 8-bit pixels): a box s′ times the face box around its
 * centre, shifted (never clipped) back into the photo, corners truncated to integers, the inclusive region resized
 * to 80×80, BGR planes of raw 0–255 values. ../shared/models/README.md ("Anti-spoofing") gives the spec.
 */
import type { Box } from '../detect/types.js';
import type { RgbImage } from '../image/types.js';

/** An inclusive pixel rectangle: columns left…right and rows top…bottom all belong to it. */
export interface PixelRect {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/**
 * The crop rectangle for a face box at `scale`: s′ = min(scale, (H−1)/h, (W−1)/w), so the box always fits; a box
 * sticking out on one side is moved in by the overhang (shift, not clip); corners truncate toward zero, as Python's
 * int() does on the (non-negative) coordinates.
 */
export function cropRect(width: number, height: number, box: Box, scale: number): PixelRect {
  const s = Math.min(scale, (height - 1) / box.height, (width - 1) / box.width);
  const w = box.width * s;
  const h = box.height * s;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  let left = cx - w / 2;
  let top = cy - h / 2;
  let right = cx + w / 2;
  let bottom = cy + h / 2;
  if (left < 0) [right, left] = [right - left, 0];
  if (top < 0) [bottom, top] = [bottom - top, 0];
  if (right > width - 1) [left, right] = [left - (right - width + 1), width - 1];
  if (bottom > height - 1) [top, bottom] = [top - (bottom - height + 1), height - 1];
  return { left: Math.trunc(left), top: Math.trunc(top), right: Math.trunc(right), bottom: Math.trunc(bottom) };
}

/** OpenCV's fixed-point resize weights: 11 fractional bits. */
const COEF_BITS = 11;
const COEF_ONE = 1 << COEF_BITS;

/** cvRound: to the nearest integer, ties to even (the FPU's default mode). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Source index and fixed-point weights of each output position along one axis, as OpenCV's INTER_LINEAR computes
 * them: half-pixel centres, fx = (d + 0.5)·(src/dst) − 0.5 in single precision, edges replicated (fx = 0 there).
 */
function axisTaps(src: number, dst: number): { index: Int32Array; w0: Int32Array; w1: Int32Array } {
  const scale = src / dst;
  const index = new Int32Array(dst);
  const w0 = new Int32Array(dst);
  const w1 = new Int32Array(dst);
  for (let d = 0; d < dst; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (s < 0) [f, s] = [0, 0];
    if (s >= src - 1) [f, s] = [0, src - 1];
    index[d] = s;
    w0[d] = roundHalfEven(Math.fround(1 - f) * COEF_ONE);
    w1[d] = roundHalfEven(f * COEF_ONE);
  }
  return { index, w0, w1 };
}

/**
 * The inclusive region `rect` of `img` resized to size×size and written as BGR planes (raw 0–255 floats) into `out`
 * at `offset` (NCHW, one sample). Bilinear like OpenCV's INTER_LINEAR on 8-bit images: fixed-point weights, no
 * antialiasing, and the vertical pass rounded the way its SIMD path (the one taken on x86-64) rounds; so the crops
 * match OpenCV's byte for byte, which the parity references need.
 */
export function resizeCropBgr(img: RgbImage, rect: PixelRect, size: number, out: Float32Array, offset = 0): void {
  const cw = rect.right - rect.left + 1;
  const ch = rect.bottom - rect.top + 1;
  const xs = axisTaps(cw, size);
  const ys = axisTaps(ch, size);
  const { width, data } = img;
  const plane = size * size;
  // horizontal pass for one source row: per output column and channel, the sum Σ pixel · weight (weights sum 2048)
  const rowSums = (r: number, into: Int32Array) => {
    const base = (rect.top + r) * width;
    for (let d = 0; d < size; d++) {
      const s = xs.index[d];
      const i0 = (base + rect.left + s) * 3;
      const i1 = s + 1 < cw ? i0 + 3 : i0;
      for (let c = 0; c < 3; c++) into[d * 3 + c] = data[i0 + c] * xs.w0[d] + data[i1 + c] * xs.w1[d];
    }
  };
  const row0 = new Int32Array(size * 3);
  const row1 = new Int32Array(size * 3);
  for (let y = 0; y < size; y++) {
    const s = ys.index[y];
    rowSums(s, row0);
    rowSums(s + 1 < ch ? s + 1 : s, row1);
    const b0 = ys.w0[y];
    const b1 = ys.w1[y];
    for (let x = 0; x < size; x++)
      for (let c = 0; c < 3; c++) {
        const k = x * 3 + c;
        // OpenCV's VResizeLinearVec_32s8u: ((S0 >> 4)·b0 >> 16) + ((S1 >> 4)·b1 >> 16), then (v + 2) >> 2, saturated
        const v = (((row0[k] >> 4) * b0) >> 16) + (((row1[k] >> 4) * b1) >> 16);
        const px = Math.min(255, Math.max(0, (v + 2) >> 2));
        // RGB in, BGR planes out
        out[offset + (2 - c) * plane + y * size + x] = px;
      }
  }
}
