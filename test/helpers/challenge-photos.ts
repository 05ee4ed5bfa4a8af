/**
 * Real photos of one person (George W. Bush in LFW) that answer a liveness challenge when shown in turn: facing the
 * camera, turned to his left (32.7° by the checker's yaw), to his right (-33.9°), and with his eyes nearly shut (eye
 * ratio 0.64 of the facing photo's, as the 68-point net reads it). Different moments, so the sequence is a slideshow
 * rather than a video; the checker reads only the faces' points.
 */
import path from 'node:path';
import type { ChallengeAction } from '../../src/liveness-challenge/types.js';
import { LFW_DIR } from './datasets.js';

const gwb = (n: string) => path.join(LFW_DIR, 'lfw', 'George_W_Bush', `George_W_Bush_${n}.jpg`);

export const CHALLENGE_PHOTOS = {
  facing: gwb('0007'),
  left: gwb('0437'),
  right: gwb('0048'),
  closed: gwb('0459'),
  /** Another photo of him, facing the camera (to verify and enroll with). */
  another: gwb('0008'),
} as const;

/** The challenge the tests ask for (fixed through the server's `choose`). */
export const TEST_ACTIONS: readonly ChallengeAction[] = ['turn-left', 'blink', 'turn-right', 'turn-left'];

/** One photo per frame (6 a second): facing 3, then per action 2 turned or 3 closed, then 2 facing. */
export function answerPhotos(actions: readonly ChallengeAction[]): string[] {
  const p = CHALLENGE_PHOTOS;
  const out = [p.facing, p.facing, p.facing];
  for (const a of actions) {
    const shot = a === 'turn-left' ? p.left : a === 'turn-right' ? p.right : p.closed;
    out.push(...Array<string>(a === 'blink' ? 3 : 2).fill(shot), p.facing, p.facing);
  }
  return out;
}
