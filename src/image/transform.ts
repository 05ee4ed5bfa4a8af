/** Pixel-level helpers on RgbImage shared by every stage: resizing, flipping, tensor packing. */
import type { RgbImage } from './types.js';
import { invariant } from '../errors.js';

/** Bilinear resize with pixel-centre alignment (align_corners = false), edge-clamped. */
export function resizeBilinear(img: RgbImage, width: number, height: number): RgbImage {
  if (img.width === width && img.height === height) return img;
  const out = new Uint8Array(width * height * 3);
  const sx = img.width / width;
  const sy = img.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const wx = fx - x0;
      const a = (y0 * img.width + x0) * 3;
      const b = (y0 * img.width + x1) * 3;
      const c = (y1 * img.width + x0) * 3;
      const d = (y1 * img.width + x1) * 3;
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) {
        const top = img.data[a + k] + (img.data[b + k] - img.data[a + k]) * wx;
        const bot = img.data[c + k] + (img.data[d + k] - img.data[c + k]) * wx;
        out[o + k] = Math.round(top + (bot - top) * wy);
      }
    }
  }
  return { width, height, data: out };
}

export function flipHorizontal(img: RgbImage): RgbImage {
  const out = new Uint8Array(img.data.length);
  const { width, height } = img;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = (y * width + (width - 1 - x)) * 3;
      out[d] = img.data[s];
      out[d + 1] = img.data[s + 1];
      out[d + 2] = img.data[s + 2];
    }
  return { width, height, data: out };
}

/** Pack same-sized images into one NCHW float32 tensor (values 0..255). */
export function toNchw(images: readonly RgbImage[]): { data: Float32Array; dims: [number, number, number, number] } {
  const { width, height } = images[0];
  const plane = width * height;
  const data = new Float32Array(images.length * 3 * plane);
  images.forEach((img, n) => {
    invariant(img.width === width && img.height === height, 'toNchw: images differ in size');
    const base = n * 3 * plane;
    const src = img.data;
    for (let i = 0; i < plane; i++) {
      data[base + i] = src[3 * i];
      data[base + plane + i] = src[3 * i + 1];
      data[base + 2 * plane + i] = src[3 * i + 2];
    }
  });
  return { data, dims: [images.length, 3, height, width] };
}

/** A region of an image placed in a zero-padded square: the region sits at (padX, padY) inside a `side`² square. */
export interface PaddedSquare {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly side: number;
  readonly padX: number;
  readonly padY: number;
}

/**
 * Writes the padded square, resized to `size`×`size` exactly as tfjs' resizeBilinear(alignCorners = false,
 * halfPixelCenters = false) does, into `out` at `offset` as NCHW floats 0..255. The face-api networks were run on
 * this sampling, so the detector and landmark inputs use it bit for bit.
 */
export function fillPaddedSquareTfjs(
  img: RgbImage,
  sq: PaddedSquare,
  size: number,
  out: Float32Array,
  offset = 0,
): void {
  const { side, padX, padY } = sq;
  const plane = size * size;
  const ratio = side / size;
  const src = img.data;
  const iw = img.width;
  // Per output column/row: the two padded-square neighbours as source offsets (−1 = zero padding) and the weight.
  const colA = new Int32Array(size),
    colB = new Int32Array(size),
    colW = new Float64Array(size);
  const rowA = new Int32Array(size),
    rowB = new Int32Array(size),
    rowW = new Float64Array(size);
  const colOffset = (sx: number) => {
    const cx = sx - padX;
    return cx < 0 || cx >= sq.width ? -1 : (sq.x + cx) * 3;
  };
  const rowOffset = (sy: number) => {
    const cy = sy - padY;
    return cy < 0 || cy >= sq.height ? -1 : (sq.y + cy) * iw * 3;
  };
  for (let i = 0; i < size; i++) {
    const f = ratio * i;
    const lo = Math.floor(f);
    const hi = Math.min(side - 1, Math.ceil(f));
    colA[i] = colOffset(lo);
    colB[i] = colOffset(hi);
    colW[i] = f - lo;
    rowA[i] = rowOffset(lo);
    rowB[i] = rowOffset(hi);
    rowW[i] = f - lo;
  }
  const px = (row: number, col: number, k: number) => (row < 0 || col < 0 ? 0 : src[row + col + k]);
  if (side === size) {
    // scale 1 (a small photo at its own resolution): every sample hits a pixel, weights are 0 — a plain copy
    for (let r = 0; r < size; r++) {
      const ta = rowA[r];
      for (let c = 0; c < size; c++) {
        const la = colA[c];
        const o = offset + r * size + c;
        if (ta < 0 || la < 0) {
          out[o] = out[o + plane] = out[o + 2 * plane] = 0;
        } else {
          const q = ta + la;
          out[o] = src[q];
          out[o + plane] = src[q + 1];
          out[o + 2 * plane] = src[q + 2];
        }
      }
    }
    return;
  }
  for (let r = 0; r < size; r++) {
    const ta = rowA[r],
      tb = rowB[r],
      dy = rowW[r];
    for (let c = 0; c < size; c++) {
      const la = colA[c],
        lb = colB[c],
        dx = colW[c];
      const o = offset + r * size + c;
      for (let k = 0; k < 3; k++) {
        const tl = px(ta, la, k);
        const tr = px(ta, lb, k);
        const bl = px(tb, la, k);
        const br = px(tb, lb, k);
        // same operation order as tfjs-cpu's ResizeBilinear
        const t = tl + (tr - tl) * dx;
        const b = bl + (br - bl) * dx;
        out[o + k * plane] = t + (b - t) * dy;
      }
    }
  }
}

/** Contributions of source indices to each output index for an area (box-filter) shrink of `side` → `size`. */
export function areaWeights(
  side: number,
  size: number,
  limit: number,
): { start: Int32Array; count: Int32Array; weight: Float64Array; stride: number } {
  const scale = side / size;
  const stride = Math.ceil(scale) + 2;
  const start = new Int32Array(size);
  const count = new Int32Array(size);
  const weight = new Float64Array(size * stride);
  for (let o = 0; o < size; o++) {
    const a = o * scale;
    const b = (o + 1) * scale;
    const first = Math.floor(a);
    start[o] = first;
    let k = 0;
    for (let i = first; i < b && i < limit; i++, k++)
      weight[o * stride + k] = (Math.min(b, i + 1) - Math.max(a, i)) / scale;
    count[o] = k;
  }
  return { start, count, weight, stride };
}

/** Shrinks an RGB image to `width`×`height` by area averaging (both sides must not grow). */
export function shrinkArea(img: RgbImage, width: number, height: number): RgbImage {
  invariant(
    width <= img.width && height <= img.height && width >= 1 && height >= 1,
    `shrinkArea: ${img.width}×${img.height} → ${width}×${height}`,
  );
  const wx = areaWeights(img.width, width, img.width);
  const wy = areaWeights(img.height, height, img.height);
  const rowLen = width * 3;
  // Output row by output row, each source row shrunk horizontally once (a row shared by two output rows is kept):
  // memory stays a few rows, not the whole horizontally shrunk photo (46 MB of float64 for a 12-megapixel one).
  const rowCache = [new Float64Array(rowLen), new Float64Array(rowLen)];
  const cachedY = [-1, -1];
  const shrunkRow = (y: number): Float64Array => {
    const slot = y & 1;
    const out = rowCache[slot];
    if (cachedY[slot] === y) return out;
    out.fill(0);
    const row = y * img.width * 3;
    for (let ox = 0; ox < width; ox++) {
      const base = ox * wx.stride;
      const t = ox * 3;
      for (let k = 0; k < wx.count[ox]; k++) {
        const w = wx.weight[base + k];
        const p = row + (wx.start[ox] + k) * 3;
        out[t] += w * img.data[p];
        out[t + 1] += w * img.data[p + 1];
        out[t + 2] += w * img.data[p + 2];
      }
    }
    cachedY[slot] = y;
    return out;
  };
  const acc = new Float64Array(rowLen);
  const data = new Uint8Array(width * height * 3);
  for (let oy = 0; oy < height; oy++) {
    acc.fill(0);
    const base = oy * wy.stride;
    for (let k = 0; k < wy.count[oy]; k++) {
      const w = wy.weight[base + k];
      const src = shrunkRow(wy.start[oy] + k);
      for (let i = 0; i < rowLen; i++) acc[i] += w * src[i];
    }
    for (let i = 0; i < rowLen; i++) data[oy * rowLen + i] = Math.min(255, Math.max(0, Math.round(acc[i])));
  }
  return { width, height, data };
}

/**
 * Shrinks by an integer factor `k`: each output pixel is the mean of a k×k block (fewer at the right and bottom edges
 * when the sides are not multiples of k), so output pixel j covers source pixels [j·k, j·k + k). Several times cheaper
 * than shrinkArea's weighted sums.
 */
export function shrinkBox(img: RgbImage, k: number): RgbImage {
  invariant(Number.isInteger(k) && k >= 1, `shrinkBox: factor ${k}`);
  if (k === 1) return img;
  const width = Math.ceil(img.width / k);
  const height = Math.ceil(img.height / k);
  const { width: w, height: h, data: src } = img;
  const rowLen = width * 3;
  const data = new Uint8Array(height * rowLen);
  const fullCols = Math.floor(w / k); // output columns with k source columns; the last may have fewer
  // block by block, its sums in registers (summing into a row of column sums was ≈ 2× slower)
  for (let oy = 0; oy < height; oy++) {
    const y0 = oy * k;
    const rows = Math.min(h, y0 + k) - y0;
    for (let ox = 0, t = oy * rowLen; ox < width; ox++, t += 3) {
      const x0 = ox * k;
      const cols = ox < fullCols ? k : w - x0;
      let r = 0,
        g = 0,
        b = 0;
      for (let dy = 0; dy < rows; dy++) {
        for (let dx = 0, p = ((y0 + dy) * w + x0) * 3; dx < cols; dx++, p += 3) {
          r += src[p];
          g += src[p + 1];
          b += src[p + 2];
        }
      }
      // round(sum / n), half up, as (2·sum + n) / 2n truncated by the byte store: exact for these integers, and
      // ≈ 2× faster than Math.round(sum / n) (the quotient is never within 1/2n of an integer unless it is one)
      const half = rows * cols;
      const n2 = 2 * half;
      data[t] = (2 * r + half) / n2;
      data[t + 1] = (2 * g + half) / n2;
      data[t + 2] = (2 * b + half) / n2;
    }
  }
  return { width, height, data };
}
