/**
 * Everything around the SSD graph that face-api does in JavaScript/tfjs, replicated in plain TypeScript:
 * - input preparation: pad the image to a square with zeros at the bottom/right (face-api's
 *   `padToSquare(img, false)`), then tfjs' `resizeBilinear(…, alignCorners=false, halfPixelCenters=false)`
 *   to 512×512, written straight into an NCHW float buffer;
 * - anchor decoding of the raw box encodings (face-api's outputLayer: scale factors 10, 10, 5, 5);
 * - face-api's greedy non-maximum suppression;
 * - mapping the relative boxes back to source-image pixels.
 */
import type { RgbImage } from '../image/types.js';
import { areaWeights, fillPaddedSquareTfjs } from '../image/transform.js';
import type { Box, Detection } from './types.js';
import { nonMaxSuppression } from './nms.js';
import { SSD_ANCHORS_PER_CELL, SSD_INPUT_SIZE, SSD_NUM_ANCHORS, ssdFeatureMapSizes } from './ssd-graph.js';
import { invariant } from '../errors.js';

export { boxIou, nonMaxSuppression } from './nms.js';
export { shrinkArea } from '../image/transform.js';

export interface SsdInput {
  /** [1, 3, size, size] RGB in 0..255, NCHW. */
  readonly data: Float32Array;
  readonly size: number;
  /** Side of the zero-padded square the network sees, in source pixels (= max(width, height)). */
  readonly side: number;
}

export type Resample = 'bilinear' | 'area';

/**
 * Pads `img` to a square (zeros at the bottom or right) and resizes it to `size`×`size`.
 * 'bilinear' is exactly tfjs-backend-cpu's ResizeBilinear with alignCorners = halfPixelCenters = false
 * (what face-api does with tensor input); 'area' averages the source pixels under each output pixel
 * when shrinking (and falls back to the bilinear sampling when enlarging).
 */
export function toSsdInput(
  img: RgbImage,
  size = SSD_INPUT_SIZE,
  resample: Resample = 'bilinear',
  enlarge = true,
): SsdInput {
  if (resample === 'area' && Math.max(img.width, img.height) > size) return toSsdInputArea(img, size);
  // without enlarging, a smaller image sits at its own resolution at the top-left of the size×size canvas
  const side = enlarge ? Math.max(img.width, img.height) : Math.max(img.width, img.height, size);
  const out = new Float32Array(3 * size * size);
  // face-api's padToSquare(img, false): zeros at the bottom/right
  fillPaddedSquareTfjs(img, { x: 0, y: 0, width: img.width, height: img.height, side, padX: 0, padY: 0 }, size, out);
  return { data: out, size, side };
}

function toSsdInputArea(img: RgbImage, size: number): SsdInput {
  const { width, height, data } = img;
  const side = Math.max(width, height);
  const plane = size * size;
  const wx = areaWeights(side, size, width);
  const wy = areaWeights(side, size, height);
  // Horizontal pass over the real rows: tmp[y][ch][ox].
  const tmp = new Float64Array(height * 3 * size);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    const trow = y * 3 * size;
    for (let ox = 0; ox < size; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const base = ox * wx.stride;
      for (let k = 0; k < wx.count[ox]; k++) {
        const w = wx.weight[base + k];
        const p = row + (wx.start[ox] + k) * 3;
        r += w * data[p];
        g += w * data[p + 1];
        b += w * data[p + 2];
      }
      tmp[trow + ox] = r;
      tmp[trow + size + ox] = g;
      tmp[trow + 2 * size + ox] = b;
    }
  }
  const out = new Float32Array(3 * plane);
  for (let oy = 0; oy < size; oy++) {
    const base = oy * wy.stride;
    for (let k = 0; k < wy.count[oy]; k++) {
      const w = wy.weight[base + k];
      const trow = (wy.start[oy] + k) * 3 * size;
      for (let ch = 0; ch < 3; ch++) {
        const o = ch * plane + oy * size;
        const t = trow + ch * size;
        for (let ox = 0; ox < size; ox++) out[o + ox] += w * tmp[t + ox];
      }
    }
  }
  return { data: out, size, side };
}

/**
 * The anchors for an input of `size` pixels, from the network's 512×512 anchors: the detector's strides and
 * anchor sizes are in input pixels, so each feature map keeps its first cells (the part of the 512 canvas the
 * smaller input covers) with their pixel geometry, re-expressed relative to `size`.
 */
export function anchorsForSize(anchors512: Float32Array, size: number): Float32Array {
  if (size === SSD_INPUT_SIZE) return anchors512;
  const full = ssdFeatureMapSizes(SSD_INPUT_SIZE);
  const part = ssdFeatureMapSizes(size);
  const out: number[] = [];
  const k = SSD_INPUT_SIZE / size;
  let offset = 0;
  full.forEach((f, layer) => {
    const a = SSD_ANCHORS_PER_CELL[layer];
    for (let y = 0; y < part[layer]; y++)
      for (let x = 0; x < part[layer]; x++)
        for (let j = 0; j < a; j++) {
          const o = (offset + (y * f + x) * a + j) * 4;
          for (let c = 0; c < 4; c++) out.push(anchors512[o + c] * k);
        }
    offset += f * f * a;
  });
  return Float32Array.from(out);
}

/**
 * Decodes box encodings against the anchors (face-api outputLayer). Both are [n, 4]; anchors are
 * (ymin, xmin, ymax, xmax), encodings (ty, tx, th, tw). Returns (ymin, xmin, ymax, xmax) relative to the
 * padded square, unclipped.
 */
export function decodeBoxes(encodings: Float32Array, anchors: Float32Array, n = SSD_NUM_ANCHORS): Float32Array {
  invariant(encodings.length >= n * 4 && anchors.length >= n * 4, `decodeBoxes: expected ${n}×4 encodings and anchors`);
  const out = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    const ah = anchors[o + 2] - anchors[o];
    const aw = anchors[o + 3] - anchors[o + 1];
    const acy = anchors[o] + ah / 2;
    const acx = anchors[o + 1] + aw / 2;
    const halfH = (Math.exp(encodings[o + 2] / 5) * ah) / 2;
    const cy = (encodings[o] / 10) * ah + acy;
    const halfW = (Math.exp(encodings[o + 3] / 5) * aw) / 2;
    const cx = (encodings[o + 1] / 10) * aw + acx;
    out[o] = cy - halfH;
    out[o + 1] = cx - halfW;
    out[o + 2] = cy + halfH;
    out[o + 3] = cx + halfW;
  }
  return out;
}

/** Face scores: sigmoid of the class-1 logit of each anchor ([n, 3] logits). */
export function faceScores(logits: Float32Array, n = SSD_NUM_ANCHORS): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-logits[i * 3 + 1]));
  return out;
}

/**
 * Relative (ymin, xmin, ymax, xmax) box in the padded square → source-image pixels, clamped to the
 * square as face-api does (max(0, ·) on the top-left, min(1, ·) on the bottom-right) and then to the
 * image itself.
 */
export function toPixelBox(boxes: Float32Array, i: number, side: number, width: number, height: number): Box {
  const o = i * 4;
  const top = Math.min(Math.max(0, boxes[o]) * side, height);
  const left = Math.min(Math.max(0, boxes[o + 1]) * side, width);
  const bottom = Math.max(Math.min(Math.min(1, boxes[o + 2]) * side, height), top);
  const right = Math.max(Math.min(Math.min(1, boxes[o + 3]) * side, width), left);
  return { x: left, y: top, width: right - left, height: bottom - top };
}

export interface PostprocessOptions {
  minScore: number;
  iouThreshold: number;
  minFaceSize: number;
  maxFaces: number;
}

/** Raw network outputs for one image → detections in source pixels, best first. */
export function postprocess(
  encodings: Float32Array,
  logits: Float32Array,
  anchors: Float32Array,
  image: { width: number; height: number; side: number },
  opts: PostprocessOptions,
): Detection[] {
  const n = anchors.length / 4;
  const boxes = decodeBoxes(encodings, anchors, n);
  const scores = faceScores(logits, n);
  const kept = nonMaxSuppression(boxes, scores, Number.MAX_SAFE_INTEGER, opts.iouThreshold, opts.minScore);
  const out: Detection[] = [];
  for (const i of kept) {
    if (out.length >= opts.maxFaces) break;
    const box = toPixelBox(boxes, i, image.side, image.width, image.height);
    if (Math.min(box.width, box.height) < opts.minFaceSize) continue;
    if (box.width <= 0 || box.height <= 0) continue;
    out.push({ box, score: scores[i] });
  }
  return out;
}
