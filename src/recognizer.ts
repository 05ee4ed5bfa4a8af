/**
 * The face pipeline in one object: image → faces (box, score, landmarks) → aligned chips → embeddings.
 * Models are built/loaded once in `load()`; every method after that is inference only.
 */
import type { Box, Detection, DetectOptions, FaceDetectorLike } from './detect/types.js';
import type { Landmarker, LandmarkOptions } from './align/landmarker.js';
import { alignToChip, chipTransform, type ChipOptions, type CustomTemplate } from './align/chip.js';
import {
  COLLAPSED_CHIP,
  DLIB_FIVE_POINT_TEMPLATE,
  isTurned,
  turnedPoints,
  type TurnedFaceOptions,
} from './align/turned.js';
import { alignFivePoint, fivePointTransform, templateInBox } from './align/five-point.js';
import type { Landmarks68, Point } from './align/types.js';
import type { Embedder } from './embed/embedder.js';
import type { InferenceEngine } from './engine/engine.js';
import { decodeImage, type DecodeOptions } from './image/decode.js';
import { assertUsableChip } from './align/chip-quality.js';
import type { ImageInput, RgbImage } from './image/types.js';
import { CHIP_SIZE, type RecognitionGraphOptions } from './embed/recognition-graph.js';
import { flipHorizontal } from './image/transform.js';
import { FaceError } from './errors.js';
import type { PackDefinition, PackInfo } from './pack/types.js';
import { assertLicence, loadPackStages, resolvePack } from './pack/router.js';
import { readModelMeta, type StoredCalibration } from './train/model-meta.js';

export interface RecognizerOptions {
  /**
   * The recognition pipeline by name (`facenet packs` lists them) or as a definition; default `dlib128`. Plain data,
   * so it also travels to worker threads.
   */
  pack?: string | PackDefinition;
  /** Folder holding the packs' model files (default FACENET_MODELS, else ~/.local/share/facenet-ts/models). */
  models?: string;
  /**
   * Opt in to a pack whose weights are not permissively licensed (default: FACENET_ACCEPT_LICENSE=1). Without it
   * such a pack is refused with LICENSE_NOT_ACCEPTED.
   */
  acceptLicense?: boolean;
  /** Where built ONNX graphs are cached (default ~/.cache/facenet-ts or $FACENET_CACHE). */
  cacheDir?: string;
  /** Intra-op threads per model (default: one per core, defaultThreads(); 0 = onnxruntime's own choice). */
  threads?: number;
  /** The cores this recognizer may use when `threads` is not given: a worker pool's share (default defaultThreads()). */
  threadShare?: number;
  engine?: InferenceEngine;
  /** A model exported by `facenet train` instead of the built-in 128-D net. */
  modelPath?: string;
  /**
   * A projection head exported by `facenet train --arch head --pack P`, run after pack P's embedder (e.g. 512 → 128),
   * its stored calibration used like a trained model's.
   */
  projectionPath?: string;
  /** Flip test-time augmentation for every embedding (default: the pack's; dlib128: on, +0.3 pp on LFW for 2.5 ms per face). */
  flip?: boolean;
  /** Largest accepted image, pixels (default 40 MP). */
  maxPixels?: number;
  /** Accept SVG input (default false: a few bytes of SVG can declare any size). */
  allowSvg?: boolean;
  /** Default detection settings. */
  detect?: DetectOptions;
  /** Alignment variant (default: dlib's 150×150 chip, padding 0.25). */
  chip?: ChipOptions;
  /** Variant of the built-in recognition graph (input scaling). */
  graph?: RecognitionGraphOptions;
  /** How the landmark net crops and maps points. */
  landmarks?: LandmarkOptions;
  /**
   * Landmark passes: 2 re-runs the landmark net on the box the first pass's points span, which makes the crop
   * independent of the detector's box style (default 1).
   */
  landmarkPasses?: number;
  /**
   * Also run the landmark net on the mirrored image and average the two point sets (mirrored back):
   * halves the net's left/right bias and its noise.
   */
  landmarkFlip?: boolean;
  /**
   * Crop test-time augmentation: besides the configured chip, embed chips at these paddings too and average
   * the embeddings (each face costs one more net run per padding, twice with flip). Detected faces only: an
   * input given as an aligned chip cannot be re-cropped. Default: the pack's (DEFAULT_TTA_PADDINGS for the dlib
   * packs, none for five-point packs, whose template fixes the crop); [] turns it off.
   */
  ttaPaddings?: readonly number[];
  /**
   * Faces turned away from the camera: how they are aligned, and flip TTA for them (src/align/turned.ts). Default: the
   * pack's; false: as any other face.
   */
  turned?: TurnedFaceOptions | false;
}

export interface Face {
  readonly box: Box;
  readonly score: number;
  /** 68 points (iBUG order), for packs that align dlib chips. */
  readonly landmarks?: Landmarks68;
  /** The detector's five points (left eye, right eye, nose tip, left and right mouth corners), when it gives them. */
  readonly points?: readonly Point[];
}

export interface AlignedFace extends Face {
  /** The aligned chip as the pack's embedder expects it (150×150 dlib chip, 112×112 ArcFace chip). */
  readonly chip: RgbImage;
}

export interface EmbeddedFace extends AlignedFace {
  /** L2-normalised (128-D for the dlib packs, 512-D for EdgeFace). */
  readonly embedding: Float32Array;
}

export interface FaceOptions {
  /** The input is already an aligned face chip: skip detection and alignment. */
  aligned?: boolean;
  detect?: DetectOptions;
}

export interface EmbedFaceOptions extends FaceOptions {
  flip?: boolean;
}

const area = (b: Box) => b.width * b.height;
const definedOnly = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * Chip paddings averaged with dlib's 0.25 chip by default. Chosen on LFW View 1 (`facenet eval view1`, every pair
 * of the pairsDevTrain images, flip on): TAR@FAR=1e-4 84.97 % with one chip; 85.33 % adding 0.3; 85.56 % adding
 * 0.2 and 0.3; 86.24 % adding 0.15 and 0.35; 85.51 % adding 0.1 and 0.4. View 2 was run only on the choice.
 */
export const DEFAULT_TTA_PADDINGS: readonly number[] = [0.15, 0.35];

/** Revision of the pipeline's own code (cropping, alignment); part of every cache key. */
export const PIPELINE_REVISION = 1;

/** The pack whose ids stay those of the pipeline before packs existed (caches, galleries, calibration). */
const LEGACY_PACK = 'dlib128';

export class FaceRecognizer {
  private constructor(
    /** The recognition pipeline this recognizer runs. */
    readonly pack: PackDefinition,
    readonly detector: FaceDetectorLike,
    /** The 68-point net; absent for five-point packs. */
    readonly landmarker: Landmarker | undefined,
    readonly embedder: Embedder,
    private readonly opts: RecognizerOptions,
    /** The calibration a `--model` from `facenet train` carries (measured on its validation split). */
    readonly modelCalibration?: StoredCalibration,
  ) {}

  /**
   * Loads the pack's models (default `dlib128`). A non-permissive pack needs `acceptLicense` (or
   * FACENET_ACCEPT_LICENSE=1): LICENSE_NOT_ACCEPTED otherwise; its files must be in the models folder and match
   * their SHA-256 (MODEL_NOT_INSTALLED, MODEL_CHECKSUM).
   */
  static async load(opts: RecognizerOptions = {}): Promise<FaceRecognizer> {
    const pack = resolvePack(opts.pack);
    assertLicence(pack, opts.acceptLicense);
    if (pack.align.kind === 'five-point' && opts.ttaPaddings?.length)
      throw new FaceError(
        'INVALID_INPUT',
        `pack ${pack.name} aligns on a fixed five-point template: crop TTA (--crops) does not apply`,
      );
    const { detector, landmarker, embedder } = await loadPackStages(pack, {
      cacheDir: opts.cacheDir,
      threads: opts.threads,
      threadShare: opts.threadShare,
      engine: opts.engine,
      models: opts.models,
      modelPath: opts.modelPath,
      projectionPath: opts.projectionPath,
      graph: opts.graph,
    });
    const trained = opts.modelPath ?? opts.projectionPath;
    const modelCalibration = trained ? (await readModelMeta(trained)).calibration : undefined;
    return new FaceRecognizer(pack, detector, landmarker, embedder, opts, modelCalibration);
  }

  /**
   * Names every model and setting that changes an embedding (for caches). Bump PIPELINE_REVISION when
   * alignment or cropping code changes behaviour. The dlib128 pack keeps the key it had before packs existed.
   */
  get pipelineKey(): string {
    const { chip, landmarks, landmarkPasses, landmarkFlip, graph } = this.opts;
    const ttaPaddings = this.ttaPaddings;
    const legacy = this.pack.name === LEGACY_PACK;
    return JSON.stringify({
      rev: PIPELINE_REVISION,
      ...(legacy
        ? {}
        : {
            pack: this.pack.name,
            packAlign: this.pack.align,
            packDetector: { ...this.pack.detector, file: this.pack.detector.file?.sha256 },
          }),
      model: this.embedder.modelId,
      detector: this.detector.modelId,
      landmarks: this.landmarker?.modelId,
      align: {
        chip,
        landmarks,
        landmarkPasses,
        landmarkFlip,
        graph,
        ...(ttaPaddings?.length ? { ttaPaddings } : {}),
        ...(this.turned ? { turned: this.turned } : {}),
      },
    });
  }

  /** The pack's name and licence line, as surfaces show them. */
  get packInfo(): PackInfo {
    return { name: this.pack.name, licence: this.pack.licence.line, permissive: this.pack.licence.permissive };
  }

  /** Paddings of the extra chips each detected face's embedding averages over (crop TTA); empty when off. */
  get ttaPaddings(): readonly number[] {
    return this.opts.ttaPaddings ?? this.pack.tta.crops;
  }

  /** Whether embeddings average the mirrored chip too, unless a call says otherwise (the pack's default). */
  get flip(): boolean {
    return this.opts.flip ?? this.pack.tta.flip;
  }

  /**
   * Id of the embedding model, naming the pack for every pack but dlib128 (whose id predates packs); galleries
   * store it with every template, so templates of different packs are never compared.
   */
  get modelId(): string {
    return this.pack.name === LEGACY_PACK ? this.embedder.modelId : `${this.pack.name}:${this.embedder.modelId}`;
  }

  private decode(input: ImageInput): Promise<RgbImage> {
    const d: DecodeOptions = { maxPixels: this.opts.maxPixels, allowSvg: this.opts.allowSvg };
    return decodeImage(input, d);
  }

  /** Every face in the image, largest first, with its landmarks (68 points for dlib packs; the detector's five when given). */
  async detect(input: ImageInput, opts: DetectOptions = {}): Promise<Face[]> {
    const img = await this.decode(input);
    return this.detectDecoded(img, opts);
  }

  private async detectDecoded(img: RgbImage, opts: DetectOptions = {}): Promise<Face[]> {
    const dets = await this.detector.detect(img, {
      ...this.packDetect,
      ...definedOnly(this.opts.detect ?? {}),
      ...definedOnly(opts),
    });
    if (dets.length === 0) return [];
    return this.locate(
      img,
      [...dets].sort((a, b) => area(b.box) - area(a.box)),
    );
  }

  /** The pack's detection defaults (e.g. a score threshold), under the recognizer's and the call's. */
  private get packDetect(): DetectOptions {
    return this.pack.detector.minScore !== undefined ? { minScore: this.pack.detector.minScore } : {};
  }

  /**
   * What the pack aligns with, for detections (or bare boxes): the 68 points for dlib packs, the detector's five
   * points otherwise (never points derived from the 68-point net: those go wrong on faces in profile).
   */
  async locate(img: RgbImage, dets: readonly Pick<Detection, 'box' | 'score' | 'points'>[]): Promise<Face[]> {
    const faces = dets.map((d) => ({ box: d.box, score: d.score, ...(d.points ? { points: d.points } : {}) }));
    if (this.pack.align.kind !== 'dlib68') return faces;
    const landmarks = await this.landmarksFor(
      img,
      faces.map((f) => f.box),
    );
    return faces.map((f, i) => ({ ...f, landmarks: landmarks[i] }));
  }

  /** 68 landmarks for each box, with the configured crop settings and passes (packs aligning dlib chips). */
  async landmarksFor(img: RgbImage, boxes: readonly Box[]): Promise<Landmarks68[]> {
    const landmarker = this.landmarker;
    if (!landmarker) throw new FaceError('INVALID_INPUT', `pack ${this.pack.name} has no 68-point landmark stage`);
    const run = async (bs: readonly Box[]) => {
      const points = await landmarker.landmarks(img, bs, this.opts.landmarks);
      if (!this.opts.landmarkFlip) return points;
      const mirrored = flipHorizontal(img);
      const flippedBoxes = bs.map((b) => ({ ...b, x: img.width - b.x - b.width }));
      const back = (await landmarker.landmarks(mirrored, flippedBoxes, this.opts.landmarks)).map((pts) =>
        unmirrorLandmarks(pts, img.width),
      );
      return points.map((pts, i) => pts.map((p, k) => ({ x: (p.x + back[i][k].x) / 2, y: (p.y + back[i][k].y) / 2 })));
    };
    let points = await run(boxes);
    for (let pass = 1; pass < (this.opts.landmarkPasses ?? 1); pass++)
      points = await run(points.map((p) => landmarkBox(p, img)));
    return points;
  }

  /** The aligned dlib chip for one face's 68 landmarks. */
  chipFor(img: RgbImage, landmarks: Landmarks68): RgbImage {
    return alignToChip(img, landmarks, { size: CHIP_SIZE, ...this.opts.chip });
  }

  /** Every dlib chip one face's embedding averages over: the configured chip, then one per TTA padding. */
  chipsFor(img: RgbImage, landmarks: Landmarks68, template?: CustomTemplate): RgbImage[] {
    const base = { size: CHIP_SIZE, ...this.opts.chip, ...(template ? { template } : {}) };
    return [
      alignToChip(img, landmarks, base),
      ...this.ttaPaddings.map((padding) => alignToChip(img, landmarks, { ...base, padding })),
    ];
  }

  /**
   * Every chip one located face's embedding averages over, the way the pack aligns: dlib chips from the 68 points,
   * or the five-point template chip (from the template placed in the box when a face came without points).
   */
  faceChips(img: RgbImage, face: Face): RgbImage[] {
    const align = this.pack.align;
    const turned = this.turnedAlignment(face);
    if (align.kind === 'dlib68') {
      if (turned) return this.chipsFor(img, turned, DLIB_FIVE_POINT_TEMPLATE);
      if (!face.landmarks) throw new FaceError('INVALID_INPUT', "a dlib chip needs the face's 68 landmarks");
      return this.chipsFor(img, face.landmarks);
    }
    return [alignFivePoint(img, turned ?? face.points ?? templateInBox(face.box, align), align)];
  }

  /** Whether a face counts as turned (the `turned` option's yaw) and would be embedded with its mirror image too. */
  turnedFlip(face: Face): boolean {
    return !!this.turned?.flip && isTurned(face, this.turned);
  }

  /** How turned faces are handled: the recognizer's option, else the pack's; undefined: as any other face. */
  get turned(): TurnedFaceOptions | undefined {
    return this.opts.turned === false ? undefined : (this.opts.turned ?? this.pack.turned);
  }

  /** The five points a turned face is aligned with instead of the pack's way; undefined for other faces. */
  private turnedAlignment(face: Face): readonly Point[] | undefined {
    const t = this.turned;
    if (!t?.align || t.align === 'points' || !isTurned(face, t)) return undefined;
    if (t.align === 'guard') return this.collapsed(face) ? turnedPoints(face, 'axis') : undefined;
    return turnedPoints(face, t.align);
  }

  /** Whether the pack's own chip of this face would be smaller than COLLAPSED_CHIP of its box's height. */
  private collapsed(face: Face): boolean {
    const align = this.pack.align;
    const t =
      align.kind === 'dlib68'
        ? face.landmarks && chipTransform(face.landmarks, { size: CHIP_SIZE, ...this.opts.chip })
        : face.points && fivePointTransform(face.points, align);
    return !!t && t.scale * t.size < (this.turned?.collapsedBelow ?? COLLAPSED_CHIP) * face.box.height;
  }

  /** Faces with their aligned chips. With `aligned`, the input itself is the one chip. */
  async align(input: ImageInput, opts: FaceOptions = {}): Promise<AlignedFace[]> {
    const img = await this.decode(input);
    return this.alignDecoded(img, opts);
  }

  async alignDecoded(img: RgbImage, opts: FaceOptions = {}): Promise<AlignedFace[]> {
    if (opts.aligned)
      return [{ box: { x: 0, y: 0, width: img.width, height: img.height }, score: 1, chip: assertUsableChip(img) }];
    const faces = await this.detectDecoded(img, opts.detect);
    return faces.map((f) => ({ ...f, chip: this.faceChips(img, f)[0] }));
  }

  /** Faces with chips and L2-normalised embeddings, largest first. Empty when no face is found. */
  async embed(input: ImageInput, opts: EmbedFaceOptions = {}): Promise<EmbeddedFace[]> {
    const img = await this.decode(input);
    const flip = opts.flip ?? this.flip;
    if (opts.aligned || this.ttaPaddings.length === 0) {
      const faces = await this.alignDecoded(img, opts);
      const embeddings = await this.embedSets(
        faces,
        faces.map((f) => [f.chip]),
        flip,
      );
      return faces.map((f, i) => ({ ...f, embedding: embeddings[i] }));
    }
    // crop TTA: the first chip of each set is the face's chip (warped once, not again by alignDecoded)
    const faces = await this.detectDecoded(img, opts.detect);
    const sets = faces.map((f) => this.faceChips(img, f));
    const embeddings = await this.embedSets(faces, sets, flip);
    return faces.map((f, i) => ({ ...f, chip: sets[i][0], embedding: embeddings[i] }));
  }

  /** One embedding per face's chip set; turned faces with their mirror images too when the `turned` option says so. */
  private async embedSets(faces: readonly Face[], sets: RgbImage[][], flip: boolean): Promise<Float32Array[]> {
    const mirror = faces.map((f) => !flip && this.turnedFlip(f));
    if (!mirror.includes(true)) return this.embedder.embedChipSets(sets, { flip });
    if (!mirror.includes(false)) return this.embedder.embedChipSets(sets, { flip: true });
    const [flipped, plain] = await Promise.all([
      this.embedder.embedChipSets(
        sets.filter((_, i) => mirror[i]),
        { flip: true },
      ),
      this.embedder.embedChipSets(
        sets.filter((_, i) => !mirror[i]),
        { flip },
      ),
    ]);
    return mirror.map((m) => (m ? flipped.shift()! : plain.shift()!));
  }

  /** Embedding of one aligned chip (any size; resized to the model input). */
  async embedChip(chip: RgbImage, opts: { flip?: boolean } = {}): Promise<Float32Array> {
    const [e] = await this.embedder.embedChips([chip], { flip: opts.flip ?? this.flip });
    return e;
  }

  async release(): Promise<void> {
    await Promise.all([this.detector.release(), this.landmarker?.release(), this.embedder.release()]);
  }
}

/** iBUG 68-point index of each point's mirror image. */
const MIRROR_68 = [
  16,
  15,
  14,
  13,
  12,
  11,
  10,
  9,
  8,
  7,
  6,
  5,
  4,
  3,
  2,
  1,
  0, // jaw
  26,
  25,
  24,
  23,
  22,
  21,
  20,
  19,
  18,
  17, // brows
  27,
  28,
  29,
  30,
  35,
  34,
  33,
  32,
  31, // nose
  45,
  44,
  43,
  42,
  47,
  46,
  39,
  38,
  37,
  36,
  41,
  40, // eyes
  54,
  53,
  52,
  51,
  50,
  49,
  48,
  59,
  58,
  57,
  56,
  55, // outer lip
  64,
  63,
  62,
  61,
  60,
  67,
  66,
  65, // inner lip
];

/** Points found on a mirrored image, mapped back to the original and renumbered. */
export function unmirrorLandmarks(points: Landmarks68, width: number): Landmarks68 {
  return MIRROR_68.map((j) => ({ x: width - points[j].x, y: points[j].y }));
}

/**
 * A square box around the landmarks, sized like the detector's boxes (the 68 points span about 80 % of them),
 * clipped to the image.
 */
function landmarkBox(points: Landmarks68, img: RgbImage): Box {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (const p of points) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x);
    y1 = Math.max(y1, p.y);
  }
  const side = 1.15 * Math.max(x1 - x0, y1 - y0);
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const bx = Math.max(0, cx - side / 2);
  const by = Math.max(0, cy - side / 2);
  return {
    x: bx,
    y: by,
    width: Math.min(img.width, cx + side / 2) - bx,
    height: Math.min(img.height, cy + side / 2) - by,
  };
}

/** The face whose box centre is nearest the image centre (LFW's labelled face). */
export function centralFace<F extends Face>(faces: readonly F[], width: number, height: number): F | undefined {
  let best: F | undefined;
  let bestD = Infinity;
  for (const f of faces) {
    const d = Math.hypot(f.box.x + f.box.width / 2 - width / 2, f.box.y + f.box.height / 2 - height / 2);
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  return best;
}
