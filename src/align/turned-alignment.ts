/**
 * Which points a face turned away from the camera is aligned with (src/align/turned.ts says what "turned" is): the
 * pack's own way for faces that are not turned, the eye-to-mouth axis or another variant for turned ones, and with
 * 'guard' only when the pack's own chip would collapse (a dlib chip from 68 points gone wrong on a profile).
 */
import { chipTransform, type ChipOptions } from './chip.js';
import { fivePointTransform } from './five-point.js';
import { COLLAPSED_CHIP, isTurned, turnedPoints, type PosedFace, type TurnedFaceOptions } from './turned.js';
import type { Point } from './types.js';
import type { PackAlign } from '../pack/types.js';
import type { Box } from '../detect/types.js';

/** Whether the pack's own chip of this face would be smaller than `collapsedBelow` of its box's height. */
function collapsed(face: PosedFace & { box: Box }, align: PackAlign, chip: ChipOptions, below: number): boolean {
  const t =
    align.kind === 'dlib68'
      ? face.landmarks && chipTransform(face.landmarks, chip)
      : face.points && fivePointTransform(face.points, align);
  return !!t && t.scale * t.size < below * face.box.height;
}

/** The five points a turned face is aligned with instead of the pack's way; undefined for other faces. */
export function turnedAlignment(
  face: PosedFace & { box: Box },
  t: TurnedFaceOptions | undefined,
  align: PackAlign,
  chip: ChipOptions,
): readonly Point[] | undefined {
  if (!t?.align || t.align === 'points' || !isTurned(face, t)) return undefined;
  if (t.align === 'guard')
    return collapsed(face, align, chip, t.collapsedBelow ?? COLLAPSED_CHIP) ? turnedPoints(face, 'axis') : undefined;
  return turnedPoints(face, t.align);
}
