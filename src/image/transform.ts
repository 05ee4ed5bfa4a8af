/** Pixel-level helpers on RgbImage shared by every stage: resizing, flipping, tensor packing. */
import type { RgbImage } from './types.js';

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
    if (img.width !== width || img.height !== height) throw new Error('toNchw: images differ in size');
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
