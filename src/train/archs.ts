/** Model architectures `facenet train` offers (kept free of tfjs so the CLI starts fast). */
export const ARCHS = ['small', 'head'] as const;
export type Arch = (typeof ARCHS)[number];
