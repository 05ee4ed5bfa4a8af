/**
 * The face pipeline in one object: image → faces (box, score, landmarks) → aligned chips → embeddings.
 * Models are built/loaded once in `load()`; every method after that is inference only; `close()` frees them.
 * The stages themselves are not part of the public surface: internal callers reach them through `stagesOf`.
 */
import { FaceError } from './errors.js';
import type { DetectOptions } from './detect/types.js';
import type { ImageInput } from './image/types.js';
import type { PackDefinition, PackInfo } from './pack/types.js';
import { assertLicence, loadPackStages, resolvePack } from './pack/router.js';
import { readModelMeta, type StoredCalibration } from './train/model-meta.js';
import { PipelineStages } from './pipeline-stages.js';
import type {
  AlignedFace,
  EmbedFaceOptions,
  EmbeddedFace,
  Face,
  FaceOptions,
  RecognizerOptions,
} from './recognizer-types.js';

export type {
  AlignedFace,
  EmbedFaceOptions,
  EmbeddedFace,
  Face,
  FaceOptions,
  RecognizerOptions,
} from './recognizer-types.js';

/** Revision of the pipeline's own code (cropping, alignment); part of every cache key. */
export const PIPELINE_REVISION = 1;

/** The pack whose ids stay those of the pipeline before packs existed (caches, galleries, calibration). */
const LEGACY_PACK = 'dlib128';

/** Set once by the class below: the stages of a recognizer, for stagesOf. */
let stagesAccess: (fr: FaceRecognizer) => PipelineStages;

export class FaceRecognizer {
  readonly #stages: PipelineStages;

  private constructor(
    stages: PipelineStages,
    /** The calibration a `--model` from `facenet train` carries (measured on its validation split). */
    readonly modelCalibration?: StoredCalibration,
  ) {
    this.#stages = stages;
  }

  static {
    stagesAccess = (fr) => fr.#stages;
  }

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
    const stages = new PipelineStages(pack, detector, landmarker, embedder, opts);
    const trained = opts.modelPath ?? opts.projectionPath;
    try {
      const modelCalibration = trained ? (await readModelMeta(trained)).calibration : undefined;
      return new FaceRecognizer(stages, modelCalibration);
    } catch (e) {
      await stages.close();
      throw e;
    }
  }

  /** The recognition pipeline this recognizer runs (plain data: `facenet packs` lists them). */
  get pack(): PackDefinition {
    return this.#stages.pack;
  }

  /**
   * Names every model and setting that changes an embedding (for caches). Bump PIPELINE_REVISION when
   * alignment or cropping code changes behaviour. The dlib128 pack keeps the key it had before packs existed.
   */
  get pipelineKey(): string {
    const { chip, landmarks, landmarkPasses, landmarkFlip, graph } = this.#stages.opts;
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
      model: this.#stages.embedder.modelId,
      detector: this.#stages.detector.modelId,
      landmarks: this.#stages.landmarker?.modelId,
      align: {
        chip,
        landmarks,
        landmarkPasses,
        landmarkFlip,
        graph,
        ...(ttaPaddings?.length ? { ttaPaddings } : {}),
        ...(this.#stages.turned ? { turned: this.#stages.turned } : {}),
      },
    });
  }

  /** The pack's name and licence line, as surfaces show them. */
  get packInfo(): PackInfo {
    return { name: this.pack.name, licence: this.pack.licence.line, permissive: this.pack.licence.permissive };
  }

  /** Paddings of the extra chips each detected face's embedding averages over (crop TTA); empty when off. */
  get ttaPaddings(): readonly number[] {
    return this.#stages.ttaPaddings;
  }

  /** Whether embeddings average the mirrored chip too, unless a call says otherwise (the pack's default). */
  get flip(): boolean {
    return this.#stages.flip;
  }

  /**
   * Id of the embedding model, naming the pack for every pack but dlib128 (whose id predates packs); galleries
   * store it with every template, so templates of different packs are never compared.
   */
  get modelId(): string {
    const id = this.#stages.embedder.modelId;
    return this.pack.name === LEGACY_PACK ? id : `${this.pack.name}:${id}`;
  }

  /**
   * Every face in the image, largest first, with its landmarks (68 points for dlib packs; the detector's five when
   * given).
   */
  async detect(input: ImageInput, opts: DetectOptions = {}): Promise<Face[]> {
    return this.#stages.detectDecoded(await this.#stages.decode(input), opts);
  }

  /** Faces with their aligned chips, largest first. With `aligned`, the input itself is the one chip. */
  async align(input: ImageInput, opts: FaceOptions = {}): Promise<AlignedFace[]> {
    return this.#stages.alignDecoded(await this.#stages.decode(input), opts);
  }

  /** Faces with chips and L2-normalised embeddings, largest first. Empty when no face is found. */
  async embed(input: ImageInput, opts: EmbedFaceOptions = {}): Promise<EmbeddedFace[]> {
    return this.#stages.embedDecoded(await this.#stages.decode(input), opts);
  }

  /** Frees the models; the recognizer answers nothing after this. */
  close(): Promise<void> {
    return this.#stages.close();
  }
}

/**
 * The stages of a recognizer (detector, landmarker, embedder and the steps between them), for training, the
 * evaluations, the benchmarks and the inference workers. Not exported by the package.
 */
export function stagesOf(fr: FaceRecognizer): PipelineStages {
  return stagesAccess(fr);
}
