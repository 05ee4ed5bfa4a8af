/**
 * Is there a face on a chip given as already aligned (`aligned: true`)? Such input skips the detector, and so its
 * judgement that there is a face at all: a half-black, half-white square "chip" used to enroll a "person" that every
 * other two-tone square then matched. So a chip must show a face before it is embedded, by either of two tests:
 *
 * - dlib chips (packs with the 68-point net): the landmark net, run on the whole chip, puts the face's points where
 *   the chip's template puts them (an aligned face is exactly that). Non-faces give a far larger residual.
 * - any pack: the pack's own detector finds a face covering most of the chip, on the chip or on the chip centred on a
 *   grey canvas (tight chips are easier to find with some background), at a score per detector chosen below.
 *
 * `scripts/chip-check.ts` counts what is refused (docs/reliability.md, "Aligned chips must show a face"): no non-face
 * passes, no real chip is refused, for 12 non-faces (the two-tone, gradient and split squares, noise, a
 * checkerboard, rings, five animal photos), the 55 johns chips and 300 LFW faces aligned by each pack.
 */
import type { DetectorKind } from '../pack/types.js';
import type { Box } from '../detect/types.js';
import type { RgbImage } from '../image/types.js';
import type { Landmarks68, Point } from './types.js';

/**
 * Largest RMS distance between the landmarks found on a chip and its template points, as a fraction of the chip side.
 * Aligned LFW faces: median 0.025, worst of 150 0.075 (11 px of 150); non-faces 0.13 (noise) to 0.35.
 */
export const MAX_CHIP_LANDMARK_RESIDUAL = 0.1;

/**
 * Least detector score for a face on a chip. Highest score on a non-face (any box as wide as 40 % of the chip) →
 * lowest on a face chip: SCRFD 0.06 → 0.68, YuNet 0.11 → 0.87, the SSD 0.22 → 0.07 (which is why dlib chips try the
 * landmark test first; the SSD alone is a second chance for a face whose landmarks came out poorly).
 */
export const CHIP_MIN_SCORE: Record<DetectorKind, number> = { scrfd: 0.35, yunet: 0.5, ssd: 0.5 };

/** A detected face must be at least this wide, as a fraction of the chip (a chip is one face, filling most of it). */
export const CHIP_MIN_FACE_WIDTH = 0.4;

/** The margin of grey around the chip for the detector's second look, as a fraction of the chip's longer side. */
const PAD = 0.5;

/** RMS distance between `found` (68 points on the chip) and `template` (chip pixels), a fraction of the chip side. */
export function landmarkResidual(
  found: Landmarks68,
  template: { readonly indices: readonly number[]; readonly points: readonly Point[] },
  side: number,
): number {
  let sum = 0;
  for (const [k, i] of template.indices.entries()) {
    const p = found[i];
    const t = template.points[k];
    sum += (p.x - t.x) ** 2 + (p.y - t.y) ** 2;
  }
  return Math.sqrt(sum / template.indices.length) / side;
}

/** The chip centred on a mid-grey canvas, and where the chip sits on it. */
export function padChip(chip: RgbImage): { canvas: RgbImage; offset: number } {
  const offset = Math.round(Math.max(chip.width, chip.height) * PAD);
  const width = chip.width + 2 * offset;
  const height = chip.height + 2 * offset;
  const data = new Uint8Array(width * height * 3).fill(128);
  for (let y = 0; y < chip.height; y++)
    data.set(chip.data.subarray(3 * y * chip.width, 3 * (y + 1) * chip.width), 3 * ((y + offset) * width + offset));
  return { canvas: { width, height, data }, offset };
}

/** Whether a detected box is the chip's face: wide enough, its centre on the chip's middle half. */
export function isChipFace(box: Box, chip: { width: number; height: number }, offset = 0): boolean {
  const cx = box.x + box.width / 2 - offset;
  const cy = box.y + box.height / 2 - offset;
  return (
    box.width >= CHIP_MIN_FACE_WIDTH * chip.width &&
    Math.abs(cx - chip.width / 2) <= chip.width / 4 &&
    Math.abs(cy - chip.height / 2) <= chip.height / 4
  );
}
