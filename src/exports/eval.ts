/**
 * `facenet-ts/eval`: measuring a pipeline — ROC and TAR at FAR, the calibration that turns a target FAR into a
 * threshold, LFW's threshold, clustering quality against true identities, and the liveness check's error rates
 * (ISO/IEC 30107-3: APCER, BPCER, ACER) with its shipped threshold.
 */
export {
  accuracyAt,
  bestThreshold,
  equalErrorRate,
  rocAuc,
  rocCurve,
  tarAtFar,
  type RocPoint,
  type ScoredPair,
} from '../eval/roc.js';
export {
  calibrate,
  openSetThreshold,
  perComparisonFar,
  tauForFar,
  type CalibrationTable,
  type ThresholdChoice,
} from '../decide/calibration.js';
export { LFW_THRESHOLD } from '../embed/calibrated-threshold.js';
export { bcubedScores, labelsFromGroups, pairwiseScores, type PrecisionRecall } from '../cluster/metrics.js';
export {
  attackScoresOf,
  liveScoresOf,
  padFigures,
  thresholdForApcer,
  thresholdForBpcer,
  type PadFigures,
  type RateAt,
  type ScoredPresentation,
} from '../liveness/evaluate.js';
export { LIVENESS_THRESHOLD } from '../pack/liveness.js';
