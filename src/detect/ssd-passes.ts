/**
 * The SSD's extra passes. The padded canvas for tight face crops (detector.ts runs it when the first pass finds
 * nothing), and the second scale for large photos: the photo cut into 2 × 2 overlapping tiles, each run at the
 * network's 512 px input, so every face is seen at about twice the resolution of the whole-photo pass.
 *
 * Why: the whole-photo pass shrinks a 1986×1545 photo 3.9× to 512 px, and face-api's SSD has weak scales there. In
 * dlib_faces/bald_guys.jpg the largest face (224×331 px) lands at ≈ 85 px on the input and scores 0.24 among its
 * neighbours (0.76 alone on grey at that size), while the same face scores 0.95–1.00 at 106–282 px. No NMS is
 * involved: no candidate of it scores above 0.24. docs/detectors.md has the measurements.
 */
import type { RgbImage } from '../image/types.js';
import { iou } from './box.js';
import type { Box, Detection } from './types.js';

/**
 * Fraction of the image's width/height added on each side for the padded second pass. Measured on the 55
 * johns chips (150×150) with a mid-grey fill: 0.25 → 43 found at 0.5, 0.5 → 52, 0.75 → 55 (lowest score
 * 0.96), 1.0 → 55 (lowest 0.85), 1.5 → 55 (lowest 0.56); edge replication and black did worse than grey.
 */
export const FALLBACK_PAD = 0.75;
/** Fill of the padded canvas (neutral grey). */
export const FALLBACK_FILL = 128;
/** Places `img` on a canvas enlarged by `fraction` of its size on every side, filled with `fill`. */
export function padCanvas(
  img: RgbImage,
  fraction = FALLBACK_PAD,
  fill: number | 'edge' = FALLBACK_FILL,
): { image: RgbImage; offsetX: number; offsetY: number } {
  const px = Math.round(img.width * fraction);
  const py = Math.round(img.height * fraction);
  const width = img.width + 2 * px;
  const height = img.height + 2 * py;
  const data = new Uint8Array(width * height * 3);
  if (fill !== 'edge') data.fill(fill);
  for (let y = 0; y < height; y++) {
    const sy = y - py;
    if (fill !== 'edge' && (sy < 0 || sy >= img.height)) continue;
    const cy = Math.min(Math.max(sy, 0), img.height - 1);
    const srcRow = cy * img.width * 3;
    const dstRow = y * width * 3;
    data.set(img.data.subarray(srcRow, srcRow + img.width * 3), dstRow + px * 3);
    if (fill === 'edge') {
      for (let x = 0; x < px; x++) {
        const l = dstRow + x * 3;
        const r = dstRow + (px + img.width + x) * 3;
        for (let c = 0; c < 3; c++) {
          data[l + c] = img.data[srcRow + c];
          data[r + c] = img.data[srcRow + (img.width - 1) * 3 + c];
        }
      }
    }
  }
  return { image: { width, height, data }, offsetX: px, offsetY: py };
}

/** Photos whose longer side is above this get the tiled pass (the whole-photo pass shrinks them more than 2×). */
export const TILE_ABOVE = 1024;
/** Overlap of neighbouring tiles, as a fraction of the photo's side: a face up to this size is whole in one tile. */
export const TILE_OVERLAP = 0.2;

/** The 2 × 2 tiles of a `width` × `height` photo, overlapping by TILE_OVERLAP of each side; integer pixels. */
export function tileRects(width: number, height: number): Box[] {
  const spans = (side: number): [number, number][] => {
    const len = Math.ceil((side * (1 + TILE_OVERLAP)) / 2);
    return [
      [0, len],
      [side - len, side],
    ];
  };
  const out: Box[] = [];
  for (const [y0, y1] of spans(height))
    for (const [x0, x1] of spans(width)) out.push({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
  return out;
}

/** The pixels of `r` (integer, inside `img`) as an image of their own. */
export function cropRgb(img: RgbImage, r: Box): RgbImage {
  const data = new Uint8Array(r.width * r.height * 3);
  for (let y = 0; y < r.height; y++) {
    const from = ((r.y + y) * img.width + r.x) * 3;
    data.set(img.data.subarray(from, from + r.width * 3), y * r.width * 3);
  }
  return { width: r.width, height: r.height, data };
}

/**
 * Tile detections in photo pixels. A box touching an edge of its tile that is not an edge of the photo may be a face
 * cut in two: it is dropped (the face is whole in the neighbouring tile, or large enough for the whole-photo pass).
 */
export function fromTile(dets: readonly Detection[], tile: Box, photo: { width: number; height: number }): Detection[] {
  const margin = 2;
  const out: Detection[] = [];
  for (const d of dets) {
    const b = d.box;
    const cut =
      (tile.x > 0 && b.x <= margin) ||
      (tile.y > 0 && b.y <= margin) ||
      (tile.x + tile.width < photo.width && b.x + b.width >= tile.width - margin) ||
      (tile.y + tile.height < photo.height && b.y + b.height >= tile.height - margin);
    if (!cut) out.push({ ...d, box: { x: b.x + tile.x, y: b.y + tile.y, width: b.width, height: b.height } });
  }
  return out;
}

/** Detections of several passes as one list: greedy, best first; a box overlapping a kept one above `iou` goes. */
export function mergeDetections(lists: readonly (readonly Detection[])[], iouThreshold: number): Detection[] {
  const all = lists.flat().sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of all) if (!kept.some((k) => iou(k.box, d.box) > iouThreshold)) kept.push(d);
  return kept;
}
