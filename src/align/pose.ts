/**
 * How far a face is turned (yaw), from five points: left eye, right eye, nose tip, left and right mouth corners
 * (image left to right, the 5-point detectors' order), or the same five taken from 68 landmarks.
 *
 * A cylinder head model: with the eyes at ±α around a head of radius R and the nose tip p in front of it, a turn by
 * θ moves the nose tip (R + p − R·cos α)·sin θ off the eyes' midpoint and brings the eyes to 2R·sin α·cos θ apart,
 * both measured across the face's axis (eyes' midpoint → mouth's midpoint), so roll does not matter:
 *   tan θ = NOSE_RATIO · offset / separation,  NOSE_RATIO = 2R·sin α / (R + p − R·cos α) ≈ 63 / 29 mm
 * for an adult head (interocular 63 mm, R ≈ 78 mm, p ≈ 22 mm). Profiles in CFP measure 60–90°, LFW's faces mostly
 * under 30° (docs/cfp.md).
 */
import type { Landmarks68, Point } from './types.js';

const NOSE_RATIO = 63 / 29;

/** Signed yaw in degrees: positive when the nose tip is to the image's right of the eyes' midpoint. */
export function yawFromFivePoints(points: readonly Point[]): number {
  const [le, re, nose, lm, rm] = points;
  const eye = { x: (le.x + re.x) / 2, y: (le.y + re.y) / 2 };
  const mouth = { x: (lm.x + rm.x) / 2, y: (lm.y + rm.y) / 2 };
  const ax = mouth.x - eye.x;
  const ay = mouth.y - eye.y;
  const h = Math.hypot(ax, ay);
  if (!(h > 0)) return 0;
  // across the face: the axis turned by −90°, pointing to the image's right for an upright face
  const vx = ay / h;
  const vy = -ax / h;
  const offset = (nose.x - eye.x) * vx + (nose.y - eye.y) * vy;
  const separation = (re.x - le.x) * vx + (re.y - le.y) * vy;
  return (Math.atan2(NOSE_RATIO * offset, Math.max(separation, 0)) * 180) / Math.PI;
}

/** The five points the 5-point detectors give, from 68 iBUG landmarks (eye centres, nose tip, mouth corners). */
export function fivePointsOf68(l: Landmarks68): Point[] {
  const mean = (from: number, to: number) => {
    let x = 0;
    let y = 0;
    for (let i = from; i <= to; i++) {
      x += l[i].x;
      y += l[i].y;
    }
    return { x: x / (to - from + 1), y: y / (to - from + 1) };
  };
  return [mean(36, 41), mean(42, 47), l[30], l[48], l[54]];
}
