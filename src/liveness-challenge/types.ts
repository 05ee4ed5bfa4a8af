/**
 * What the active liveness check (a challenge and its response) takes and answers. The server sends a short random
 * sequence of actions; the camera's frames come back with their timestamps; the faces found in them (boxes and
 * points) decide whether the sequence was performed, in order.
 */
import type { Box } from '../detect/types.js';
import type { Point } from '../image/types.js';

/** What a person is asked to do: turn to their own left or right a little, or close both eyes for a moment. */
export type ChallengeAction = 'turn-left' | 'turn-right' | 'blink';

export const CHALLENGE_ACTIONS: readonly ChallengeAction[] = ['turn-left', 'turn-right', 'blink'];

export interface Challenge {
  /** The nonce: 128 random bits, base64url. Names the challenge and is spent by its one answer. */
  readonly id: string;
  readonly actions: readonly ChallengeAction[];
  /** Epoch milliseconds. */
  readonly issuedAt: number;
  /** Epoch milliseconds: frames arriving later are refused (CHALLENGE_EXPIRED). */
  readonly deadline: number;
}

/** One face as the pipeline found it in a frame: the detector's five points and/or the 68 landmarks. */
export interface ObservedFace {
  readonly box: Box;
  readonly score: number;
  /** The detector's five points (left eye, right eye, nose tip, left and right mouth corners, image left to right). */
  readonly points?: readonly Point[];
  /** 68 points, iBUG order (dlib packs). Needed for the eyes (blinks). */
  readonly landmarks?: readonly Point[];
}

/** One camera frame after detection: when it was taken and every face in it. */
export interface ObservedFrame {
  /** Capture time, milliseconds on the client's clock (any origin); must strictly increase. */
  readonly t: number;
  readonly faces: readonly ObservedFace[];
}

/** The pose read from one frame's face. */
export interface FramePose {
  /** Estimated yaw in degrees: positive when the person has turned to their own left. */
  readonly yaw: number;
  /** Eye distance over the eyes-to-mouth height: narrows as the head turns (src/liveness-challenge/pose.ts). */
  readonly width: number;
  /** Eye aspect ratio (mean of both eyes); undefined without the 68 landmarks. */
  readonly ear?: number;
}

/** What one frame shows, relative to the pose the person started in. */
export type FrameState = 'centre' | 'left' | 'right' | 'flat-turn' | 'eyes-closed' | 'between' | 'no-face';

/** An action seen in the frames: from its first frame to its last. */
export interface SeenAction {
  readonly action: ChallengeAction;
  readonly firstFrame: number;
  readonly lastFrame: number;
  /** The frame where the action peaked (largest turn, lowest eye ratio). */
  readonly peakFrame: number;
}

/**
 * Why a sequence failed, in words a person can act on: a missing or extra action, a wrong one, a start that was
 * not facing the camera, too few frames with a face, a face that changed, or the passive check.
 */
export type ChallengeFailure =
  | 'not-facing-camera'
  | 'wrong-action'
  | 'missing-action'
  | 'extra-action'
  | 'too-few-face-frames'
  | 'flat-turn'
  | 'face-changed'
  | 'passive-check';

/** The passive (single-image) part of the verdict, when one was plugged in. */
export type PassivePart =
  | { readonly run: false; readonly reason: string }
  | {
      readonly run: true;
      readonly live: boolean;
      /** The median of the frames' live scores. */
      readonly score: number;
      readonly threshold: number;
      readonly frames: number;
    };

/**
 * The passive check, plugged in by the server (e.g. the MiniFASNet pair of src/liveness): the live score in [0, 1]
 * of the face at `box` in one encoded frame, and the threshold it is judged against (live iff score ≥ threshold).
 */
export interface PassiveScorer {
  readonly threshold: number;
  score(frame: Buffer, box: Box): Promise<number>;
}

export interface ChallengeVerdict {
  readonly passed: boolean;
  /** The challenge's actions, and the actions seen in the frames, in order. */
  readonly asked: readonly ChallengeAction[];
  readonly seen: readonly SeenAction[];
  readonly failure?: ChallengeFailure;
  /** A sentence for the person at the camera. */
  readonly message: string;
  readonly frames: number;
  readonly faceFrames: number;
  readonly passive: PassivePart;
}
