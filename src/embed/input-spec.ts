/**
 * How an embedding network wants its chips: size, channel order, normalisation, layout and tensor names. One
 * Embedder reads any network through this spec instead of a class per network.
 */
import { FaceError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import type { TensorData } from '../engine/engine.js';

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

/** Same-size chips → one input tensor of the spec. */
export function chipsToTensor(chips: readonly RgbImage[], spec: EmbedderInputSpec): TensorData {
  const { size } = spec;
  const plane = size * size;
  const data = new Float32Array(chips.length * 3 * plane);
  const order = spec.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const scale = 1 / spec.std;
  const nchw = spec.layout === 'nchw';
  chips.forEach((chip, n) => {
    if (chip.width !== size || chip.height !== size) throw new FaceError('INVALID_INPUT', `chip is ${chip.width}×${chip.height}, the network needs ${size}×${size}`);
    const src = chip.data;
    const base = n * 3 * plane;
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) {
        const v = (src[3 * i + order[c]] - spec.mean) * scale;
        data[nchw ? base + c * plane + i : base + 3 * i + c] = v;
      }
    }
  });
  return { data, dims: nchw ? [chips.length, 3, size, size] : [chips.length, size, size, 3] };
}
