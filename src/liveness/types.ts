/** What the passive liveness (presentation-attack) check takes and answers. */

/**
 * What a surface does with the check: 'off' runs nothing; 'warn' runs it and flags a face judged not live
 * (`liveness.live === false` on the result); 'require' refuses such a face with FaceError SPOOF_SUSPECTED.
 */
export type LivenessPolicy = 'off' | 'warn' | 'require';

export const LIVENESS_POLICIES: readonly LivenessPolicy[] = ['off', 'warn', 'require'];

/** The check's verdict on one face: `live` iff `score` ≥ `threshold`. */
export interface Liveness {
  readonly live: boolean;
  /** Live score in [0, 1]: the live-class probability averaged over the two models. */
  readonly score: number;
  readonly threshold: number;
}

/**
 * How a detector's face box becomes the box the anti-spoofing models were trained around (the reference
 * repository's RetinaFace boxes, about square): a square of side `side`·w centred `dx`·w right of and `dy`·h below
 * the detector box's centre (w, h: the detector box's width and height).
 */
export interface LivenessBoxMap {
  readonly side: number;
  readonly dx: number;
  readonly dy: number;
}
