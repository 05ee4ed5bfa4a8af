/**
 * The stages behind FaceRecognizer: the pack's detector, 68-point landmarker (dlib packs) and embedder, and the steps
 * between them (locating the points a pack aligns with, warping chips, crop and flip TTA). Internal: the library's
 * users see FaceRecognizer's verbs; training, the evaluations, the benchmarks and the inference workers reach these
 * through `stagesOf(fr)` (src/recognizer.ts), which the package does not export.
 */
import type { Box, Detection, DetectOptions, FaceDetector } from './detect/types.js';
import type { Landmarker } from './align/landmarker.js';
import { alignToChip, chipTemplatePoints, type CustomTemplate } from './align/chip.js';
import { DLIB_FIVE_POINT_TEMPLATE, isTurned, type TurnedFaceOptions } from './align/turned.js';
import { turnedAlignment } from './align/turned-alignment.js';
import { alignFivePoint, templateInBox } from './align/five-point.js';
import { landmarkBox, unmirrorLandmarks } from './align/landmark-mirror.js';
import type { Landmarks68 } from './align/types.js';
import type { Embedder } from './embed/embedder.js';
import { decodeImage } from './image/decode.js';
import { assertUsableChip } from './align/chip-quality.js';
import {
  CHIP_MIN_SCORE,
  isChipFace,
  landmarkResidual,
  MAX_CHIP_LANDMARK_RESIDUAL,
  padChip,
} from './align/chip-face.js';
import type { ImageInput, RgbImage } from './image/types.js';
import { CHIP_SIZE } from './embed/recognition-graph.js';
import { flipHorizontal } from './image/transform.js';
import { FaceError } from './errors.js';
import { boxArea } from './detect/box.js';
import type { PackDefinition } from './pack/types.js';
import type {
  AlignedFace,
  EmbedFaceOptions,
  EmbeddedFace,
  Face,
  FaceOptions,
  RecognizerOptions,
} from './recognizer-types.js';

const definedOnly = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export class PipelineStages {
  constructor(
    readonly pack: PackDefinition,
    readonly detector: FaceDetector,
    /** The 68-point net; absent for five-point packs. */
    readonly landmarker: Landmarker | undefined,
    readonly embedder: Embedder,
    readonly opts: RecognizerOptions,
  ) {}

  /** Paddings of the extra chips each detected face's embedding averages over (crop TTA); empty when off. */
  get ttaPaddings(): readonly number[] {
    return this.opts.ttaPaddings ?? this.pack.tta.crops;
  }

  /** Whether embeddings average the mirrored chip too, unless a call says otherwise (the pack's default). */
  get flip(): boolean {
    return this.opts.flip ?? this.pack.tta.flip;
  }

  decode(input: ImageInput): Promise<RgbImage> {
    return decodeImage(input, { maxPixels: this.opts.maxPixels, allowSvg: this.opts.allowSvg });
  }

  /** The pack's detection defaults (e.g. a score threshold), under the recognizer's and the call's. */
  private get packDetect(): DetectOptions {
    return this.pack.detector.minScore !== undefined ? { minScore: this.pack.detector.minScore } : {};
  }

  /**
   * Boxes with the detector's own points (if any), without the 68-point landmarks, under the pack's and the
   * recognizer's detection settings: for video, which locates and aligns only the frames it embeds.
   */
  detectBoxes(img: RgbImage, opts: DetectOptions = {}): Promise<Detection[]> {
    return this.detector.detect(img, {
      ...this.packDetect,
      ...definedOnly(this.opts.detect ?? {}),
      ...definedOnly(opts),
    });
  }

  /** Every face in a decoded image, largest first, located the way the pack aligns. */
  async detectDecoded(img: RgbImage, opts: DetectOptions = {}): Promise<Face[]> {
    const dets = await this.detectBoxes(img, opts);
    if (dets.length === 0) return [];
    return this.locate(
      img,
      [...dets].sort((a, b) => boxArea(b.box) - boxArea(a.box)),
    );
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
    const turned = turnedAlignment(face, this.turned, align, { size: CHIP_SIZE, ...this.opts.chip });
    if (align.kind === 'dlib68') {
      if (turned) return this.chipsFor(img, turned, DLIB_FIVE_POINT_TEMPLATE);
      if (!face.landmarks) throw new FaceError('INVALID_INPUT', "a dlib chip needs the face's 68 landmarks");
      return this.chipsFor(img, face.landmarks);
    }
    return [alignFivePoint(img, turned ?? face.points ?? templateInBox(face.box, align), align)];
  }

  /** How turned faces are handled: the recognizer's option, else the pack's; undefined: as any other face. */
  get turned(): TurnedFaceOptions | undefined {
    return this.opts.turned === false ? undefined : (this.opts.turned ?? this.pack.turned);
  }

  /** Whether a face counts as turned (the `turned` option's yaw) and would be embedded with its mirror image too. */
  turnedFlip(face: Face): boolean {
    return !!this.turned?.flip && isTurned(face, this.turned);
  }

  /** Faces with their aligned chips. With `aligned`, the image itself is the one chip. */
  async alignDecoded(img: RgbImage, opts: FaceOptions = {}): Promise<AlignedFace[]> {
    if (opts.aligned)
      return [{ box: { x: 0, y: 0, width: img.width, height: img.height }, score: 1, chip: await this.faceChip(img) }];
    const faces = await this.detectDecoded(img, opts.detect);
    return faces.map((f) => ({ ...f, chip: this.faceChips(img, f)[0] }));
  }

  /**
   * An input given as an aligned chip, once it is shown to hold a face (./align/chip-face.ts): NO_FACE for a chip too
   * small or blank, or one on which neither the landmark net (dlib chips) nor the pack's detector sees a face.
   */
  async faceChip(chip: RgbImage): Promise<RgbImage> {
    assertUsableChip(chip);
    if (this.landmarker && this.pack.align.kind === 'dlib68') {
      const whole = { x: 0, y: 0, width: chip.width, height: chip.height };
      const [found] = await this.landmarker.landmarks(chip, [whole], this.opts.landmarks);
      const template = chipTemplatePoints({ ...this.opts.chip, size: chip.width });
      if (landmarkResidual(found, template, chip.width) <= MAX_CHIP_LANDMARK_RESIDUAL) return chip;
    }
    const minScore = CHIP_MIN_SCORE[this.pack.detector.kind];
    const { canvas, offset } = padChip(chip);
    for (const [image, at] of [
      [chip, 0],
      [canvas, offset],
    ] as const) {
      const found = await this.detector.detect(image, { minScore, padFallback: false, minFaceSize: 1 });
      if (found.some((d) => isChipFace(d.box, chip, at))) return chip;
    }
    throw new FaceError(
      'NO_FACE',
      `the image given as an aligned face chip (${chip.width}×${chip.height}) does not show a face: ` +
        'send the photo instead (without aligned) to have the face found',
      { width: chip.width, height: chip.height },
    );
  }

  /** Faces with chips and L2-normalised embeddings, largest first. */
  async embedDecoded(img: RgbImage, opts: EmbedFaceOptions = {}): Promise<EmbeddedFace[]> {
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

  async close(): Promise<void> {
    await Promise.all([this.detector.close(), this.landmarker?.close(), this.embedder.close()]);
  }
}
