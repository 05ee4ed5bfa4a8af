/** DetectOptions shared by every detector: defaults filled in per detector, values checked once. */
import { FaceError } from '../errors.js';
import type { DetectOptions } from './types.js';

export interface CommonDetectOptions {
  minScore: number;
  minFaceSize: number;
  iouThreshold: number;
  maxFaces: number;
}

/** `opts` over `defaults` (undefined values do not override), each common option checked: FaceError INVALID_INPUT. */
export function resolveDetectOptions<D extends CommonDetectOptions>(
  opts: DetectOptions,
  defaults: D,
): D & Required<Pick<DetectOptions, keyof CommonDetectOptions>> {
  const o = { ...defaults, ...Object.fromEntries(Object.entries(opts ?? {}).filter(([, v]) => v !== undefined)) } as D;
  if (!(o.minScore > 0 && o.minScore < 1))
    throw new FaceError('INVALID_INPUT', `minScore must be in (0, 1), got ${o.minScore}`);
  if (!(o.iouThreshold > 0 && o.iouThreshold <= 1))
    throw new FaceError('INVALID_INPUT', `iouThreshold must be in (0, 1], got ${o.iouThreshold}`);
  if (!(o.minFaceSize >= 0)) throw new FaceError('INVALID_INPUT', `minFaceSize must be ≥ 0, got ${o.minFaceSize}`);
  if (!(Number.isInteger(o.maxFaces) && o.maxFaces >= 0))
    throw new FaceError('INVALID_INPUT', `maxFaces must be a non-negative integer, got ${o.maxFaces}`);
  return o;
}
