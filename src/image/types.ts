/** 8-bit sRGB, interleaved RGB, row-major. The one pixel format every stage below image/ sees. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A position in image pixels (x to the right, y down). */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Anything a user may hand to the pipeline. */
export type ImageInput = string | Buffer | Uint8Array | RgbImage;

export function isRgbImage(x: unknown): x is RgbImage {
  return (
    typeof x === 'object' &&
    x !== null &&
    !Buffer.isBuffer(x) &&
    !(x instanceof Uint8Array) &&
    'width' in x &&
    'height' in x &&
    'data' in x
  );
}
