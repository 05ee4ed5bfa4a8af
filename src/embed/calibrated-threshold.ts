/**
 * The default 1:1 decision threshold of `facenet compare`: L2 distance between L2-normalised embeddings of the
 * built-in 128-D net, the mean of the ten per-fold accuracy-maximising thresholds of LFW View 2
 * (`facenet eval lfw --data ../shared/datasets/lfw`, 2026-11-29), for the default pipeline (crop TTA 0.15/0.35:
 * 99.27 % without flip, 99.45 % with) and for a single chip (`--crops none`: 98.95 % / 99.28 %).
 * Decisions that must hold a false-accept rate use the calibration tables in src/decide instead.
 */
export const LFW_THRESHOLD = {
  plain: 0.4093,
  flip: 0.4012,
  singleCrop: { plain: 0.429, flip: 0.4191 },
} as const;
