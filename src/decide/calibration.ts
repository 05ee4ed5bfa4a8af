/**
 * Calibration: labelled pairs → ROC → a table FAR → τ (accept when distance < τ).
 *
 * The table is what every decision reads its threshold from. It records how many impostor pairs it was measured
 * on, because a FAR below 1 / impostorPairs cannot be measured: asking for one is answered with the most
 * conservative measured threshold and flagged (`resolvable: false`), never silently extrapolated.
 */
import { FaceError } from '../errors.js';
import { rocAuc, rocCurve, thresholdAtFar, type RocPoint, type ScoredPair } from '../eval/roc.js';

/** Format of a table measured on pairs of one TTA variant (the only format before cross-variant tables). */
export const CALIBRATION_FORMAT = 1;
/**
 * Format of a cross-variant table: gallery side (templates) of `modelId`, probe side (queries) of `probeModelId`.
 * A new number, so that a reader that knows only format 1 rejects it instead of taking it for `modelId`'s own table.
 */
export const CROSS_CALIBRATION_FORMAT = 2;

export interface CalibrationPoint {
  /** False-accept rate measured on the impostor pairs when accepting distance < threshold. */
  readonly far: number;
  /** True-accept rate measured on the genuine pairs at the same threshold. */
  readonly tar: number;
  readonly threshold: number;
}

export interface CalibrationTable {
  readonly format: typeof CALIBRATION_FORMAT | typeof CROSS_CALIBRATION_FORMAT;
  /** The recognition model (with its TTA variant) the distances came from: of the gallery side in a cross table. */
  readonly modelId: string;
  /** Cross tables only (format 2): the model id of the probe side (the query's TTA variant), never equal to modelId. */
  readonly probeModelId?: string;
  /** Human description of the pairs, e.g. "LFW View 1 pairsDevTrain.txt". */
  readonly source: string;
  /** ISO date. */
  readonly created: string;
  readonly genuinePairs: number;
  readonly impostorPairs: number;
  /** The smallest non-zero FAR the table can resolve: 1 / impostorPairs. */
  readonly minResolvableFar: number;
  readonly auc: number;
  /** Operating points, FAR ascending, thresholds non-decreasing; the first has FAR 0. */
  readonly points: readonly CalibrationPoint[];
}

export interface ThresholdChoice {
  /** Accept when distance < threshold. */
  readonly threshold: number;
  /** The FAR asked for. */
  readonly targetFar: number;
  /** The FAR measured at `threshold` on the calibration pairs (≤ targetFar whenever resolvable). */
  readonly far: number;
  /** TAR measured at `threshold` on the calibration pairs. */
  readonly tar: number;
  /**
   * False when targetFar < minResolvableFar: the threshold is the most conservative measured one, and its true FAR is
   * unknown.
   */
  readonly resolvable: boolean;
}

/** Log-spaced FAR grid, `perDecade` values per decade from `lowest` up to 1. */
function farGrid(lowest: number, perDecade: number): number[] {
  const out: number[] = [];
  const lo = Math.log10(lowest);
  const steps = Math.ceil(-lo * perDecade);
  for (let i = 0; i <= steps; i++) out.push(10 ** (lo + (i * -lo) / steps));
  return out;
}

/**
 * Build a calibration table from labelled distances. The full ROC is thinned to a log grid of FAR targets
 * (`perDecade` per decade, default 50: consecutive points differ by < 5 % in FAR), every point an exact ROC point.
 */
export function calibrate(
  pairs: readonly ScoredPair[],
  meta: { modelId: string; probeModelId?: string; source: string; created?: Date },
  opts: { perDecade?: number } = {},
): CalibrationTable {
  let genuine = 0;
  for (const p of pairs) {
    if (!Number.isFinite(p.distance))
      throw new FaceError('CALIBRATION_ERROR', `calibration pair with a non-finite distance (${p.distance})`);
    if (p.same) genuine++;
  }
  const impostor = pairs.length - genuine;
  if (genuine === 0 || impostor === 0)
    throw new FaceError(
      'CALIBRATION_ERROR',
      `calibration needs both genuine and impostor pairs (got ${genuine} genuine, ${impostor} impostor)`,
      {
        genuinePairs: genuine,
        impostorPairs: impostor,
      },
    );
  const roc = rocCurve(pairs);
  const minResolvableFar = 1 / impostor;
  // For each grid FAR g: the last ROC point with far ≤ g (what thresholdAtFar returns), in one pass (FAR ascends).
  const chosen: RocPoint[] = [thresholdAtFar(roc, 0)];
  let i = 0;
  for (const g of farGrid(minResolvableFar, opts.perDecade ?? 50)) {
    const limit = g * (1 + 1e-12);
    while (i + 1 < roc.length && roc[i + 1].far <= limit) i++;
    const p = roc[i];
    if (p.far <= limit && p.threshold > chosen[chosen.length - 1].threshold) chosen.push(p);
  }
  const cross = meta.probeModelId !== undefined && meta.probeModelId !== meta.modelId;
  return {
    ...(cross
      ? { format: CROSS_CALIBRATION_FORMAT, modelId: meta.modelId, probeModelId: meta.probeModelId }
      : { format: CALIBRATION_FORMAT, modelId: meta.modelId }),
    source: meta.source,
    created: (meta.created ?? new Date()).toISOString(),
    genuinePairs: genuine,
    impostorPairs: impostor,
    minResolvableFar,
    auc: rocAuc(roc),
    points: chosen.map((p) => ({ far: p.far, tar: p.tar, threshold: p.threshold })),
  };
}

/**
 * The threshold for a target FAR: the largest calibrated threshold whose measured FAR does not exceed it.
 * Below the table's resolution the FAR-0 threshold is returned with `resolvable: false`.
 */
export function tauForFar(table: CalibrationTable, targetFar: number): ThresholdChoice {
  if (!(targetFar >= 0 && targetFar <= 1))
    throw new FaceError('INVALID_INPUT', `target FAR must be in [0, 1], got ${targetFar}`);
  const pts = table.points;
  // binary search: last point with far <= targetFar (points are FAR-ascending)
  let lo = 0;
  let hi = pts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (pts[mid].far <= targetFar) lo = mid;
    else hi = mid - 1;
  }
  const p = pts[lo];
  // tolerance: the grid stores FARs as k / impostorPairs, so compare with a relative epsilon
  const resolvable = targetFar >= table.minResolvableFar * (1 - 1e-9);
  return { threshold: p.threshold, targetFar, far: p.far, tar: p.tar, resolvable };
}

/**
 * The FAR the calibration measured for accepting at `distance` (the fraction of impostor pairs closer than it):
 * how often a stranger would look at least this similar. Step interpolation, rounded up to the next table point.
 */
export function farAtDistance(table: CalibrationTable, distance: number): number {
  const pts = table.points;
  for (const p of pts) if (p.threshold >= distance) return p.far;
  return 1;
}

/**
 * Open-set identification against K independent comparisons: the per-comparison FAR f that keeps the probability
 * of any false alarm at F, f = 1 - (1 - F)^(1/K). Computed as -expm1(log1p(-F) / K) to stay exact for tiny f.
 */
export function perComparisonFar(openSetFar: number, comparisons: number): number {
  if (!(openSetFar >= 0 && openSetFar < 1))
    throw new FaceError('INVALID_INPUT', `open-set false-alarm rate must be in [0, 1), got ${openSetFar}`);
  if (!(Number.isInteger(comparisons) && comparisons >= 1))
    throw new FaceError('INVALID_INPUT', `comparisons must be a positive integer, got ${comparisons}`);
  return -Math.expm1(Math.log1p(-openSetFar) / comparisons);
}

export interface OpenSetThreshold extends ThresholdChoice {
  /** The open-set false-alarm rate asked for (probability that a stranger is matched to anyone). */
  readonly openSetFar: number;
  /** Comparisons a probe makes (gallery entries searched). */
  readonly comparisons: number;
  /** Present, and loud, when the calibration cannot resolve the per-comparison FAR the gallery size demands. */
  readonly warning?: string;
}

/** τ for open-set identification: per-comparison FAR from F and K, then τ from the table. */
export function openSetThreshold(table: CalibrationTable, openSetFar: number, comparisons: number): OpenSetThreshold {
  const f = perComparisonFar(openSetFar, comparisons);
  const choice = tauForFar(table, f);
  const warning = choice.resolvable
    ? undefined
    : `WARNING: a gallery of ${comparisons} entries at open-set false-alarm rate ${openSetFar} ` +
      `needs a per-comparison FAR of ` +
      `${f.toExponential(2)}, below the ${table.minResolvableFar.toExponential(2)} this calibration can resolve ` +
      `(${table.impostorPairs} impostor pairs, ${table.source}). ` +
      `Using τ = ${choice.threshold.toFixed(4)}, the strictest measured threshold; ` +
      `the real false-alarm rate is unknown and may exceed ${openSetFar}. Calibrate on more impostor pairs ` +
      `(facenet calibrate --lfw DIR --exhaustive) or accept a higher false-alarm rate.`;
  return { ...choice, openSetFar, comparisons, ...(warning ? { warning } : {}) };
}

/** The model id of a table's probe side: its own model id unless it is a cross table. */
export function probeModelOf(table: CalibrationTable): string {
  return table.probeModelId ?? table.modelId;
}

/**
 * The key a table is stored and looked up under: the model id for templates and queries of one variant (as every
 * table before format 2), `GALLERY|probe=PROBE` for a cross table.
 */
export function calibrationKey(galleryModelId: string, probeModelId = galleryModelId): string {
  return probeModelId === galleryModelId ? galleryModelId : `${galleryModelId}|probe=${probeModelId}`;
}

/** Whether `table` was measured with gallery side `galleryModelId` and probe side `probeModelId`. */
export function tableFits(table: CalibrationTable, galleryModelId: string, probeModelId = galleryModelId): boolean {
  return table.modelId === galleryModelId && probeModelOf(table) === probeModelId;
}

/** Shape check for tables read from disk or from the gallery (format 1, or format 2 with its probe model). */
export function parseCalibrationTable(json: unknown, where: string): CalibrationTable {
  const t = json as Partial<CalibrationTable> | null;
  const formatOk =
    !!t &&
    ((t.format === CALIBRATION_FORMAT && t.probeModelId === undefined) ||
      (t.format === CROSS_CALIBRATION_FORMAT && typeof t.probeModelId === 'string' && t.probeModelId !== t.modelId));
  const ok =
    !!t &&
    formatOk &&
    typeof t.modelId === 'string' &&
    typeof t.impostorPairs === 'number' &&
    typeof t.minResolvableFar === 'number' &&
    Array.isArray(t.points) &&
    t.points.length > 0 &&
    t.points.every(
      (p, i, a) =>
        typeof p?.far === 'number' &&
        typeof p.threshold === 'number' &&
        (i === 0 || (p.far >= a[i - 1].far && p.threshold >= a[i - 1].threshold)),
    );
  if (!ok)
    throw new FaceError(
      'CALIBRATION_ERROR',
      `${where} is not a valid calibration table (format ${CALIBRATION_FORMAT}, ` +
        `or ${CROSS_CALIBRATION_FORMAT} with a probeModelId)`,
    );
  return t as CalibrationTable;
}
