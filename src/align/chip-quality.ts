/**
 * The quality gate for input given as an already aligned chip (`aligned: true`), which skips the detector and so
 * its judgement that there is a face at all. A chip too small to hold a face, or blank (no contrast), is refused
 * with NO_FACE: embedded, it would enroll a "person" that flat images then match.
 */
import { FaceError } from '../errors.js';
import type { RgbImage } from '../image/types.js';

/** Smallest side of an aligned chip, pixels (the nets expect 112–160). */
export const MIN_CHIP_SIDE = 32;
/** Least standard deviation of luminance (0–255) of an aligned chip; a face has 30–70, flat grey 0. */
export const MIN_CHIP_CONTRAST = 8;

export function assertUsableChip(img: RgbImage): RgbImage {
  const { width, height, data } = img;
  if (Math.min(width, height) < MIN_CHIP_SIDE)
    throw new FaceError(
      'NO_FACE',
      `an aligned chip must be at least ${MIN_CHIP_SIDE}×${MIN_CHIP_SIDE} pixels, got ${width}×${height}`,
      { width, height, minSide: MIN_CHIP_SIDE },
    );
  let sum = 0;
  let sq = 0;
  const n = width * height;
  for (let i = 0; i < n; i++) {
    const y = 0.299 * data[3 * i] + 0.587 * data[3 * i + 1] + 0.114 * data[3 * i + 2];
    sum += y;
    sq += y * y;
  }
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sq / n - mean * mean));
  if (std < MIN_CHIP_CONTRAST)
    throw new FaceError(
      'NO_FACE',
      `the aligned chip is blank (luminance spread ${std.toFixed(1)} < ${MIN_CHIP_CONTRAST}): no face to embed`,
      { contrast: std, minContrast: MIN_CHIP_CONTRAST },
    );
  return img;
}
