import type { Point } from '../image/types.js';

// Point lives with the image types (the detector's five points use it too); re-exported for the align stage.
export type { Point };

/** 68 points in the iBUG 300-W order, source-image pixels. */
export type Landmarks68 = readonly Point[];
