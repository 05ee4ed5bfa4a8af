/**
 * The challenge's answer judged from the faces in its frames: the input's checks (typed errors), then the actions
 * seen against the actions asked, exactly: same actions, same order, nothing missing, nothing extra. A recording
 * that never saw the challenge performs it only by chance (src/liveness-challenge/challenge.ts).
 */
import { FaceError } from '../errors.js';
import { baselineOf, DEFAULT_THRESHOLDS, frameState, seenActions, type ActionThresholds } from './events.js';
import { poseOf } from './pose.js';
import type { Challenge, ChallengeAction, ChallengeFailure, ObservedFrame, SeenAction } from './types.js';

/** Fewest frames an answer may have. */
export const MIN_FRAMES = 3;
/** Clock slack allowed between the client's frame times and the challenge's time to answer, ms. */
export const CLOCK_SLACK_MS = 1000;

export interface SequenceJudgement {
  readonly passed: boolean;
  readonly failure?: ChallengeFailure;
  readonly message: string;
  readonly seen: readonly SeenAction[];
  readonly faceFrames: number;
  /**
   * Frames facing the camera with open eyes, one before each action seen and one after the last: where the face is
   * compared with itself and the passive check looks.
   */
  readonly facing: readonly number[];
}

const WORDS: Readonly<Record<ChallengeAction, string>> = {
  'turn-left': 'a turn to the left',
  'turn-right': 'a turn to the right',
  blink: 'closed eyes',
};

/** CHALLENGE_EXPIRED when `now` is past the deadline. */
export function assertOpen(challenge: Challenge, now: number): void {
  if (now > challenge.deadline)
    throw new FaceError(
      'CHALLENGE_EXPIRED',
      `the challenge's answer came ${Math.round((now - challenge.deadline) / 100) / 10} s after its deadline: ` +
        'ask for a new challenge',
      { deadline: new Date(challenge.deadline).toISOString() },
    );
}

/** Typed errors for frame times no judgement can be made on: too few frames, out of order, spanning too long. */
export function assertTimes(challenge: Challenge, times: readonly number[]): void {
  if (times.length < MIN_FRAMES)
    throw new FaceError('INVALID_INPUT', `send at least ${MIN_FRAMES} frames, got ${times.length}`, {
      frames: times.length,
    });
  times.forEach((t, i) => {
    if (typeof t !== 'number' || !Number.isFinite(t))
      throw new FaceError('INVALID_INPUT', `frame ${i + 1} has no valid time (t, milliseconds)`, { frame: i + 1 });
    if (i > 0 && !(t > times[i - 1]))
      throw new FaceError(
        'FRAMES_OUT_OF_ORDER',
        `frame ${i + 1} (t = ${t} ms) is not later than frame ${i} (t = ${times[i - 1]} ms): ` +
          'send the frames in the order they were taken, each with its own time',
        { frame: i + 1, t, previous: times[i - 1] },
      );
  });
  const span = times[times.length - 1] - times[0];
  const allowed = challenge.deadline - challenge.issuedAt + CLOCK_SLACK_MS;
  if (span > allowed)
    throw new FaceError(
      'CHALLENGE_EXPIRED',
      `the frames span ${Math.round(span)} ms, longer than the ${allowed} ms the challenge allowed`,
      { spanMs: Math.round(span), allowedMs: allowed },
    );
}

/** Typed errors for faces no judgement can be made on: several in one frame, or none in any. */
export function assertFaces(frames: readonly ObservedFrame[]): void {
  const crowded = frames.findIndex((f) => f.faces.length > 1);
  if (crowded >= 0)
    throw new FaceError(
      'MULTIPLE_FACES',
      `frame ${crowded + 1} shows ${frames[crowded].faces.length} faces: ` +
        'only the person answering may be in view during the challenge',
      { frame: crowded + 1, faces: frames[crowded].faces.length },
    );
  if (frames.every((f) => f.faces.length === 0))
    throw new FaceError('NO_FACE', `no face in any of the ${frames.length} frames`, { frames: frames.length });
}

function compare(asked: readonly ChallengeAction[], seen: readonly SeenAction[]) {
  const k = asked.findIndex((a, i) => i >= seen.length || seen[i].action !== a);
  if (k < 0 && seen.length === asked.length) return { passed: true, message: 'Challenge passed.' } as const;
  if (k < 0)
    return {
      passed: false,
      failure: 'extra-action',
      message: `Every step was seen, then ${WORDS[seen[asked.length].action]} that was not asked for.`,
    } as const;
  if (k >= seen.length)
    return {
      passed: false,
      failure: 'missing-action',
      message: `Step ${k + 1} (${WORDS[asked[k]]}) was not seen.`,
    } as const;
  return {
    passed: false,
    failure: 'wrong-action',
    message: `Step ${k + 1} asked for ${WORDS[asked[k]]} and saw ${WORDS[seen[k].action]}.`,
  } as const;
}

/** The frame facing the camera nearest before each action seen, and the first one after the last. */
function facingFrames(states: readonly string[], seen: readonly SeenAction[]): number[] {
  const out = seen.map((s) => states.slice(0, s.firstFrame).lastIndexOf('centre'));
  if (seen.length) out.push(states.indexOf('centre', seen[seen.length - 1].lastFrame));
  return [...new Set(out)].filter((i) => i >= 0);
}

/** Judges the answer: typed errors for unusable frames, else whether the actions asked were performed. */
export function judgeSequence(
  challenge: Challenge,
  frames: readonly ObservedFrame[],
  th: ActionThresholds = DEFAULT_THRESHOLDS,
): SequenceJudgement {
  assertTimes(
    challenge,
    frames.map((f) => f.t),
  );
  assertFaces(frames);
  const timed = frames.map((f) => ({ t: f.t, ...(f.faces[0] ? { pose: poseOf(f.faces[0]) } : {}) }));
  const faceFrames = timed.filter((f) => f.pose).length;
  const base = baselineOf(timed, th);
  const none = { seen: [], faceFrames, facing: [] } as const;
  if (!base || faceFrames < th.startFrames)
    return {
      ...none,
      passed: false,
      failure: 'too-few-face-frames',
      message: `A face was found in only ${faceFrames} of ${frames.length} frames: keep your face in view.`,
    };
  if (Math.abs(base.yaw) > th.maxStartDegrees)
    return {
      ...none,
      passed: false,
      failure: 'not-facing-camera',
      message: 'Face the camera at the start, then follow the prompts.',
    };
  const seen = seenActions(timed, base, th);
  const states = timed.map((f) => frameState(f.pose, base, th));
  const result = { ...compare(challenge.actions, seen), seen, faceFrames, facing: facingFrames(states, seen) };
  if (result.passed || !states.includes('flat-turn')) return result;
  return {
    ...result,
    failure: 'flat-turn',
    message: `${result.message} A turn narrowed the face like a flat picture turning, not a head.`,
  };
}
