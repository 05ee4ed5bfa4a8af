/**
 * Faces turned away from the camera. At a high yaw the five points crowd onto the face's visible edge (both eyes and
 * the nose tip within a few pixels of each other across the face), so a least-squares fit of them to a frontal
 * template shrinks and shifts the chip, and the 68-point net, trained on faces seen from the front, misplaces its
 * points. These helpers say whether a face is turned and give the five points a turned face is aligned with.
 *
 * - 'points': as any face (the pack's own alignment).
 * - 'box': the five-point template placed in the detector's box.
 * - 'axis': the points of a frontal face with the same eyes' midpoint and mouth's midpoint: the chip keeps the face's
 *   vertical axis and its eye-to-mouth height (which a turn does not shorten) and ignores how close the eyes are.
 * - 'five': the five points themselves (for dlib-chip packs: the detector's points on dlib's template, instead of the
 *   68-point net's).
 */
import { FaceError } from '../errors.js';
import { DLIB_MEAN_FACE_X, DLIB_MEAN_FACE_Y, type CustomTemplate } from './chip.js';
import { ARCFACE_112_TEMPLATE, templateInBox } from './five-point.js';
import { fivePointsOf68, yawFromFivePoints } from './pose.js';
import type { Landmarks68, Point } from './types.js';

export type TurnedAlign = 'points' | 'box' | 'axis' | 'five' | 'guard';
export const TURNED_ALIGNS: readonly TurnedAlign[] = ['points', 'box', 'axis', 'five', 'guard'];

/**
 * 'guard': the pack's own alignment unless the chip it gives has collapsed (its side under this fraction of the
 * detector box's height: the points crowded together), then 'axis'.
 */
export const COLLAPSED_CHIP = 0.7;

export interface TurnedFaceOptions {
  /** A face counts as turned from this |yaw| (degrees, from its five points; see pose.ts). */
  readonly yawAbove: number;
  /** How a turned face is aligned (default 'points': as any other). */
  readonly align?: TurnedAlign;
  /** Embed a turned face with its mirror image too (flip test-time augmentation), even when flip is off. */
  readonly flip?: boolean;
  /** 'guard': the chip counts as collapsed below this fraction of the box's height (default COLLAPSED_CHIP). */
  readonly collapsedBelow?: number;
}

export function checkTurnedOptions(o: TurnedFaceOptions): TurnedFaceOptions {
  if (!(o.yawAbove >= 0 && o.yawAbove <= 180))
    throw new FaceError('INVALID_INPUT', `turned.yawAbove must be in [0, 180] degrees, got ${o.yawAbove}`);
  if (o.collapsedBelow !== undefined && !(o.collapsedBelow > 0 && o.collapsedBelow < 10))
    throw new FaceError('INVALID_INPUT', `turned.collapsedBelow must be in (0, 10), got ${o.collapsedBelow}`);
  if (o.align !== undefined && !TURNED_ALIGNS.includes(o.align))
    throw new FaceError('INVALID_INPUT', `turned.align must be one of ${TURNED_ALIGNS.join(', ')}, got ${o.align}`);
  return o;
}

/** What a face carries that its yaw can be read from. */
export interface PosedFace {
  readonly box: { x: number; y: number; width: number; height: number };
  readonly points?: readonly Point[];
  readonly landmarks?: Landmarks68;
}

/** The detector's five points, else the five taken from the 68 landmarks, else undefined. */
export function fivePointsOf(face: PosedFace): readonly Point[] | undefined {
  return face.points ?? (face.landmarks ? fivePointsOf68(face.landmarks) : undefined);
}

/** Signed yaw in degrees, undefined for a face without points. */
export function faceYaw(face: PosedFace): number | undefined {
  const p = fivePointsOf(face);
  return p ? yawFromFivePoints(p) : undefined;
}

export function isTurned(face: PosedFace, opts: TurnedFaceOptions | undefined): boolean {
  if (!opts) return false;
  const yaw = faceYaw(face);
  return yaw !== undefined && Math.abs(yaw) >= opts.yawAbove;
}

/** The ArcFace template's points relative to its eye-to-mouth axis: (along, across) in units of its height. */
const AXIS_TEMPLATE = (() => {
  const t = ARCFACE_112_TEMPLATE;
  const eye = { x: (t[0].x + t[1].x) / 2, y: (t[0].y + t[1].y) / 2 };
  const mouth = { x: (t[3].x + t[4].x) / 2, y: (t[3].y + t[4].y) / 2 };
  const h = Math.hypot(mouth.x - eye.x, mouth.y - eye.y);
  const u = { x: (mouth.x - eye.x) / h, y: (mouth.y - eye.y) / h };
  const right = { x: u.y, y: -u.x }; // the image's right for an upright face
  // the nose sits on the axis of a frontal face
  return t.map((p, i) => {
    const d = { x: p.x - eye.x, y: p.y - eye.y };
    return { along: (d.x * u.x + d.y * u.y) / h, across: i === 2 ? 0 : (d.x * right.x + d.y * right.y) / h };
  });
})();

/** Five points of a frontal face with the same eyes' midpoint and mouth's midpoint as `points`. */
export function axisPoints(points: readonly Point[]): Point[] {
  const [le, re, , lm, rm] = points;
  const eye = { x: (le.x + re.x) / 2, y: (le.y + re.y) / 2 };
  const mouth = { x: (lm.x + rm.x) / 2, y: (lm.y + rm.y) / 2 };
  const h = Math.hypot(mouth.x - eye.x, mouth.y - eye.y);
  if (!(h > 0)) return [...points];
  const u = { x: (mouth.x - eye.x) / h, y: (mouth.y - eye.y) / h };
  const right = { x: u.y, y: -u.x };
  return AXIS_TEMPLATE.map((t) => ({
    x: eye.x + h * (t.along * u.x + t.across * right.x),
    y: eye.y + h * (t.along * u.y + t.across * right.y),
  }));
}

/** The five points a turned face is aligned with under `align` (undefined: 'points', the pack's own alignment). */
export function turnedPoints(face: PosedFace, align: TurnedAlign): readonly Point[] | undefined {
  if (align === 'points' || align === 'guard') return undefined;
  if (align === 'box') return templateInBox(face.box, { size: 112, template: ARCFACE_112_TEMPLATE });
  const p = fivePointsOf(face);
  if (!p) return undefined;
  return align === 'axis' ? axisPoints(p) : p;
}

const meanOf = (from: number, to: number): Point => {
  let x = 0;
  let y = 0;
  for (let i = from; i <= to; i++) {
    x += DLIB_MEAN_FACE_X[i - 17];
    y += DLIB_MEAN_FACE_Y[i - 17];
  }
  return { x: x / (to - from + 1), y: y / (to - from + 1) };
};

/** dlib's mean face at the five points (eye centres, nose tip, mouth corners): dlib chips from five points. */
export const DLIB_FIVE_POINT_TEMPLATE: CustomTemplate = {
  indices: [0, 1, 2, 3, 4],
  points: [meanOf(36, 41), meanOf(42, 47), meanOf(30, 30), meanOf(48, 48), meanOf(54, 54)],
};
