/** Box geometry the tracker needs. */
import type { Box } from '../detect/types.js';

// overlap lives with the rest of the box maths; re-exported for the tracker's callers
export { iou } from '../detect/box.js';

/** Distance between the centres, in units of the larger box's longer side. */
export function centreDistance(a: Box, b: Box): number {
  const dx = a.x + a.width / 2 - (b.x + b.width / 2);
  const dy = a.y + a.height / 2 - (b.y + b.height / 2);
  return Math.hypot(dx, dy) / Math.max(1, a.width, a.height, b.width, b.height);
}

/** The box clipped to a width × height frame (undefined when nothing is left). */
export function clipBox(b: Box, width: number, height: number): Box | undefined {
  const x0 = Math.max(0, b.x);
  const y0 = Math.max(0, b.y);
  const x1 = Math.min(width, b.x + b.width);
  const y1 = Math.min(height, b.y + b.height);
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : undefined;
}
