export interface Point {
  readonly x: number;
  readonly y: number;
}

/** 68 points in the iBUG 300-W order, source-image pixels. */
export type Landmarks68 = readonly Point[];
