/**
 * The default 1:1 decision threshold on L2 distance between L2-normalised embeddings of the built-in 128-D net:
 * the mean of the ten per-fold accuracy-maximising thresholds of `facenet eval lfw` (View 2).
 * Regenerate with: npm run facenet -- eval lfw --data ../shared/datasets/lfw --json
 */
export const LFW_THRESHOLD = {
  plain: 0.0,
  flip: 0.0,
} as const;
