/**
 * How an embedding network wants its chips: size, channel order, normalisation, layout and tensor names. One
 * Embedder reads any network through this spec instead of a class per network.
 */
import { FaceError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import type { TensorData } from '../engine/engine.js';
import { normalisedBytes } from '../image/normalise.js';

export interface EmbedderInputSpec {
  /** Side of the square input; chips of another size are resized to it. */
  readonly size: number;
  readonly channels: 'rgb' | 'bgr';
  /** Network input = (pixel − mean) / std, pixels 0..255. */
  readonly mean: number;
  readonly std: number;
  readonly layout: 'nchw' | 'nhwc';
  readonly inputName: string;
  readonly outputName: string;
  /** Length of the embedding. */
  readonly dim: number;
}

/** The built-in 128-D net (and `facenet train` exports): raw 0..255 RGB (scaling folded into the graph). */
export const FACE_API_128_INPUT: EmbedderInputSpec = {
  size: 150,
  channels: 'rgb',
  mean: 0,
  std: 1,
  layout: 'nchw',
  inputName: 'chips',
  outputName: 'embedding',
  dim: 128,
};

/** Tensor names of a projection head exported by `facenet train --arch head --pack` (a pack's projection stage). */
export const PROJECTION_INPUT = 'features';
export const PROJECTION_OUTPUT = 'embedding';

/**
 * Same-size chips → one input tensor of the spec. `scratch`, when large enough, holds the tensor (its start is
 * overwritten; every value is written): a fresh array of a few MB costs several times the packing itself in page
 * faults and garbage collection (6 EdgeFace chips: 2.8–4.5 ms CPU fresh, 0.3–0.5 ms reused).
 */
export function chipsToTensor(chips: readonly RgbImage[], spec: EmbedderInputSpec, scratch?: Float32Array): TensorData {
  const { size } = spec;
  const plane = size * size;
  const length = chips.length * 3 * plane;
  const data = scratch && scratch.length >= length ? scratch.subarray(0, length) : new Float32Array(length);
  const [k0, k1, k2] = spec.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const value = normalisedBytes(spec.mean, spec.std);
  // NCHW: channel planes `plane` apart, pixels 1 apart; NHWC: channels 1 apart, pixels 3 apart
  const nchw = spec.layout === 'nchw';
  const [channelStep, pixelStep] = nchw ? [plane, 1] : [1, 3];
  chips.forEach((chip, n) => {
    if (chip.width !== size || chip.height !== size)
      throw new FaceError('INVALID_INPUT', `chip is ${chip.width}×${chip.height}, the network needs ${size}×${size}`);
    const src = chip.data;
    for (let i = 0, p = 0, o = n * 3 * plane; i < plane; i++, p += 3, o += pixelStep) {
      data[o] = value[src[p + k0]];
      data[o + channelStep] = value[src[p + k1]];
      data[o + 2 * channelStep] = value[src[p + k2]];
    }
  });
  return { data, dims: nchw ? [chips.length, 3, size, size] : [chips.length, size, size, 3] };
}
