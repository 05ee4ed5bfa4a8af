/**
 * How good one view of a face is for recognition, from what is known before embedding it: its size, sharpness
 * (variance of the Laplacian of the face region, on a fixed-size grey sample so faces of any size compare), the
 * detector's score, and how frontal its points are. Each factor is in [0, 1]; the quality is their product, so a view
 * bad in any one way ranks low. A track embeds only its best views.
 */
import type { Box, Point } from '../detect/types.js';
import type { RgbImage } from '../image/types.js';
import type { Landmarks68 } from '../align/types.js';

export interface FaceQuality {
  /** Shorter side of the box, pixels. */
  readonly size: number;
  /** Variance of the Laplacian on a 48×48 grey sample of the box. */
  readonly sharpness: number;
  readonly score: number;
  /** 1 = frontal, 0 = profile; 1 when the detector gives no points. */
  readonly frontality: number;
  /** The product of the normalised factors, in [0, 1]. */
  readonly quality: number;
}

const SAMPLE = 48;
/** Faces this large (shorter side, px) and up count as full size: the chips are 112–150 px. */
const FULL_SIZE = 80;
/** Laplacian variance at which sharpness counts half (a sharp 48 px face sample gives 300–1500). */
const HALF_SHARP = 100;

/** Variance of the 4-neighbour Laplacian of the box, sampled to 48×48 grey (nearest pixel). */
export function sharpness(img: RgbImage, box: Box): number {
  const g = new Float32Array(SAMPLE * SAMPLE);
  const { width, height, data } = img;
  for (let y = 0; y < SAMPLE; y++) {
    const sy = Math.min(height - 1, Math.max(0, Math.floor(box.y + ((y + 0.5) * box.height) / SAMPLE)));
    for (let x = 0; x < SAMPLE; x++) {
      const sx = Math.min(width - 1, Math.max(0, Math.floor(box.x + ((x + 0.5) * box.width) / SAMPLE)));
      const i = 3 * (sy * width + sx);
      g[y * SAMPLE + x] = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
    }
  }
  let sum = 0;
  let sq = 0;
  const n = (SAMPLE - 2) * (SAMPLE - 2);
  for (let y = 1; y < SAMPLE - 1; y++)
    for (let x = 1; x < SAMPLE - 1; x++) {
      const k = y * SAMPLE + x;
      const l = g[k - 1] + g[k + 1] + g[k - SAMPLE] + g[k + SAMPLE] - 4 * g[k];
      sum += l;
      sq += l * l;
    }
  const mean = sum / n;
  return Math.max(0, sq / n - mean * mean);
}

/** The five points (eyes, nose tip, mouth corners) of 68 iBUG landmarks. */
export function fivePointsOf68(p: Landmarks68): Point[] {
  const mean = (from: number, to: number) => {
    let x = 0;
    let y = 0;
    for (let i = from; i <= to; i++) {
      x += p[i].x;
      y += p[i].y;
    }
    return { x: x / (to - from + 1), y: y / (to - from + 1) };
  };
  return [mean(36, 41), mean(42, 47), p[30], p[48], p[54]];
}

/**
 * Frontality from five points: how far the nose tip sits from the line between the eye and mouth midpoints,
 * relative to the eye distance (yaw), and how tilted the eyes are (roll does not hurt alignment, so it counts little).
 */
export function frontality(points: readonly Point[] | undefined): number {
  if (!points || points.length < 5) return 1;
  const [le, re, nose, lm, rm] = points;
  const eyeDist = Math.hypot(re.x - le.x, re.y - le.y);
  if (eyeDist < 1) return 0;
  const eyeMid = { x: (le.x + re.x) / 2, y: (le.y + re.y) / 2 };
  const mouthMid = { x: (lm.x + rm.x) / 2, y: (lm.y + rm.y) / 2 };
  const axisX = (eyeMid.x + mouthMid.x) / 2;
  const yaw = Math.abs(nose.x - axisX) / eyeDist; // 0 frontal, ≈ 0.5 in profile
  return Math.max(0, Math.min(1, 1 - 2 * yaw));
}

export function faceQuality(img: RgbImage, box: Box, score: number, points?: readonly Point[]): FaceQuality {
  const size = Math.min(box.width, box.height);
  const sharp = sharpness(img, box);
  const front = frontality(points);
  const quality =
    Math.min(1, size / FULL_SIZE) * (sharp / (sharp + HALF_SHARP)) * Math.max(0, Math.min(1, score)) * front;
  return { size, sharpness: sharp, score, frontality: front, quality };
}
