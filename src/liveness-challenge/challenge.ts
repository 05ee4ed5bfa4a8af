/**
 * Challenges: a random sequence of actions, a nonce and a deadline. The sequence is drawn with the operating system's
 * random generator (node:crypto), each action independently and uniformly, repeats allowed, so a recording made
 * before the challenge existed performs it only by chance: one in |actions|^length.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { FaceError } from '../errors.js';
import { CHALLENGE_ACTIONS, type Challenge, type ChallengeAction } from './types.js';

export interface ChallengeOptions {
  /**
   * Actions in a challenge (default: the fewest whose sequences number at least MIN_SEQUENCES: 4 when blinks can be
   * read, 6 with turns only).
   */
  length?: number;
  /** The actions to draw from (default all three; turns only when the faces carry no eye points). */
  actions?: readonly ChallengeAction[];
  /** Time to answer, milliseconds (default 30 s). */
  ttlMs?: number;
  /** Picks the actions (tests); default: uniform draws from node:crypto. */
  choose?: (available: readonly ChallengeAction[], length: number) => readonly ChallengeAction[];
}

/** Sequences a default challenge draws from, at least: a recording matches one by chance at most 1 in 64 times. */
export const MIN_SEQUENCES = 64;
export const DEFAULT_TTL_MS = 30_000;
export const MAX_LENGTH = 8;

/** The default length for an alphabet of `n` actions: the fewest with at least MIN_SEQUENCES sequences. */
export function defaultLength(n: number): number {
  return Math.ceil(Math.log(MIN_SEQUENCES) / Math.log(n) - 1e-9);
}

/** How many sequences a challenge of this shape draws from. */
export function sequenceCount(actions: number, length: number): number {
  return actions ** length;
}

function uniform(available: readonly ChallengeAction[], length: number): ChallengeAction[] {
  return Array.from({ length }, () => available[randomInt(available.length)]);
}

function checkOptions(available: readonly ChallengeAction[], length: number, ttlMs: number): void {
  if (available.length < 2 || available.some((a) => !CHALLENGE_ACTIONS.includes(a)))
    throw new FaceError('INVALID_INPUT', `a challenge needs at least two of ${CHALLENGE_ACTIONS.join(', ')}`);
  if (!Number.isInteger(length) || length < 1 || length > MAX_LENGTH)
    throw new FaceError('INVALID_INPUT', `a challenge has 1 to ${MAX_LENGTH} actions, got ${length}`);
  if (!(Number.isFinite(ttlMs) && ttlMs >= 1000))
    throw new FaceError('INVALID_INPUT', `a challenge needs at least 1 s to answer, got ${ttlMs} ms`);
}

/** A new challenge, issued at `now` (epoch ms). */
export function createChallenge(opts: ChallengeOptions = {}, now = Date.now()): Challenge {
  const available = opts.actions ?? CHALLENGE_ACTIONS;
  const length = opts.length ?? defaultLength(available.length);
  const ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
  checkOptions(available, length, ttlMs);
  const actions = (opts.choose ?? uniform)(available, length);
  if (actions.length !== length || actions.some((a) => !available.includes(a)))
    throw new FaceError('INVALID_INPUT', `the chosen actions ${JSON.stringify(actions)} do not fit this challenge`);
  return { id: randomBytes(16).toString('base64url'), actions: [...actions], issuedAt: now, deadline: now + ttlMs };
}

/** What the page shows for each action: short, plain, no expression asked for. */
export const PROMPTS: Readonly<Record<ChallengeAction, string>> = {
  'turn-left': 'Turn your head a little to your left, then back',
  'turn-right': 'Turn your head a little to your right, then back',
  blink: 'Close your eyes for a moment, then open them',
};
