/**
 * Presentation-attack detection figures in ISO/IEC 30107-3 terms, from live scores of labelled presentations:
 * - APCER (per attack type, "PAI species"): the share of attack presentations accepted as live;
 * - BPCER: the share of bona fide (live) presentations refused;
 * - ACER: (the worst attack type's APCER + BPCER) / 2.
 * A presentation in which no face was found is neither accepted nor refused: it is counted apart (`noFace`), as the
 * standard's failure to acquire, and left out of the rates.
 */
import { FaceError } from '../errors.js';

/** One presentation's live score; undefined when no face was found. */
export interface ScoredPresentation {
  readonly file: string;
  /** 'live' for bona fide presentations, else the attack type (e.g. print, replay). */
  readonly label: string;
  readonly score?: number;
}

export const LIVE_LABEL = 'live';

export interface RateAt {
  /** Presentations with a face. */
  readonly count: number;
  readonly noFace: number;
  /** Live: refused (score < threshold); attack: accepted (score ≥ threshold). */
  readonly errors: number;
  readonly rate: number;
}

export interface PadFigures {
  readonly threshold: number;
  readonly bpcer: RateAt;
  /** Per attack type. */
  readonly apcer: Readonly<Record<string, RateAt>>;
  /** The worst attack type's APCER (ISO/IEC 30107-3's APCER over species). */
  readonly apcerMax: number;
  readonly acer: number;
}

function scored(samples: readonly ScoredPresentation[], label: string): number[] {
  return samples.flatMap((s) => (s.label === label && s.score !== undefined ? [s.score] : []));
}

function rate(samples: readonly ScoredPresentation[], label: string, err: (score: number) => boolean): RateAt {
  const mine = samples.filter((s) => s.label === label);
  const scores = scored(samples, label);
  const errors = scores.filter(err).length;
  return {
    count: scores.length,
    noFace: mine.length - scores.length,
    errors,
    rate: scores.length ? errors / scores.length : NaN,
  };
}

/** The attack types present, sorted. */
export function attackTypes(samples: readonly ScoredPresentation[]): string[] {
  return [...new Set(samples.map((s) => s.label).filter((l) => l !== LIVE_LABEL))].sort();
}

/** The figures at one threshold (live iff score ≥ threshold). */
export function padFigures(samples: readonly ScoredPresentation[], threshold: number): PadFigures {
  const bpcer = rate(samples, LIVE_LABEL, (s) => s < threshold);
  const apcer = Object.fromEntries(attackTypes(samples).map((t) => [t, rate(samples, t, (s) => s >= threshold)]));
  const rates = Object.values(apcer)
    .map((r) => r.rate)
    .filter((r) => !Number.isNaN(r));
  const apcerMax = rates.length ? Math.max(...rates) : NaN;
  return { threshold, bpcer, apcer, apcerMax, acer: (apcerMax + bpcer.rate) / 2 };
}

/**
 * The highest threshold whose BPCER on these live scores is at most `target`: with n live scores sorted ascending,
 * the ⌊target·n⌋-th (0-based), so at most that many lie below it.
 */
export function thresholdForBpcer(liveScores: readonly number[], target: number): number {
  if (!liveScores.length)
    throw new FaceError('INVALID_INPUT', 'calibrating on BPCER needs live presentations with a face');
  if (!(target >= 0 && target < 1))
    throw new FaceError('INVALID_INPUT', `the target BPCER must be in [0, 1), got ${target}`);
  const sorted = [...liveScores].sort((a, b) => a - b);
  return sorted[Math.floor(target * sorted.length)];
}

/**
 * The lowest threshold whose APCER on these attack scores is at most `target`: just above the ⌊target·m⌋-th highest
 * attack score (0-based), so at most that many reach it.
 */
export function thresholdForApcer(attackScores: readonly number[], target: number): number {
  if (!attackScores.length)
    throw new FaceError('INVALID_INPUT', 'calibrating on APCER needs attack presentations with a face');
  if (!(target >= 0 && target < 1))
    throw new FaceError('INVALID_INPUT', `the target APCER must be in [0, 1), got ${target}`);
  const sorted = [...attackScores].sort((a, b) => b - a);
  const k = Math.floor(target * sorted.length);
  return Math.min(1, sorted[k] + 1e-6);
}

/** Live scores and attack scores of a sample set, for calibration. */
export function liveScoresOf(samples: readonly ScoredPresentation[]): number[] {
  return scored(samples, LIVE_LABEL);
}

export function attackScoresOf(samples: readonly ScoredPresentation[]): number[] {
  return samples.flatMap((s) => (s.label !== LIVE_LABEL && s.score !== undefined ? [s.score] : []));
}
