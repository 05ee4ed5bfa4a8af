/**
 * Actions from poses over time. Every frame is judged relative to the pose the person started in (the median yaw of
 * the first frames with a face, so a camera placed a little to the side does not matter), and eye closure relative to
 * the person's own open eyes (the upper quartile of the eye ratios of the frames facing the camera):
 * - a turn: yaw at least `turnDegrees` from the start pose, to the side asked, with the face narrowed no more than a
 *   head turning that far narrows (width ≥ `flatness` · cos(turn) of the start's): the landmark nets read a flat
 *   print turned about its vertical axis as a face turned half as far, but the print narrows by the cosine of its own,
 *   larger angle (docs/liveness-challenge.md has the figures). Such a frame is a `flat-turn` and never an action;
 * - eyes closed: the eye ratio at most `closedRatio` of the open eyes', facing the camera, held for `closedMs`
 *   (an ordinary blink, 100–250 ms, is not taken for an answer);
 * - between actions the person comes back to the camera (yaw within `centreDegrees` of the start, eyes open): an
 *   action counts once, however many frames it lasts, and two actions need a return between them.
 */
import type { ChallengeAction, FramePose, FrameState, SeenAction } from './types.js';

export interface ActionThresholds {
  /** Degrees of yaw from the start pose that count as a turn (default 15). */
  readonly turnDegrees: number;
  /** A turn's width, over the start's, must be at least this times cos(turn) (default 0.85). */
  readonly flatness: number;
  /** Degrees from the start pose that count as facing the camera again (default 7). */
  readonly centreDegrees: number;
  /** Eye ratio at most this share of the open eyes' counts as closed (default 0.75). */
  readonly closedRatio: number;
  /** Eyes closed for at least this long, first to last closed frame, count as the blink asked for (default 250). */
  readonly closedMs: number;
  /** The start pose may be at most this far from facing the camera (default 25). */
  readonly maxStartDegrees: number;
  /** Frames with a face that set the start pose (default 3). */
  readonly startFrames: number;
}

export const DEFAULT_THRESHOLDS: ActionThresholds = {
  turnDegrees: 15,
  flatness: 0.85,
  centreDegrees: 7,
  closedRatio: 0.75,
  closedMs: 250,
  maxStartDegrees: 25,
  startFrames: 3,
};

/** One frame's time and pose (undefined when no face was found in it). */
export interface TimedPose {
  readonly t: number;
  readonly pose?: FramePose;
}

export interface PoseBaseline {
  /** The start pose's yaw, degrees. */
  readonly yaw: number;
  /** The start pose's width ratio. */
  readonly width: number;
  /** The open eyes' ratio; undefined when the faces carry no eye points. */
  readonly openEar?: number;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The value three quarters of the way up (nearest rank). */
function upperQuartile(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.75 * s.length))];
}

/** The start pose and the open eyes' ratio; undefined when no frame has a face. */
export function baselineOf(frames: readonly TimedPose[], th: ActionThresholds): PoseBaseline | undefined {
  const poses = frames.flatMap((f) => (f.pose ? [f.pose] : []));
  if (!poses.length) return undefined;
  const start = poses.slice(0, th.startFrames);
  const yaw = median(start.map((p) => p.yaw));
  const width = median(start.map((p) => p.width));
  const facing = poses.filter((p) => Math.abs(p.yaw - yaw) <= th.centreDegrees && p.ear !== undefined);
  // the upper quartile: a challenge of closed eyes only may hold more closed frames than open ones
  return { yaw, width, ...(facing.length ? { openEar: upperQuartile(facing.map((p) => p.ear!)) } : {}) };
}

/** What one frame shows relative to the baseline. */
export function frameState(pose: FramePose | undefined, base: PoseBaseline, th: ActionThresholds): FrameState {
  if (!pose) return 'no-face';
  const d = pose.yaw - base.yaw;
  if (Math.abs(d) >= th.turnDegrees) {
    const narrowest = th.flatness * Math.cos((d * Math.PI) / 180) * base.width;
    if (!(pose.width >= narrowest)) return 'flat-turn';
    return d > 0 ? 'left' : 'right';
  }
  if (Math.abs(d) > th.centreDegrees) return 'between';
  const closed = base.openEar !== undefined && pose.ear !== undefined && pose.ear <= th.closedRatio * base.openEar;
  return closed ? 'eyes-closed' : 'centre';
}

const ACTION_OF: Partial<Record<FrameState, ChallengeAction>> = {
  left: 'turn-left',
  right: 'turn-right',
  'eyes-closed': 'blink',
};

/** How strongly a frame shows its action: the size of the turn, or how far the eyes closed. */
function strength(action: ChallengeAction, pose: FramePose, base: PoseBaseline): number {
  return action === 'blink' ? (base.openEar ?? 0) - (pose.ear ?? 0) : Math.abs(pose.yaw - base.yaw);
}

interface Run {
  action: ChallengeAction;
  first: number;
  last: number;
  peak: number;
}

/** A run of frames in one action state counts when it lasts long enough (eyes: closedMs; turns: one frame). */
function counts(run: Run, frames: readonly TimedPose[], th: ActionThresholds): boolean {
  return run.action !== 'blink' || frames[run.last].t - frames[run.first].t >= th.closedMs;
}

/**
 * The actions seen, in order. An action starts only after a frame facing the camera with open eyes (the person is
 * back). A turn lasts until the person faces the camera again (frames between the bands, without a face, or turned
 * the other way do not end it); a closure ends at the first frame whose eyes are not closed, and counts only when
 * held for `closedMs`: a shorter one (an ordinary blink) neither counts nor spoils what follows.
 */
export function seenActions(frames: readonly TimedPose[], base: PoseBaseline, th: ActionThresholds): SeenAction[] {
  const seen: SeenAction[] = [];
  let ready = false;
  let run: Run | undefined;
  const close = (): boolean => {
    const counted = !!run && counts(run, frames, th);
    if (run && counted)
      seen.push({ action: run.action, firstFrame: run.first, lastFrame: run.last, peakFrame: run.peak });
    run = undefined;
    return counted;
  };
  frames.forEach((f, i) => {
    const state = frameState(f.pose, base, th);
    const action = ACTION_OF[state];
    if (run) {
      if (action === run.action) {
        run.last = i;
        if (strength(action, f.pose!, base) > strength(action, frames[run.peak].pose!, base)) run.peak = i;
        return;
      }
      if (run.action !== 'blink' && state !== 'centre') return;
      if (close()) ready = false;
    }
    if (state === 'centre') ready = true;
    else if (action && ready) run = { action, first: i, last: i, peak: i };
  });
  close();
  return seen;
}
