/**
 * Face detection: face-api's SSD-MobileNet v1 as an ONNX graph on the inference engine, with the input
 * preparation, anchor decoding and NMS in TypeScript (ssd-decode.ts).
 *
 * The SSD scores faces that fill much of the frame poorly (tight crops: a 150×150 chip, a cropped ID photo,
 * many LFW photos), so when a first pass finds no face the image is placed on a larger padded canvas and
 * the detector runs again; boxes are mapped back and clipped to the original image.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { buildModel, faceApiModelDir } from '../engine/model-store.js';
import { ortEngine } from '../engine/ort.js';
import type { InferenceEngine, InferenceSession } from '../engine/engine.js';
import { FaceError, ModelError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { validateRgbImage } from '../image/decode.js';
import type { Detection, DetectOptions, FaceDetector } from './types.js';
import { resolveDetectOptions } from './options.js';
import {
  ssdNumAnchors,
  ssdRecipe,
  ssdRecipeFor,
  SSD_INPUT_SIZE,
  SSD_INPUT_SIZES,
  SSD_NUM_ANCHORS,
} from './ssd-graph.js';
import { anchorsForSize, postprocess, shrinkArea, toSsdInput, type SsdInput } from './ssd-decode.js';
import { cropRgb, FALLBACK_PAD, fromTile, mergeDetections, padCanvas, TILE_ABOVE, tileRects } from './ssd-passes.js';

export { FALLBACK_FILL, FALLBACK_PAD, padCanvas } from './ssd-passes.js';

export interface SsdDetectorLoadOptions {
  /** Where the built .onnx is cached (default: FACENET_CACHE or ~/.cache/facenet-ts). */
  cacheDir?: string;
  /** Intra-op threads for the engine; 0 or undefined lets it choose. */
  threads?: number;
  /** Inference engine (default onnxruntime-node). */
  engine?: InferenceEngine;
  /** Folder holding face-api's weight files (default: the installed @vladmandic/face-api/model). */
  modelDir?: string;
}

export interface SsdRawOutput {
  /** [anchors, 4] (ty, tx, th, tw); 5118 anchors at 512. */
  readonly boxEncodings: Float32Array;
  /** [anchors, 3] class logits. */
  readonly classLogits: Float32Array;
}

/**
 * Default score threshold. face-api uses 0.5, but its SSD scores a dog's face in
 * ../shared/datasets/detection/no_faces/dogs.jpg at 0.74–0.79, while the weakest labelled human faces in
 * dlib_faces score 0.85+ except two (0.73, 0.76). 0.8 reports no face on no_faces/ and keeps recall ≥ 0.9
 * on dlib_faces (40 of 43 boxes; 42 of 43 at 0.5). Callers that know a face is present (LFW) can lower it.
 */
export const DEFAULT_MIN_SCORE = 0.8;

export const DETECT_DEFAULTS = {
  minScore: DEFAULT_MIN_SCORE,
  minFaceSize: 20,
  iouThreshold: 0.5,
  maxFaces: 100,
  padFallback: true,
  resample: 'area',
  enlarge: true,
  tile: true,
} as const;

/** The smallest detector input that holds an image of this side unscaled (at least 128, at most 512). */
export function ssdInputSizeFor(side: number): number {
  return SSD_INPUT_SIZES.find((s) => s >= side) ?? SSD_INPUT_SIZE;
}

/**
 * The padded pass is a second, coarser scale (the image shrinks to 1/2.5 of the network input). The SSD
 * handles faces up to about a third of the frame at the first scale but scores larger ones poorly (LFW's
 * 250×250 photos: faces of 0.35–0.45 of the side score 0.1–0.5 there and 0.75–0.99 padded; johns chips
 * 0.72–0.85). So the padded pass only reports faces at least this fraction of the image's shorter side:
 * a smaller face would have been seen by the first pass, and without the bound the padded pass reports a
 * dog's face in no_faces/dogs.jpg (score 0.93, 0.23 of the side).
 */
export const FALLBACK_MIN_FACE_FRACTION = 0.3;
/** Largest side of the padded canvas; larger images are shrunk (area) before padding. */
export const FALLBACK_MAX_SIDE = 1024;

/**
 * Reads the SSD anchors (`Output/extra_dim`, float32 [1, 5118, 4]) straight from face-api's weight files,
 * without dequantising the rest of the network.
 */
export async function loadSsdAnchors(modelDir = faceApiModelDir()): Promise<Float32Array> {
  const manifestPath = path.join(modelDir, `${ssdRecipe.weights}-weights_manifest.json`);
  try {
    const groups = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      paths: string[];
      weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string } }[];
    }[];
    for (const group of groups) {
      let offset = 0;
      for (const w of group.weights) {
        const size = w.shape.reduce((a, b) => a * b, 1);
        const q = w.quantization?.dtype;
        const bytes = size * (q === 'uint8' ? 1 : q === 'uint16' || q === 'float16' ? 2 : 4);
        if (w.name === 'Output/extra_dim') {
          if (q || w.dtype !== 'float32' || size !== SSD_NUM_ANCHORS * 4)
            throw new ModelError('MODEL_LOAD_FAILED', `unexpected Output/extra_dim: ${JSON.stringify(w)}`);
          const buf = Buffer.concat(await Promise.all(group.paths.map((p) => readFile(path.join(modelDir, p)))));
          if (offset + bytes > buf.length)
            throw new ModelError('MODEL_LOAD_FAILED', 'weights file too short for Output/extra_dim');
          const out = new Float32Array(size);
          for (let i = 0; i < size; i++) out[i] = buf.readFloatLE(offset + 4 * i);
          return out;
        }
        offset += bytes;
      }
    }
    throw new ModelError('MODEL_LOAD_FAILED', 'Output/extra_dim missing');
  } catch (e) {
    throw new ModelError(
      'MODEL_LOAD_FAILED',
      `cannot read the SSD anchors from ${manifestPath}: ${(e as Error).message}`,
      undefined,
      { cause: e },
    );
  }
}

function resolveOptions(opts: DetectOptions): Required<DetectOptions> {
  return resolveDetectOptions(opts, DETECT_DEFAULTS as Required<DetectOptions>) as Required<DetectOptions>;
}

export class SsdDetector implements FaceDetector {
  /** Sessions for the smaller input sizes, built and loaded on first use. */
  private readonly sized = new Map<number, Promise<{ session: InferenceSession; anchors: Float32Array }>>();

  private constructor(
    private readonly session: InferenceSession,
    private readonly anchors: Float32Array,
    readonly modelId: string,
    private readonly loadOpts: SsdDetectorLoadOptions,
  ) {}

  static async load(opts: SsdDetectorLoadOptions = {}): Promise<SsdDetector> {
    const modelDir = opts.modelDir ?? faceApiModelDir();
    const built = await buildModel(ssdRecipe, { cacheDir: opts.cacheDir, modelDir });
    const anchors = await loadSsdAnchors(modelDir);
    const engine = opts.engine ?? ortEngine;
    const session = await engine.load(built.bytes, { threads: opts.threads });
    return new SsdDetector(session, anchors, built.id, { ...opts, modelDir });
  }

  /** The anchors (ymin, xmin, ymax, xmax) relative to the 512×512 input, [5118, 4]. */
  get anchorBoxes(): Float32Array {
    return this.anchors;
  }

  private forSize(size: number): Promise<{ session: InferenceSession; anchors: Float32Array }> {
    if (size === SSD_INPUT_SIZE) return Promise.resolve({ session: this.session, anchors: this.anchors });
    let p = this.sized.get(size);
    if (!p) {
      const o = this.loadOpts;
      p = (async () => {
        const built = await buildModel(ssdRecipeFor(size), { cacheDir: o.cacheDir, modelDir: o.modelDir });
        const session = await (o.engine ?? ortEngine).load(built.bytes, { threads: o.threads });
        return { session, anchors: anchorsForSize(this.anchors, size) };
      })();
      p.catch(() => this.sized.delete(size)); // a failed load is retried next time
      this.sized.set(size, p);
    }
    return p;
  }

  /** Runs the network on prepared inputs (each [3, size, size], 0..255, all of one size). */
  async runRaw(inputs: readonly SsdInput[]): Promise<SsdRawOutput[]> {
    if (inputs.length === 0) return [];
    const n = inputs.length;
    const size = inputs[0].size;
    if (!(SSD_INPUT_SIZES as readonly number[]).includes(size))
      throw new FaceError('INVALID_INPUT', `SSD input size must be one of ${SSD_INPUT_SIZES.join(', ')}`);
    const per = 3 * size * size;
    const batch = new Float32Array(n * per);
    inputs.forEach((inp, i) => {
      if (inp.size !== size || inp.data.length !== per)
        throw new FaceError('INVALID_INPUT', `SSD inputs must all be 3×${size}×${size}`);
      batch.set(inp.data, i * per);
    });
    const { session } = await this.forSize(size);
    const res = await session.run({ image: { data: batch, dims: [n, 3, size, size] } });
    const enc = res.box_encodings?.data;
    const cls = res.class_logits?.data;
    if (!enc || !cls) throw new ModelError('MODEL_MISMATCH', 'SSD model lacks box_encodings/class_logits outputs');
    const anchors = ssdNumAnchors(size);
    const out: SsdRawOutput[] = [];
    for (let i = 0; i < n; i++) {
      out.push({
        boxEncodings: enc.slice(i * anchors * 4, (i + 1) * anchors * 4),
        classLogits: cls.slice(i * anchors * 3, (i + 1) * anchors * 3),
      });
    }
    return out;
  }

  /** One pass of the detector over `img`, without the padded fallback. */
  async detectOnce(img: RgbImage, opts: DetectOptions = {}): Promise<Detection[]> {
    const o = resolveOptions(opts);
    validateRgbImage(img, Number.MAX_SAFE_INTEGER);
    const size = o.enlarge ? SSD_INPUT_SIZE : ssdInputSizeFor(Math.max(img.width, img.height));
    const input = toSsdInput(img, size, o.resample, o.enlarge);
    const [raw] = await this.runRaw([input]);
    const { anchors } = await this.forSize(size);
    return postprocess(
      raw.boxEncodings,
      raw.classLogits,
      anchors,
      { width: img.width, height: img.height, side: input.side },
      o,
    );
  }

  /**
   * The whole-photo pass, and for a photo over TILE_ABOVE px (with `tile`, default) the 2 × 2 tiles at twice its
   * resolution (one batched run), merged by NMS: the SSD loses faces at some scales (ssd-passes.ts).
   */
  private async detectScales(img: RgbImage, o: Required<DetectOptions>): Promise<Detection[]> {
    const first = await this.detectOnce(img, o);
    if (!o.tile || Math.max(img.width, img.height) <= TILE_ABOVE || o.maxFaces === 0) return first;
    const tiles = tileRects(img.width, img.height);
    const crops = tiles.map((t) => cropRgb(img, t));
    const inputs = crops.map((c) => toSsdInput(c, SSD_INPUT_SIZE, o.resample, o.enlarge));
    const raw = await this.runRaw(inputs);
    const { anchors } = await this.forSize(SSD_INPUT_SIZE);
    const found = raw.map((r, i) => {
      const size = { width: crops[i].width, height: crops[i].height, side: inputs[i].side };
      return fromTile(postprocess(r.boxEncodings, r.classLogits, anchors, size, o), tiles[i], img);
    });
    return mergeDetections([first, ...found], o.iouThreshold).slice(0, o.maxFaces);
  }

  /**
   * All faces in `img`, best score first, boxes in `img` pixels clipped to the image. When nothing is
   * found and `padFallback` is on (default), retries once on a mid-grey canvas padded by 75 % of the image
   * on each side, keeping only faces too large for the first pass (≥ 0.3 of the shorter side).
   */
  async detect(img: RgbImage, opts: DetectOptions = {}): Promise<Detection[]> {
    const o = resolveOptions(opts);
    const first = await this.detectScales(img, o);
    if (first.length > 0 || !o.padFallback || o.maxFaces === 0) return first;
    // The faces sought here fill the image, so a large image is shrunk first: the padded canvas never
    // needs more than FALLBACK_MAX_SIDE pixels a side (the network sees 512).
    const grown = Math.max(img.width, img.height) * (1 + 2 * FALLBACK_PAD);
    let src = img;
    if (grown > FALLBACK_MAX_SIDE) {
      const f = FALLBACK_MAX_SIDE / grown;
      src = shrinkArea(img, Math.max(1, Math.round(img.width * f)), Math.max(1, Math.round(img.height * f)));
    }
    const sx = img.width / src.width;
    const sy = img.height / src.height;
    const { image, offsetX, offsetY } = padCanvas(src);
    // Boxes are clipped to the original image after mapping back, so the size filter applies there.
    const second = await this.detectOnce(image, { ...o, minFaceSize: 0 });
    const out: Detection[] = [];
    for (const d of second) {
      const x0 = Math.max(0, (d.box.x - offsetX) * sx);
      const y0 = Math.max(0, (d.box.y - offsetY) * sy);
      const x1 = Math.min(img.width, (d.box.x + d.box.width - offsetX) * sx);
      const y1 = Math.min(img.height, (d.box.y + d.box.height - offsetY) * sy);
      if (x1 <= x0 || y1 <= y0) continue;
      const box = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
      if (
        Math.min(box.width, box.height) <
        Math.max(o.minFaceSize, FALLBACK_MIN_FACE_FRACTION * Math.min(img.width, img.height))
      )
        continue;
      out.push({ box, score: d.score, padded: true });
    }
    return out.slice(0, o.maxFaces);
  }

  async close(): Promise<void> {
    const sized = await Promise.allSettled([...this.sized.values()]);
    this.sized.clear();
    for (const r of sized) if (r.status === 'fulfilled') await r.value.session.close();
    await this.session.close();
  }
}
