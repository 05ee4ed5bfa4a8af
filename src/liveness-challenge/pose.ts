/**
 * Head yaw and eye opening from one face's points.
 *
 * Yaw: the nose tip stands in front of the plane of the eyes and mouth corners, so when the head turns it moves
 * sideways relative to them. r = (nose − mean of eyes and mouth corners) along the eye line, over the eye distance;
 * measured along the eye line, it does not change when the head tilts sideways (roll). On a mean 3-D face (nose tip
 * about 0.43 eye distances in front of that plane) r ≈ 0.43·tan(yaw), so yaw ≈ atan(r / 0.43): a model-based
 * estimate, not a measured one. A flat photo turned about its vertical axis squeezes every horizontal distance by the
 * same factor, which leaves r (and so this yaw) where it was: swinging a print does not fake a turn.
 *
 * Width: the eye distance over the eyes-to-mouth height (measured across and along the eye line). A head turning by
 * θ narrows it by about cos θ; a flat print turned far enough for the landmark nets to read a turn (they read a
 * narrowed face as a turned one: about half the print's angle) narrows it by far more. src/liveness-challenge/events.ts
 * compares the two.
 *
 * Eyes: the eye aspect ratio (Soukupová and Čech, 2016) from the six points of each eye in the 68-point layout:
 * the two lid-to-lid heights over twice the corner-to-corner width, averaged over both eyes.
 */
import { FaceError } from '../errors.js';
import type { Point } from '../image/types.js';
import type { FramePose, ObservedFace } from './types.js';

/** How far the nose tip stands in front of the eye-and-mouth plane, in eye distances (a mean face). */
export const NOSE_DEPTH = 0.43;

/** iBUG 68-point indices: the face's right eye (image left) and left eye (image right), six points each. */
const EYE_A = [36, 37, 38, 39, 40, 41] as const;
const EYE_B = [42, 43, 44, 45, 46, 47] as const;

const mean = (ps: readonly Point[]): Point => ({
  x: ps.reduce((s, p) => s + p.x, 0) / ps.length,
  y: ps.reduce((s, p) => s + p.y, 0) / ps.length,
});
const dist = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);

/**
 * The five points to read the pose from: the ones the 68 landmarks imply when the face has them, else the detector's
 * own. With both (dlib128-yunet), YuNet's points wavered more on still frames (yaw sd 2.2° against 0.9° on CFP) and
 * refused more people performing the challenge (docs/liveness-challenge.md).
 */
export function fivePointsOf(face: ObservedFace): readonly Point[] {
  const l = face.landmarks;
  if (l?.length === 68) return [mean(EYE_A.map((i) => l[i])), mean(EYE_B.map((i) => l[i])), l[30], l[48], l[54]];
  if (face.points?.length === 5) return face.points;
  throw new FaceError('INVALID_INPUT', 'the liveness challenge needs five points or 68 landmarks for each face');
}

/** The yaw ratio r of five points (see above): 0 facing the camera, positive turned to the person's own left. */
export function yawRatio(five: readonly Point[]): number {
  const [eyeL, eyeR, nose, mouthL, mouthR] = five;
  const eyes = dist(eyeL, eyeR);
  if (!(eyes > 0)) return Number.NaN;
  const ux = (eyeR.x - eyeL.x) / eyes;
  const uy = (eyeR.y - eyeL.y) / eyes;
  const mid = mean([eyeL, eyeR, mouthL, mouthR]);
  // image x grows to the person's left (a camera image is not mirrored)
  return ((nose.x - mid.x) * ux + (nose.y - mid.y) * uy) / eyes;
}

/** The face's width ratio (see above): eye distance over the eyes-to-mouth height. */
export function widthRatio(five: readonly Point[]): number {
  const [eyeL, eyeR, , mouthL, mouthR] = five;
  const eyes = dist(eyeL, eyeR);
  if (!(eyes > 0)) return Number.NaN;
  const [ux, uy] = [(eyeR.x - eyeL.x) / eyes, (eyeR.y - eyeL.y) / eyes];
  const [mx, my] = [(mouthL.x + mouthR.x - eyeL.x - eyeR.x) / 2, (mouthL.y + mouthR.y - eyeL.y - eyeR.y) / 2];
  const height = Math.abs(ux * my - uy * mx);
  return height > 0 ? eyes / height : Number.NaN;
}

/** Degrees of yaw for a ratio r, on the mean face. */
export function yawDegrees(r: number): number {
  return (Math.atan(r / NOSE_DEPTH) * 180) / Math.PI;
}

function eyeRatio(l: readonly Point[], eye: readonly number[]): number {
  const [p1, p2, p3, p4, p5, p6] = eye.map((i) => l[i]);
  const width = dist(p1, p4);
  return width > 0 ? (dist(p2, p6) + dist(p3, p5)) / (2 * width) : Number.NaN;
}

/** The eye aspect ratio averaged over both eyes; undefined without 68 landmarks. */
export function eyeAspectRatio(landmarks: readonly Point[] | undefined): number | undefined {
  if (landmarks?.length !== 68) return undefined;
  const v = (eyeRatio(landmarks, EYE_A) + eyeRatio(landmarks, EYE_B)) / 2;
  return Number.isFinite(v) ? v : undefined;
}

/** Yaw and eye opening of one face. */
export function poseOf(face: ObservedFace): FramePose {
  const five = fivePointsOf(face);
  const ear = eyeAspectRatio(face.landmarks);
  return { yaw: yawDegrees(yawRatio(five)), width: widthRatio(five), ...(ear !== undefined ? { ear } : {}) };
}
