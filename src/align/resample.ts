/**
 * Pure-TypeScript resampling on interleaved 8-bit RGB images, used by the landmark crop and the face-chip warp.
 *
 * Coordinates are dlib's pixel-index convention: pixel (c, r) has its centre at (c, r); the image covers
 * [-0.5, width - 0.5] × [-0.5, height - 0.5].
 */
import type { RgbImage } from '../image/types.js';
import { invariant } from '../errors.js';

/** Affine map [x', y'] = [m00 x + m01 y + m02, m10 x + m11 y + m12]. */
export interface Affine {
  readonly m00: number;
  readonly m01: number;
  readonly m02: number;
  readonly m10: number;
  readonly m11: number;
  readonly m12: number;
}

export type Interpolation = 'bilinear' | 'bicubic';
/**
 * 'zero': dlib's behaviour: bilinear samples whose 2×2 neighbourhood leaves the image are black
 * (bicubic: pixels outside count as 0). 'replicate': coordinates are clamped to the edge.
 */
export type Border = 'zero' | 'replicate';
/** How floating-point samples become bytes. dlib's assign_pixel truncates; 'round' is unbiased. */
export type Rounding = 'truncate' | 'round';

export function applyAffine(m: Affine, x: number, y: number): [number, number] {
  return [m.m00 * x + m.m01 * y + m.m02, m.m10 * x + m.m11 * y + m.m12];
}

export function invertAffine(m: Affine): Affine {
  const det = m.m00 * m.m11 - m.m01 * m.m10;
  invariant(Number.isFinite(det) && Math.abs(det) >= 1e-300, 'invertAffine: singular transform');
  const i00 = m.m11 / det;
  const i01 = -m.m01 / det;
  const i10 = -m.m10 / det;
  const i11 = m.m00 / det;
  return {
    m00: i00,
    m01: i01,
    m02: -(i00 * m.m02 + i01 * m.m12),
    m10: i10,
    m11: i11,
    m12: -(i10 * m.m02 + i11 * m.m12),
  };
}

/** a ∘ b: first b, then a. */
export function composeAffine(a: Affine, b: Affine): Affine {
  return {
    m00: a.m00 * b.m00 + a.m01 * b.m10,
    m01: a.m00 * b.m01 + a.m01 * b.m11,
    m02: a.m00 * b.m02 + a.m01 * b.m12 + a.m02,
    m10: a.m10 * b.m00 + a.m11 * b.m10,
    m11: a.m10 * b.m01 + a.m11 * b.m11,
    m12: a.m10 * b.m02 + a.m11 * b.m12 + a.m12,
  };
}

/** A float RGB image (interleaved), used for intermediate pyramid levels. */
export interface FloatImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array | Uint8Array;
}

/** Writes the bilinear sample at (x, y) into out[o..o+2]. Returns false (and writes nothing) for a zero-border miss. */
function bilinear(img: FloatImage, x: number, y: number, border: Border, out: Float64Array, o: number): boolean {
  const { width: w, height: h, data } = img;
  if (border === 'replicate') {
    x = Math.min(Math.max(x, 0), w - 1);
    y = Math.min(Math.max(y, 0), h - 1);
  }
  const left = Math.floor(x);
  const top = Math.floor(y);
  let right = left + 1;
  let bottom = top + 1;
  if (border === 'zero') {
    if (!(left >= 0 && top >= 0 && right < w && bottom < h)) return false;
  } else {
    right = Math.min(right, w - 1);
    bottom = Math.min(bottom, h - 1);
  }
  const fx = x - left;
  const fy = y - top;
  const tl = (top * w + left) * 3;
  const tr = (top * w + right) * 3;
  const bl = (bottom * w + left) * 3;
  const br = (bottom * w + right) * 3;
  for (let k = 0; k < 3; k++) {
    out[o + k] =
      (1 - fy) * ((1 - fx) * data[tl + k] + fx * data[tr + k]) + fy * ((1 - fx) * data[bl + k] + fx * data[br + k]);
  }
  return true;
}

/** Keys cubic convolution kernel, a = -0.5 (Catmull-Rom). */
function cubicWeights(t: number, w: Float64Array): void {
  const a = -0.5;
  const k = (d: number) => {
    d = Math.abs(d);
    if (d <= 1) return (a + 2) * d * d * d - (a + 3) * d * d + 1;
    if (d < 2) return a * d * d * d - 5 * a * d * d + 8 * a * d - 4 * a;
    return 0;
  };
  w[0] = k(1 + t);
  w[1] = k(t);
  w[2] = k(1 - t);
  w[3] = k(2 - t);
}

const wxBuf = new Float64Array(4);
const wyBuf = new Float64Array(4);

function bicubic(img: FloatImage, x: number, y: number, border: Border, out: Float64Array, o: number): boolean {
  const { width: w, height: h, data } = img;
  if (border === 'replicate') {
    x = Math.min(Math.max(x, 0), w - 1);
    y = Math.min(Math.max(y, 0), h - 1);
  } else if (x < -1 || y < -1 || x > w || y > h) {
    return false;
  }
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  cubicWeights(x - x0, wxBuf);
  cubicWeights(y - y0, wyBuf);
  out[o] = out[o + 1] = out[o + 2] = 0;
  for (let j = 0; j < 4; j++) {
    let yy = y0 - 1 + j;
    if (yy < 0 || yy >= h) {
      if (border === 'zero') continue;
      yy = Math.min(Math.max(yy, 0), h - 1);
    }
    for (let i = 0; i < 4; i++) {
      let xx = x0 - 1 + i;
      if (xx < 0 || xx >= w) {
        if (border === 'zero') continue;
        xx = Math.min(Math.max(xx, 0), w - 1);
      }
      const wt = wxBuf[i] * wyBuf[j];
      const p = (yy * w + xx) * 3;
      out[o] += wt * data[p];
      out[o + 1] += wt * data[p + 1];
      out[o + 2] += wt * data[p + 2];
    }
  }
  return true;
}

export function sample(
  img: FloatImage,
  x: number,
  y: number,
  interp: Interpolation,
  border: Border,
  out: Float64Array,
  o = 0,
): boolean {
  return interp === 'bicubic' ? bicubic(img, x, y, border, out, o) : bilinear(img, x, y, border, out, o);
}

export function toByte(v: number, rounding: Rounding): number {
  if (!(v > 0)) return 0; // also NaN
  if (v >= 255) return 255;
  return rounding === 'round' ? Math.round(v) : Math.floor(v);
}

/**
 * 2× downsampling with the separable binomial filter [1 3 3 1]/8 (edges replicated). Output pixel j is centred
 * on input position 2j + 0.5, so a point maps as p_out = (p_in - 0.5) / 2.
 */
export function pyramidDown(img: FloatImage): FloatImage {
  const { width: w, height: h, data } = img;
  const ow = Math.max(1, Math.floor(w / 2));
  const oh = Math.max(1, Math.floor(h / 2));
  const clamp = (v: number, n: number) => (v < 0 ? 0 : v >= n ? n - 1 : v);
  // horizontal pass: h × ow, taps at 2j−1, 2j, 2j+1, 2j+2 with weights 1, 3, 3, 1 (/8)
  const colIdx = new Int32Array(ow * 4);
  for (let j = 0; j < ow; j++) for (let t = 0; t < 4; t++) colIdx[j * 4 + t] = clamp(2 * j - 1 + t, w) * 3;
  const tmp = new Float32Array(h * ow * 3);
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    let o = y * ow * 3;
    for (let j = 0; j < ow; j++, o += 3) {
      const a = row + colIdx[j * 4],
        b = row + colIdx[j * 4 + 1],
        c = row + colIdx[j * 4 + 2],
        d = row + colIdx[j * 4 + 3];
      tmp[o] = (data[a] + 3 * (data[b] + data[c]) + data[d]) * 0.125;
      tmp[o + 1] = (data[a + 1] + 3 * (data[b + 1] + data[c + 1]) + data[d + 1]) * 0.125;
      tmp[o + 2] = (data[a + 2] + 3 * (data[b + 2] + data[c + 2]) + data[d + 2]) * 0.125;
    }
  }
  const stride = ow * 3;
  const out = new Float32Array(oh * stride);
  for (let i = 0; i < oh; i++) {
    const a = clamp(2 * i - 1, h) * stride,
      b = clamp(2 * i, h) * stride,
      c = clamp(2 * i + 1, h) * stride,
      d = clamp(2 * i + 2, h) * stride;
    const o = i * stride;
    for (let k = 0; k < stride; k++) out[o + k] = (tmp[a + k] + 3 * (tmp[b + k] + tmp[c + k]) + tmp[d + k]) * 0.125;
  }
  return { width: ow, height: oh, data: out };
}

/** Copies a rectangle [x0, x0+w) × [y0, y0+h) (clipped to the image by the caller) into a FloatImage view. */
export function subImage(img: RgbImage, x0: number, y0: number, w: number, h: number): FloatImage {
  const data = new Float32Array(w * h * 3); // float, so that every pyramid level has the same element type
  for (let y = 0; y < h; y++)
    data.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + w) * 3), y * w * 3);
  return { width: w, height: h, data };
}
