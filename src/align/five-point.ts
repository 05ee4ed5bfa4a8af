/**
 * Five-point alignment (InsightFace / ArcFace style): the detector's five points (left eye, right eye, nose tip,
 * left and right mouth corners, image left to right) → least-squares similarity onto a template → a chip where
 * pixel q samples the image at T(q), bilinear, zero outside. Built on the same chip code as the 68-point chips.
 */
import { FaceError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { chipTransform, extractChip, type ChipOptions, type ChipTransform } from './chip.js';
import type { Point } from './types.js';

/** The ArcFace 112×112 template (chip pixels), in the five-point order above. */
export const ARCFACE_112_TEMPLATE: readonly Point[] = [
  { x: 38.2946, y: 51.6963 },
  { x: 73.5318, y: 51.5014 },
  { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 },
  { x: 70.7299, y: 92.2041 },
];

export interface FivePointChipSpec {
  /** Chip side in pixels. */
  readonly size: number;
  /** Where the five points land, in chip pixels. */
  readonly template: readonly Point[];
}

/** The chip options that express a five-point template with the generic chip code. */
export function fivePointChipOptions(spec: FivePointChipSpec): ChipOptions {
  return {
    size: spec.size,
    padding: 0,
    template: {
      indices: spec.template.map((_, i) => i),
      points: spec.template.map((p) => ({ x: p.x / spec.size, y: p.y / spec.size })),
    },
    geometry: 'similarity',
    // what the networks were trained on (cv2.warpAffine): one bilinear sample per pixel, rounded
    antialias: 'none',
    rounding: 'round',
    border: 'zero',
    interpolation: 'bilinear',
  };
}

function checkPoints(points: readonly Point[], spec: FivePointChipSpec): void {
  if (!Array.isArray(points) || points.length !== spec.template.length)
    throw new FaceError(
      'INVALID_INPUT',
      `five-point alignment needs ${spec.template.length} points, ` +
        `got ${Array.isArray(points) ? points.length : typeof points}`,
    );
}

export function fivePointTransform(points: readonly Point[], spec: FivePointChipSpec): ChipTransform {
  checkPoints(points, spec);
  return chipTransform(points, fivePointChipOptions(spec));
}

/** The aligned chip for five points in source-image pixels. */
export function alignFivePoint(img: RgbImage, points: readonly Point[], spec: FivePointChipSpec): RgbImage {
  const opts = fivePointChipOptions(spec);
  checkPoints(points, spec);
  return extractChip(img, chipTransform(points, opts), opts);
}

/** Template points placed in a box (the face's box is taken as the chip's square): for faces found without points. */
export function templateInBox(
  box: { x: number; y: number; width: number; height: number },
  spec: FivePointChipSpec,
): Point[] {
  const side = Math.max(box.width, box.height);
  const x0 = box.x + box.width / 2 - side / 2;
  const y0 = box.y + box.height / 2 - side / 2;
  return spec.template.map((p) => ({ x: x0 + (p.x / spec.size) * side, y: y0 + (p.y / spec.size) * side }));
}
