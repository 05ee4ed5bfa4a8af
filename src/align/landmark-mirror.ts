/**
 * The 68 landmarks under mirroring, for the landmark flip pass (the net run on the mirrored image, its points mapped
 * back and averaged), and the box the points span, for a second landmark pass.
 */
import type { Box } from '../detect/types.js';
import type { RgbImage } from '../image/types.js';
import type { Landmarks68 } from './types.js';

/** iBUG 68-point index of each point's mirror image. */
const MIRROR_68 = [
  ...[16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0], // jaw
  ...[26, 25, 24, 23, 22, 21, 20, 19, 18, 17], // brows
  ...[27, 28, 29, 30, 35, 34, 33, 32, 31], // nose
  ...[45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40], // eyes
  ...[54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55], // outer lip
  ...[64, 63, 62, 61, 60, 67, 66, 65], // inner lip
];

/** Points found on a mirrored image, mapped back to the original and renumbered. */
export function unmirrorLandmarks(points: Landmarks68, width: number): Landmarks68 {
  return MIRROR_68.map((j) => ({ x: width - points[j].x, y: points[j].y }));
}

/**
 * A square box around the landmarks, sized like the detector's boxes (the 68 points span about 80 % of them),
 * clipped to the image.
 */
export function landmarkBox(points: Landmarks68, img: RgbImage): Box {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (const p of points) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x);
    y1 = Math.max(y1, p.y);
  }
  const side = 1.15 * Math.max(x1 - x0, y1 - y0);
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const bx = Math.max(0, cx - side / 2);
  const by = Math.max(0, cy - side / 2);
  return {
    x: bx,
    y: by,
    width: Math.min(img.width, cx + side / 2) - bx,
    height: Math.min(img.height, cy + side / 2) - by,
  };
}
