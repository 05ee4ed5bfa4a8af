/**
 * SYNTHETIC faces for the liveness challenge's logic tests: the five points and the eye outlines of a mean 3-D face,
 * turned by a yaw angle and projected orthographically, with the eyelids opened to a share of their height. The real
 * detector's output on real photos is tested in real-sequences.test.ts; these pin the rules exactly.
 */
import type { Point } from '../../src/image/types.js';
import type { ChallengeAction, ObservedFace, ObservedFrame } from '../../src/liveness-challenge/types.js';

/** Mean-face points in eye distances: x to the face's left (image right), y down, z toward the camera. */
const EYE_L = { x: -0.5, y: 0, z: 0 };
const EYE_R = { x: 0.5, y: 0, z: 0 };
const NOSE = { x: 0, y: 0.55, z: 0.43 };
const MOUTH_L = { x: -0.4, y: 1.0, z: 0 };
const MOUTH_R = { x: 0.4, y: 1.0, z: 0 };

export interface SyntheticFace {
  /** Degrees, positive to the person's own left. */
  yaw?: number;
  /** Eyelid opening, share of open (1 open, 0.5 half closed). */
  eyes?: number;
  /** Horizontal squeeze of the whole face (a flat print turned away), 1 = none. */
  squeeze?: number;
  /** Eye distance in pixels. */
  scale?: number;
}

function project(p: { x: number; y: number; z: number }, yaw: number, squeeze: number, scale: number): Point {
  const a = (yaw * Math.PI) / 180;
  const x = p.x * Math.cos(a) + p.z * Math.sin(a);
  return { x: 300 + x * squeeze * scale, y: 200 + p.y * scale };
}

/** One eye's six points (iBUG order: corner, two upper lid, corner, two lower lid) around its centre. */
function eye(c: Point, scale: number, open: number): Point[] {
  const [w, h] = [0.3 * scale, 0.09 * scale * open];
  return [
    { x: c.x - w / 2, y: c.y },
    { x: c.x - w / 6, y: c.y - h },
    { x: c.x + w / 6, y: c.y - h },
    { x: c.x + w / 2, y: c.y },
    { x: c.x + w / 6, y: c.y + h },
    { x: c.x - w / 6, y: c.y + h },
  ];
}

export function syntheticFace(o: SyntheticFace = {}): ObservedFace {
  const [yaw, squeeze, scale] = [o.yaw ?? 0, o.squeeze ?? 1, o.scale ?? 80];
  const points = [EYE_L, EYE_R, NOSE, MOUTH_L, MOUTH_R].map((p) => project(p, yaw, squeeze, scale));
  const landmarks: Point[] = Array.from({ length: 68 }, () => ({ x: 300, y: 200 }));
  eye(points[0], scale * squeeze, o.eyes ?? 1).forEach((p, i) => (landmarks[36 + i] = p));
  eye(points[1], scale * squeeze, o.eyes ?? 1).forEach((p, i) => (landmarks[42 + i] = p));
  // the nose tip and mouth corners where the five points have them (the eyes' outlines centre on the eye points)
  [landmarks[30], landmarks[48], landmarks[54]] = [points[2], points[3], points[4]];
  return { box: { x: 200, y: 100, width: 200, height: 220 }, score: 0.99, points, landmarks };
}

/** Frames at `fps` from a list of faces (undefined: a frame with no face). */
export function framesOf(faces: readonly (ObservedFace | undefined)[], fps = 6): ObservedFrame[] {
  return faces.map((f, i) => ({ t: Math.round((i * 1000) / fps), faces: f ? [f] : [] }));
}

/** A person performing the actions: facing, then each action (turns 25°, eyes closed for 3 frames) and back. */
export function performing(actions: readonly ChallengeAction[], turn = 25): ObservedFace[] {
  const facing = syntheticFace();
  const out = [facing, facing, facing];
  for (const a of actions) {
    if (a === 'blink') out.push(...Array(3).fill(syntheticFace({ eyes: 0.4 })));
    else out.push(...Array(2).fill(syntheticFace({ yaw: a === 'turn-left' ? turn : -turn })));
    out.push(facing, facing);
  }
  return out;
}
