/**
 * Decisions on distances: 1:1 verification and open-set 1:N identification, thresholds from a calibration table.
 * Pure functions: no images, no store. The Gallery feeds them distances.
 */
import {
  farAtDistance,
  openSetThreshold,
  tauForFar,
  type CalibrationTable,
  type OpenSetThreshold,
} from './calibration.js';

/** Default target FAR for 1:1 verification. */
export const DEFAULT_VERIFY_FAR = 1e-3;
/** Default open-set false-alarm rate for 1:N identification (probability that a stranger is matched to anyone). */
export const DEFAULT_IDENTIFY_FAR = 1e-2;

export interface VerifyDecision {
  readonly match: boolean;
  readonly distance: number;
  /** Accept when distance < threshold. */
  readonly threshold: number;
  /** Measured FAR at the threshold used (the operating point), ≤ the target when resolvable. */
  readonly far: number;
  readonly targetFar: number;
  /** Measured FAR had the threshold been set at this distance: how often a stranger looks this similar. */
  readonly farAtDistance: number;
  readonly resolvable: boolean;
}

export function verifyDecision(
  distance: number,
  table: CalibrationTable,
  targetFar = DEFAULT_VERIFY_FAR,
): VerifyDecision {
  const t = tauForFar(table, targetFar);
  return {
    match: distance < t.threshold,
    distance,
    threshold: t.threshold,
    far: t.far,
    targetFar,
    farAtDistance: farAtDistance(table, distance),
    resolvable: t.resolvable,
  };
}

export interface Candidate {
  readonly person: string;
  readonly distance: number;
}

export interface IdentifyDecision {
  /** The recognised person, or 'unknown' when nobody is closer than τ. */
  readonly person: string | 'unknown';
  /** Distance to the nearest candidate (Infinity for an empty gallery). */
  readonly distance: number;
  /** Nearest first. */
  readonly candidates: readonly Candidate[];
}

/** Decide one face given its nearest candidates (nearest first) and the open-set threshold. */
export function identifyDecision(candidates: readonly Candidate[], threshold: number): IdentifyDecision {
  const best = candidates[0];
  if (!best) return { person: 'unknown', distance: Number.POSITIVE_INFINITY, candidates: [] };
  return { person: best.distance < threshold ? best.person : 'unknown', distance: best.distance, candidates };
}

export { openSetThreshold, type OpenSetThreshold };
