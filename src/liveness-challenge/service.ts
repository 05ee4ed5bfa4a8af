/**
 * The active liveness check as a service: issues challenges, judges their answers (frames → faces → actions), and
 * turns a passed answer into a single-use token bound to the face that answered. The pipeline reaches it through
 * FrameAnalyzer (the server runs detection and embedding on its inference queue), the passive check through
 * PassiveScorer (optional: without one, the verdict says it was not run).
 */
import { FaceError } from '../errors.js';
import { distance } from '../embed/vector.js';
import { createChallenge, type ChallengeOptions } from './challenge.js';
import { assertOpen, assertTimes, judgeSequence, type SequenceJudgement } from './check.js';
import { DEFAULT_THRESHOLDS, type ActionThresholds } from './events.js';
import { ChallengeStore, TokenStore, type IssuedToken, type TokenBinding } from './stores.js';
import type {
  Challenge,
  ChallengeFailure,
  ChallengeVerdict,
  ObservedFace,
  ObservedFrame,
  PassivePart,
  PassiveScorer,
} from './types.js';

/** What the service needs from the face pipeline, per encoded frame. */
export interface FrameAnalyzer {
  /** Every face in the frame with the pack's points (five points and/or 68 landmarks). */
  detect(frame: Buffer): Promise<readonly ObservedFace[]>;
  /** The embedding of the frame's largest face; undefined when it holds none. */
  embed(frame: Buffer): Promise<Float32Array | undefined>;
}

/** One frame of an answer: its capture time (ms, client clock) and the encoded image. */
export interface AnswerFrame {
  readonly t: number;
  readonly image: Buffer;
}

export interface LivenessChallengeOptions {
  challenge?: ChallengeOptions;
  thresholds?: Partial<ActionThresholds>;
  tokenTtlMs?: number;
  /** Open challenges and live tokens held at most (each). */
  capacity?: number;
  passive?: PassiveScorer;
  /** Frames analysed at once (default 2: the server's inference concurrency). */
  parallel?: number;
  /** The clock, epoch ms (tests). */
  now?: () => number;
}

export interface ChallengeAnswer {
  readonly verdict: ChallengeVerdict;
  /** Present only when the verdict passed. */
  readonly token?: IssuedToken;
}

async function mapLimited<T, R>(items: readonly T[], width: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, lane));
  return out;
}

const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export class LivenessChallenges {
  private readonly challenges: ChallengeStore;
  private readonly tokens: TokenStore;
  private readonly thresholds: ActionThresholds;
  private readonly now: () => number;

  constructor(private readonly opts: LivenessChallengeOptions = {}) {
    this.challenges = new ChallengeStore(opts.capacity);
    this.tokens = new TokenStore(opts.tokenTtlMs, opts.capacity);
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
    this.now = opts.now ?? Date.now;
  }

  /** A new open challenge. */
  issue(): Challenge {
    const now = this.now();
    const c = createChallenge(this.opts.challenge, now);
    this.challenges.add(c, now);
    return c;
  }

  /**
   * Judges an answer; spends the challenge whatever the outcome (an answer cannot be corrected and sent again).
   * `maxDistance`: the largest embedding distance at which two frames show the same person (the verify threshold).
   */
  async answer(
    id: string,
    frames: readonly AnswerFrame[],
    analyzer: FrameAnalyzer,
    maxDistance: number,
  ): Promise<ChallengeAnswer> {
    const challenge = this.challenges.take(id);
    assertOpen(challenge, this.now());
    assertTimes(
      challenge,
      frames.map((f) => f.t),
    );
    const width = this.opts.parallel ?? 2;
    const observed: ObservedFrame[] = await mapLimited(frames, width, async (f) => ({
      t: f.t,
      faces: await analyzer.detect(f.image),
    }));
    const judged = judgeSequence(challenge, observed, this.thresholds);
    const verdict = (j: SequenceJudgement, passive: PassivePart, failure?: ChallengeFailure, message?: string) => ({
      passed: j.passed && !failure,
      asked: challenge.actions,
      seen: j.seen,
      ...(failure || j.failure ? { failure: failure ?? j.failure } : {}),
      message: message ?? j.message,
      frames: frames.length,
      faceFrames: j.faceFrames,
      passive,
    });
    if (!judged.passed) return { verdict: verdict(judged, { run: false, reason: 'the actions were not performed' }) };

    const facing = judged.facing.map((i) => frames[i].image);
    const embeddings = await mapLimited(facing, width, (img) => analyzer.embed(img));
    const [anchor] = embeddings;
    if (!anchor || embeddings.some((e) => !e || distance(anchor, e) > maxDistance))
      return {
        verdict: verdict(
          judged,
          { run: false, reason: 'the face changed' },
          'face-changed',
          'The face at the camera changed during the challenge.',
        ),
      };
    const passive = await this.passivePart(
      judged.facing.map((i) => ({ image: frames[i].image, face: observed[i].faces[0] })),
    );
    if (passive.run && !passive.live)
      return {
        verdict: verdict(judged, passive, 'passive-check', 'The camera image looked like a photo or a screen.'),
      };
    const token = this.tokens.issue({ challengeId: challenge.id, embedding: anchor }, this.now());
    return { verdict: verdict(judged, passive), token };
  }

  private async passivePart(frames: readonly { image: Buffer; face: ObservedFace }[]): Promise<PassivePart> {
    const p = this.opts.passive;
    if (!p) return { run: false, reason: 'no passive check is configured on this server' };
    const scores = await mapLimited(frames, this.opts.parallel ?? 2, (f) => p.score(f.image, f.face.box));
    if (scores.some((s) => !Number.isFinite(s)))
      throw new FaceError('INTERNAL', 'the passive liveness check returned a score that is not a number');
    const score = median(scores);
    return { run: true, live: score >= p.threshold, score, threshold: p.threshold, frames: scores.length };
  }

  /** Spends a token: what it was bound to, or LIVENESS_TOKEN_INVALID / _EXPIRED / _USED. */
  redeem(token: string): TokenBinding {
    return this.tokens.consume(token, this.now());
  }
}
