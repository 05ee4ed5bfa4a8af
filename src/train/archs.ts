/** Model architectures and losses `facenet train` offers (kept free of tfjs so the CLI starts fast). */
export const ARCHS = ['small', 'head'] as const;
export type Arch = (typeof ARCHS)[number];

/** What a step minimises: mined triplets over P×K batches, or a pack's own similarities (pack heads only). */
export const LOSSES = ['triplet', 'distil'] as const;
export type Loss = (typeof LOSSES)[number];

/** Distillation batch: 256 images and their mirror images, a 512 × 512 similarity matrix per step. */
export const DEFAULT_DISTIL_BATCH = 256;
