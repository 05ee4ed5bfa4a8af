/**
 * 68-point face landmarks with face-api's FaceLandmark68Net on the inference engine (onnxruntime by default).
 *
 * Crop as face-api's DetectFaceLandmarksTasks does on a tensor input: clip the box to the image and floor it
 * (Box.clipAtImageBorders), cut it out, zero-pad the shorter side to a square (centred: padToSquare(…, true)),
 * resize to 112×112 with tf.image.resizeBilinear (alignCorners = false, halfPixelCenters = false), run the net.
 * The raw outputs are fractions of the padded square; they are mapped back to source-image pixels.
 */
import { FaceError } from '../errors.js';
import type { InferenceEngine, InferenceSession } from '../engine/engine.js';
import { buildModel } from '../engine/model-store.js';
import { ortEngine } from '../engine/ort.js';
import type { RgbImage } from '../image/types.js';
import { fillPaddedSquareTfjs, type PaddedSquare } from '../image/transform.js';
import type { Box } from '../detect/types.js';
import type { Landmarks68, Point } from './types.js';
import { LANDMARK_INPUT_SIZE, landmarkRecipe } from './landmark-graph.js';

export interface LandmarkerLoadOptions {
  cacheDir?: string;
  /** Intra-op threads for the engine; 0 or undefined lets it choose. */
  threads?: number;
  engine?: InferenceEngine;
  /** Faces per engine call (default 16). */
  batchSize?: number;
}

export interface LandmarkOptions {
  /**
   * Grow (> 1) or shrink the box about its centre before cropping (default 1: the box as given, as face-api).
   */
  boxScale?: number;
  /**
   * Added to every output coordinate (default 0: face-api's mapping, raw·side − pad + box origin). Use −0.5 to
   * read the net's outputs as pixel-edge coordinates rather than pixel centres.
   */
  pointOffset?: number;
}

/** Where one face crop sits in the source image: clipped, floored, centred in its zero-padded square. */
export type LandmarkCrop = PaddedSquare;

const S = LANDMARK_INPUT_SIZE;
const PLANE = S * S;

/** face-api's Box.clipAtImageBorders (then floor), after optional scaling about the centre. */
export function landmarkCrop(img: { width: number; height: number }, box: Box, boxScale = 1): LandmarkCrop {
  if (![box?.x, box?.y, box?.width, box?.height].every(Number.isFinite) || box.width <= 0 || box.height <= 0)
    throw new FaceError(
      'INVALID_INPUT',
      `face box must have finite coordinates and positive size, got ${JSON.stringify(box)}`,
    );
  if (!(boxScale > 0) || !Number.isFinite(boxScale))
    throw new FaceError('INVALID_INPUT', `boxScale must be > 0, got ${boxScale}`);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const bw = box.width * boxScale;
  const bh = box.height * boxScale;
  const bx = cx - bw / 2;
  const by = cy - bh / 2;
  const clippedX = Math.max(bx, 0);
  const clippedY = Math.max(by, 0);
  const w = Math.min(bx + bw - clippedX, img.width - clippedX);
  const h = Math.min(by + bh - clippedY, img.height - clippedY);
  const x = Math.floor(clippedX);
  const y = Math.floor(clippedY);
  const width = Math.floor(w);
  const height = Math.floor(h);
  if (!(width > 0 && height > 0))
    throw new FaceError(
      'INVALID_INPUT',
      `face box ${JSON.stringify(box)} does not overlap the ${img.width}×${img.height} image by a whole pixel`,
    );
  // padToSquare(isCenterImage = true): `round(diff / 2)` zeros after, the rest before
  const side = Math.max(width, height);
  const diff = side - Math.min(width, height);
  const before = diff - Math.round(diff * 0.5);
  return { x, y, width, height, side, padX: width < height ? before : 0, padY: height < width ? before : 0 };
}

/**
 * Writes the 3×112×112 (NCHW, 0..255 floats) net input for one crop into `out` at `offset`:
 * the padded square resized like tf.image.resizeBilinear(alignCorners = false, halfPixelCenters = false).
 */
export function fillLandmarkInput(img: RgbImage, crop: LandmarkCrop, out: Float32Array, offset = 0): void {
  fillPaddedSquareTfjs(img, crop, S, out, offset);
}

/** Raw net output (136 values, fractions of the padded square) → 68 points in source pixels. */
export function mapLandmarks(raw: ArrayLike<number>, crop: LandmarkCrop, pointOffset = 0, rawOffset = 0): Point[] {
  const pts: Point[] = new Array(68);
  for (let i = 0; i < 68; i++) {
    pts[i] = {
      x: raw[rawOffset + 2 * i] * crop.side - crop.padX + crop.x + pointOffset,
      y: raw[rawOffset + 2 * i + 1] * crop.side - crop.padY + crop.y + pointOffset,
    };
  }
  return pts;
}

export class Landmarker {
  private constructor(
    private readonly session: InferenceSession,
    readonly modelId: string,
    private readonly batchSize: number,
  ) {}

  static async load(opts: LandmarkerLoadOptions = {}): Promise<Landmarker> {
    const model = await buildModel(landmarkRecipe, { cacheDir: opts.cacheDir });
    const engine = opts.engine ?? ortEngine;
    const session = await engine.load(model.bytes, { threads: opts.threads });
    const batch = opts.batchSize ?? 16;
    if (!Number.isInteger(batch) || batch < 1)
      throw new FaceError('INVALID_INPUT', `batchSize must be a positive integer, got ${batch}`);
    return new Landmarker(session, model.id, batch);
  }

  /** Runs the net on prepared inputs ([n, 3, 112, 112], 0..255) and returns the raw [n, 136] outputs. */
  async runRaw(input: Float32Array, n: number): Promise<Float32Array> {
    if (input.length !== n * 3 * PLANE)
      throw new FaceError('INVALID_INPUT', `landmark input must hold ${n}×3×${S}×${S} floats, got ${input.length}`);
    const res = await this.session.run({ faces: { data: input, dims: [n, 3, S, S] } });
    const out = res.landmarks;
    if (!out || out.data.length !== n * 136)
      throw new FaceError('MODEL_MISMATCH', `landmark net returned ${out?.data.length} values for ${n} faces`);
    return out.data;
  }

  /** 68 landmarks (iBUG order, source-image pixels) for each box, in the order given. */
  async landmarks(img: RgbImage, boxes: readonly Box[], opts: LandmarkOptions = {}): Promise<Landmarks68[]> {
    if (!img || !(img.data instanceof Uint8Array) || img.data.length !== img.width * img.height * 3)
      throw new FaceError('INVALID_INPUT', 'landmarks: expected an RgbImage with width*height*3 bytes');
    const crops = boxes.map((b) => landmarkCrop(img, b, opts.boxScale ?? 1));
    const result: Landmarks68[] = [];
    for (let start = 0; start < crops.length; start += this.batchSize) {
      const chunk = crops.slice(start, start + this.batchSize);
      const input = new Float32Array(chunk.length * 3 * PLANE);
      chunk.forEach((crop, i) => fillLandmarkInput(img, crop, input, i * 3 * PLANE));
      const raw = await this.runRaw(input, chunk.length);
      chunk.forEach((crop, i) => result.push(mapLandmarks(raw, crop, opts.pointOffset ?? 0, i * 136)));
    }
    return result;
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}
