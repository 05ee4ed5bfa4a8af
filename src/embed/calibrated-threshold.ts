/**
 * The default 1:1 decision threshold of `facenet compare`: L2 distance between L2-normalised embeddings of the
 * built-in 128-D net, the mean of the ten per-fold accuracy-maximising thresholds of LFW View 2
 * (`facenet eval lfw --data ../shared/datasets/lfw`, 2026-11-29: 98.95 % without flip, 99.28 % with flip).
 * Decisions that must hold a false-accept rate use the calibration tables in src/decide instead.
 */
export const LFW_THRESHOLD = {
  plain: 0.429,
  flip: 0.4191,
} as const;
