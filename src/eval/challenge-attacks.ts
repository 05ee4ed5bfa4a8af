/**
 * The active liveness check's error rates in ISO/IEC 30107-3 terms, on frame sequences assembled from real photos
 * (src/eval/challenge-frames.ts), at 6 frames a second:
 * - bona fide: the person performs the challenge asked (start facing the camera; a turn is two turned frames then
 *   two facing; closed eyes are three frames, 333 ms, then two facing) → BPCER, the share refused;
 * - attacks, each judged against a fresh random challenge → APCER, the share accepted:
 *   - `print-still`: a print held in front of the camera (the facing frames, 4 s);
 *   - `print-swung`: the print turned about its vertical axis to and fro (facing and swung frames);
 *   - `print-on-cue`: the print turned on cue, following the prompts: for each turn asked, the swing angle that best
 *     passes for that turn (any the check would take, if one does); closed eyes answered through eye holes cut in
 *     the print (the synthetic closed frames), the worst case;
 *   - `replay-random`: a recording of the person making 2–5 random moves, which never saw the challenge;
 *   - `replay-answer`: a recording of the person answering an earlier challenge of the same length.
 * Only the landmark logic is judged here: the passive check is not run and the frames are never embedded.
 */
import { createChallenge } from '../liveness-challenge/challenge.js';
import { judgeSequence } from '../liveness-challenge/check.js';
import { baselineOf, DEFAULT_THRESHOLDS, frameState, type ActionThresholds } from '../liveness-challenge/events.js';
import { poseOf } from '../liveness-challenge/pose.js';
import type { ChallengeAction, ObservedFace, ObservedFrame } from '../liveness-challenge/types.js';
import { Rng } from '../train/rng.js';
import type { PersonFrames } from './challenge-frames.js';

export const FRAME_MS = 1000 / 6;
export const ATTACKS = ['print-still', 'print-swung', 'print-on-cue', 'replay-random', 'replay-answer'] as const;
export type AttackType = (typeof ATTACKS)[number];

export interface Rate {
  readonly trials: number;
  /** Bona fide: refused; attacks: accepted. */
  readonly errors: number;
  readonly rate: number;
}

export interface ChallengeFigures {
  readonly people: number;
  readonly actions: readonly ChallengeAction[];
  readonly length: number;
  readonly bpcer: Rate;
  /** Bona fide refusals by reason. */
  readonly refusals: Readonly<Record<string, number>>;
  readonly apcer: Readonly<Record<AttackType, Rate>>;
  /** ISO/IEC 30107-3: (the worst attack's APCER + BPCER) / 2. */
  readonly acer: number;
  /** Detector noise on the still frames, and what swinging a print does, in degrees of yaw from the start pose. */
  readonly noise: { readonly yawSd: number; readonly yawMax: number; readonly swungMax: number };
}

const pick = <T>(xs: readonly T[], rng: Rng): T => xs[rng.int(xs.length)];

function timed(faces: readonly ObservedFace[]): ObservedFrame[] {
  return faces.map((f, i) => ({ t: Math.round(i * FRAME_MS), faces: [f] }));
}

/** The person performing `actions`, as frames. Undefined when their photos lack a side or closed eyes asked for. */
export function performed(p: PersonFrames, actions: readonly ChallengeAction[], rng: Rng): ObservedFrame[] | undefined {
  const facing = () => pick(p.facing, rng);
  const faces: ObservedFace[] = [facing(), facing(), facing()];
  for (const a of actions) {
    const pool = a === 'turn-left' ? p.left : a === 'turn-right' ? p.right : p.closed;
    if (!pool.length) return undefined;
    const n = a === 'blink' ? 3 : 2;
    for (let i = 0; i < n; i++) faces.push(pick(pool, rng));
    faces.push(facing(), facing());
  }
  return timed(faces);
}

/** The print answering on cue: per turn, a swung frame the check reads as that turn if any, else the largest. */
function onCue(p: PersonFrames, actions: readonly ChallengeAction[], th: ActionThresholds, rng: Rng) {
  const base = baselineOf(
    p.facing.map((f, i) => ({ t: i, pose: poseOf(f) })),
    th,
  );
  if (!base) return undefined;
  const best = (side: 'left' | 'right'): ObservedFace => {
    const sign = side === 'left' ? 1 : -1;
    const taken = p.swung.filter((f) => frameState(poseOf(f), base, th) === side);
    const byYaw = [...p.swung].sort((a, b) => sign * (poseOf(b).yaw - poseOf(a).yaw));
    return taken[0] ?? byYaw[0];
  };
  const swungPerson = {
    ...p,
    left: p.swung.length ? [best('left')] : [],
    right: p.swung.length ? [best('right')] : [],
  };
  return performed(swungPerson, actions, rng);
}

function attackFrames(
  kind: AttackType,
  p: PersonFrames,
  asked: readonly ChallengeAction[],
  available: readonly ChallengeAction[],
  rng: Rng,
  th: ActionThresholds,
) {
  const moves = (n: number) => Array.from({ length: n }, () => pick(available, rng));
  switch (kind) {
    case 'print-still':
      return timed(Array.from({ length: 24 }, () => pick(p.facing, rng)));
    case 'print-swung':
      return timed(Array.from({ length: 24 }, (_, i) => (i < 3 || i % 2 ? pick(p.facing, rng) : pick(p.swung, rng))));
    case 'print-on-cue':
      return onCue(p, asked, th, rng);
    case 'replay-random':
      return performed(p, moves(2 + rng.int(4)), rng);
    case 'replay-answer':
      return performed(p, moves(asked.length), rng);
  }
}

const rate = (errors: number, trials: number): Rate => ({ trials, errors, rate: trials ? errors / trials : NaN });

/** Yaw noise of the still frames and the largest yaw a swung print reaches, relative to each person's median. */
function noiseOf(people: readonly PersonFrames[]) {
  const dev: number[] = [];
  let swungMax = 0;
  for (const p of people) {
    const yaws = p.facing.map((f) => poseOf(f).yaw).sort((a, b) => a - b);
    const mid = yaws[yaws.length >> 1];
    dev.push(...yaws.map((y) => y - mid));
    for (const f of p.swung) swungMax = Math.max(swungMax, Math.abs(poseOf(f).yaw - mid));
  }
  const sd = Math.sqrt(dev.reduce((s, d) => s + d * d, 0) / Math.max(1, dev.length));
  return { yawSd: sd, yawMax: Math.max(0, ...dev.map(Math.abs)), swungMax };
}

/** BPCER and per-attack APCER over `trials` challenges per person. */
export function challengeFigures(
  people: readonly PersonFrames[],
  opts: { trials?: number; seed?: number; actions?: readonly ChallengeAction[]; thresholds?: ActionThresholds } = {},
): ChallengeFigures {
  const rng = new Rng(opts.seed ?? 1);
  const available = opts.actions ?? ['turn-left', 'turn-right', 'blink'];
  const th = opts.thresholds ?? DEFAULT_THRESHOLDS;
  const choose = (a: readonly ChallengeAction[], n: number) => Array.from({ length: n }, () => pick(a, rng));
  let bona = 0;
  let refused = 0;
  const refusals: Record<string, number> = {};
  const attacks = Object.fromEntries(ATTACKS.map((a) => [a, { trials: 0, errors: 0 }])) as Record<
    AttackType,
    { trials: number; errors: number }
  >;
  let length = 0;
  for (const p of people)
    for (let k = 0; k < (opts.trials ?? 20); k++) {
      const challenge = createChallenge({ actions: available, choose }, 0);
      length = challenge.actions.length;
      const frames = performed(p, challenge.actions, rng);
      if (frames) {
        const j = judgeSequence(challenge, frames, th);
        bona++;
        if (!j.passed) {
          refused++;
          refusals[j.failure ?? 'other'] = (refusals[j.failure ?? 'other'] ?? 0) + 1;
        }
      }
      for (const kind of ATTACKS) {
        const asked = createChallenge({ actions: available, choose }, 0);
        // the print on cue answers the challenge it is asked; the others were made before it existed
        const attack = attackFrames(kind, p, asked.actions, available, rng, th);
        if (!attack) continue;
        attacks[kind].trials++;
        if (judgeSequence(asked, attack, th).passed) attacks[kind].errors++;
      }
    }
  const apcer = Object.fromEntries(ATTACKS.map((a) => [a, rate(attacks[a].errors, attacks[a].trials)])) as Record<
    AttackType,
    Rate
  >;
  const bpcer = rate(refused, bona);
  const worst = Math.max(...ATTACKS.map((a) => apcer[a].rate).filter((r) => !Number.isNaN(r)));
  return {
    people: people.length,
    actions: available,
    length,
    bpcer,
    refusals,
    apcer,
    acer: (worst + bpcer.rate) / 2,
    noise: noiseOf(people),
  };
}
