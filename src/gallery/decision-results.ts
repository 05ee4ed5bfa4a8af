/** What the gallery's decisions take and answer: 1:1 verification and open-set 1:N identification of a photo. */
import type { Candidate, VerifyDecision } from '../decide/decisions.js';
import type { Box } from '../detect/types.js';
import type { FaceFindOptions } from './face-source.js';

export interface VerifyOptions extends FaceFindOptions {
  /** Target FAR (default 1e-3). */
  far?: number;
  /** Verify the detected face that overlaps this box best (IoU ≥ 0.3) instead of the largest one. */
  face?: Box;
}

export interface VerifyResult extends VerifyDecision {
  readonly person: string;
  readonly source: string;
  readonly box: Box;
  readonly score: number;
  readonly facesInImage: number;
  /** Comparisons made (the person's index entries); the per-comparison FAR is adjusted for them. */
  readonly comparisons: number;
  readonly calibration: string;
}

export interface IdentifyOptions extends FaceFindOptions {
  /** Open-set false-alarm rate F: probability that a stranger is matched to anyone (default 1e-2). */
  far?: number;
  /** Candidates per face (default 5). */
  topK?: number;
  /** Identify only the detected face that overlaps this box best (IoU ≥ 0.3) instead of every face. */
  face?: Box;
}

export interface IdentifiedFace {
  readonly box: Box;
  readonly score: number;
  readonly person: string | 'unknown';
  readonly distance: number;
  readonly candidates: readonly Candidate[];
}

export interface OpenSetInfo {
  /** Accept the nearest person when distance < threshold. */
  readonly threshold: number;
  readonly openSetFar: number;
  readonly perComparisonFar: number;
  /** Measured FAR of the threshold on the calibration pairs. */
  readonly far: number;
  readonly people: number;
  readonly comparisons: number;
  readonly resolvable: boolean;
  readonly warning?: string;
  readonly calibration: string;
}

export interface IdentifyResult extends OpenSetInfo {
  readonly source: string;
  readonly faces: readonly IdentifiedFace[];
}
