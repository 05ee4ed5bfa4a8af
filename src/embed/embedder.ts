/**
 * Aligned face chips → L2-normalised embeddings, batched, with optional flip test-time augmentation.
 * Runs the built-in 128-D net, a trained model exported by `facenet train` (`modelPath`), or any ONNX embedding
 * network described by an input spec (`network`, e.g. a pack's EdgeFace): one class, the spec says how to feed it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import type { InferenceEngine, InferenceSession, TensorData } from '../engine/engine.js';
import { ortEngine } from '../engine/ort.js';
import { buildModel } from '../engine/model-store.js';
import { ModelError, FaceError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { flipHorizontal, resizeBilinear } from '../image/transform.js';
import { l2Normalize, normalisedMean } from './vector.js';
import { CHIP_SIZE, recognitionRecipeFor, type RecognitionGraphOptions } from './recognition-graph.js';
import { chipsToTensor, FACE_API_128_INPUT, type EmbedderInputSpec } from './input-spec.js';

/** An ONNX embedding network given by its bytes (already verified by the caller) and its input spec. */
export interface EmbedderNetwork {
  /** Model name for the id, e.g. `edgeface-xs`. */
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Hex SHA-256 of `bytes`; its first 12 digits make the model id. */
  readonly sha256: string;
  readonly input: EmbedderInputSpec;
}

/**
 * A projection stage run on the network's output (e.g. a 512 → 128 head from `facenet train --arch head --pack`):
 * an ONNX graph [N, D] → [N, d] that normalises its input itself, given by its bytes (verified by the caller).
 */
export interface EmbedderProjection {
  /** Name for the model id, e.g. `head128`. */
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly inputName: string;
  readonly outputName: string;
}

export interface EmbedderOptions {
  cacheDir?: string;
  /** Intra-op threads for the engine (absent: the engine's default; 0 = the engine's own choice). */
  threads?: number;
  engine?: InferenceEngine;
  /** A model exported by `facenet train`; default is the built-in 128-D ResNet. */
  modelPath?: string;
  /** Faces per engine call. */
  batchSize?: number;
  /** Variant of the built-in graph. */
  graph?: RecognitionGraphOptions;
  /** An ONNX network with its input spec (a pack's embedder); overrides the built-in net. */
  network?: EmbedderNetwork;
  /** A projection applied to the network's output (changes the model id and the dimension). */
  projection?: EmbedderProjection;
}

/** A loaded projection stage. */
interface ProjectionStage {
  readonly session: InferenceSession;
  readonly inputName: string;
  readonly outputName: string;
}

export interface EmbedOptions {
  /** Average the embedding of the chip and of its mirror image (then renormalise). */
  flip?: boolean;
}

/** The projection's output length, from one zero-vector run (also checks that it takes [N, inDim]). */
async function projectedDim(
  session: InferenceSession,
  p: EmbedderProjection,
  inDim: number,
): Promise<number | undefined> {
  try {
    const out = (await session.run({ [p.inputName]: { data: new Float32Array(inDim), dims: [1, inDim] } }))[
      p.outputName
    ];
    return out && out.dims.length === 2 ? out.dims[1] : undefined;
  } catch {
    return undefined;
  }
}

function readInputSize(bytes: Uint8Array): number {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const meta = model.metadataProps.find((p) => p.key === 'facenet.input_size');
  const size = meta?.value ? Number(meta.value) : CHIP_SIZE;
  if (!Number.isInteger(size) || size <= 0)
    throw new ModelError('MODEL_LOAD_FAILED', `model declares an invalid input size ${meta?.value}`);
  return size;
}

export class Embedder {
  /** Input tensors no run is using, for the next batch (see chipsToTensor); at most two are kept. */
  private readonly scratch: Float32Array[] = [];

  private constructor(
    private readonly session: InferenceSession,
    /** Identifies the model; stored with every embedding so galleries never mix models. */
    readonly modelId: string,
    /** How the network wants its chips. */
    readonly input: EmbedderInputSpec,
    private readonly batchSize: number,
    private readonly projection?: ProjectionStage,
  ) {}

  /** Length of the embeddings this embedder gives (after the projection stage, if any). */
  get dim(): number {
    return this.input.dim;
  }

  /** Side of the square input the model expects; chips are resized to it. */
  get inputSize(): number {
    return this.input.size;
  }

  static async load(opts: EmbedderOptions = {}): Promise<Embedder> {
    const base = await Embedder.loadNetwork(opts);
    if (!opts.projection) return base;
    const p = opts.projection;
    const engine = opts.engine ?? ortEngine;
    let session: InferenceSession;
    try {
      session = await engine.load(p.bytes, { threads: opts.threads });
    } catch (e) {
      await base.close();
      throw e;
    }
    const dim =
      session.outputNames.includes(p.outputName) && session.inputNames.includes(p.inputName)
        ? await projectedDim(session, p, base.input.dim)
        : undefined;
    if (dim === undefined) {
      await Promise.all([session.close(), base.close()]);
      throw new ModelError(
        'MODEL_LOAD_FAILED',
        `projection ${p.name} must take '${p.inputName}' [N, ${base.input.dim}] and give '${p.outputName}' [N, d]`,
      );
    }
    const stage = { session, inputName: p.inputName, outputName: p.outputName };
    return new Embedder(
      base.session,
      `${base.modelId}+${p.name}@${p.sha256.slice(0, 12)}`,
      { ...base.input, dim },
      base.batchSize,
      stage,
    );
  }

  private static async loadNetwork(opts: EmbedderOptions): Promise<Embedder> {
    const engine = opts.engine ?? ortEngine;
    const batchSize = opts.batchSize ?? 16;
    if (opts.network) {
      const { name, bytes, sha256, input } = opts.network;
      const session = await engine.load(bytes, { threads: opts.threads });
      if (!session.inputNames.includes(input.inputName) || !session.outputNames.includes(input.outputName)) {
        await session.close();
        throw new ModelError(
          'MODEL_LOAD_FAILED',
          `${name} must have input '${input.inputName}' and output '${input.outputName}' ` +
            `(has ${session.inputNames.join(', ')} → ${session.outputNames.join(', ')})`,
        );
      }
      return new Embedder(session, `${name}@${sha256.slice(0, 12)}`, input, batchSize);
    }
    if (opts.modelPath) {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(opts.modelPath));
      } catch (e) {
        throw new ModelError('MODEL_LOAD_FAILED', `cannot read model ${opts.modelPath}: ${(e as Error).message}`);
      }
      let inputSize: number;
      try {
        inputSize = readInputSize(bytes);
      } catch (e) {
        if (e instanceof FaceError) throw e;
        throw new ModelError('MODEL_LOAD_FAILED', `${opts.modelPath} is not an ONNX model: ${(e as Error).message}`);
      }
      const id = `custom@${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
      const session = await engine.load(bytes, { threads: opts.threads });
      if (!session.inputNames.includes('chips') || !session.outputNames.includes('embedding'))
        throw new ModelError('MODEL_LOAD_FAILED', `${opts.modelPath} must have input 'chips' and output 'embedding'`);
      return new Embedder(session, id, { ...FACE_API_128_INPUT, size: inputSize }, batchSize);
    }
    const built = await buildModel(recognitionRecipeFor(opts.graph), { cacheDir: opts.cacheDir });
    return new Embedder(
      await engine.load(built.bytes, { threads: opts.threads }),
      built.id,
      { ...FACE_API_128_INPUT, size: CHIP_SIZE },
      batchSize,
    );
  }

  /** Raw (unnormalised) network outputs, one per chip. */
  async embedRaw(chips: readonly RgbImage[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < chips.length; i += this.batchSize) {
      const size = this.input.size;
      const batch = chips.slice(i, i + this.batchSize).map((c) => resizeBilinear(c, size, size));
      const tensor = chipsToTensor(batch, this.input, this.scratch.pop());
      let res: Record<string, TensorData>;
      try {
        res = await this.session.run({ [this.input.inputName]: tensor });
      } finally {
        // the whole array behind the view goes back once the run is over; concurrent calls each hold their own
        if (this.scratch.length < 2) this.scratch.push(new Float32Array(tensor.data.buffer));
      }
      let emb = res[this.input.outputName];
      if (!emb)
        throw new ModelError('MODEL_MISMATCH', `the embedding network returned no '${this.input.outputName}' output`);
      if (this.projection) {
        const p = this.projection;
        emb = (await p.session.run({ [p.inputName]: { data: emb.data, dims: emb.dims } }))[p.outputName];
        if (!emb) throw new ModelError('MODEL_MISMATCH', `the projection returned no '${p.outputName}' output`);
      }
      const dim = emb.dims[1];
      for (let n = 0; n < batch.length; n++) out.push(emb.data.slice(n * dim, (n + 1) * dim));
    }
    return out;
  }

  /** L2-normalised embeddings, one per chip. */
  async embedChips(chips: readonly RgbImage[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
    return this.embedChipSets(
      chips.map((c) => [c]),
      opts,
    );
  }

  /**
   * One embedding per set of chips of the same face (test-time augmentation over crops): the renormalised mean
   * over the set, and with `flip` over the mirrored chips too.
   */
  async embedChipSets(sets: readonly (readonly RgbImage[])[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
    const views = await this.embedChipSetViews(sets, !!opts.flip);
    return views.map((v) => (v.flipped ? normalisedMean([v.plain, v.flipped]) : v.plain));
  }

  /** Per set: the mean embedding of its chips as given, and (with `flip`) of their mirror images, each renormalised. */
  async embedChipSetViews(
    sets: readonly (readonly RgbImage[])[],
    flip: boolean,
  ): Promise<{ plain: Float32Array; flipped?: Float32Array }[]> {
    const chips = sets.flat();
    if (chips.length === 0) return sets.map(() => ({ plain: new Float32Array(0) }));
    const raw = (await this.embedRaw(flip ? [...chips, ...chips.map(flipHorizontal)] : chips)).map(l2Normalize);
    let at = 0;
    return sets.map((set) => {
      const idx = set.map((_, k) => at + k);
      at += set.length;
      const mean = (offset: number) =>
        idx.length === 1 ? raw[idx[0] + offset] : normalisedMean(idx.map((i) => raw[i + offset]));
      return flip ? { plain: mean(0), flipped: mean(chips.length) } : { plain: mean(0) };
    });
  }

  async close(): Promise<void> {
    this.scratch.length = 0;
    await Promise.all([this.session.close(), this.projection?.session.close()]);
  }
}
