/**
 * `facenet-ts/eval`: measuring a pipeline — ROC and TAR at FAR, the calibration that turns a target FAR into a
 * threshold, LFW's threshold, and clustering quality against true identities.
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
