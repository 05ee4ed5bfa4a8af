/**
 * Pack names and model files → pipeline stages. Like insightface's model_zoo, a model file is recognised by its
 * inputs and outputs (routeModel), and a pack's data picks the detector, the landmark stage and the embedder
 * (loadPackStages); the recognizer never branches on a network's name.
 */
import onnxProto from 'onnx-proto';
import { SsdDetector } from '../detect/detector.js';
import { YuNetDetector } from '../detect/yunet.js';
import { ScrfdDetector } from '../detect/scrfd.js';
import type { FaceDetector } from '../detect/types.js';
import { Landmarker } from '../align/landmarker.js';
import { Embedder, type EmbedderProjection } from '../embed/embedder.js';
import { PROJECTION_INPUT, PROJECTION_OUTPUT } from '../embed/input-spec.js';
import type { RecognitionGraphOptions } from '../embed/recognition-graph.js';
import { defaultThreads, type InferenceEngine } from '../engine/engine.js';
import { FaceError, LicenseError, ModelError } from '../errors.js';
import { readFile } from 'node:fs/promises';
import { filePath, modelsDir, readVerified, sha256Hex } from './files.js';
import { DEFAULT_PACK, PACKS } from './packs.js';
import type { DetectorKind, PackDefinition, PackDetector, PackProjection, PackThreads } from './types.js';

export interface StageLoadOptions {
  cacheDir?: string;
  threads?: number;
  /** The cores these stages may use when `threads` is not given (a worker pool's share; default defaultThreads()). */
  threadShare?: number;
  engine?: InferenceEngine;
  /** Models folder (default: FACENET_MODELS or the user's data folder, see modelsDir). */
  models?: string;
  /** A model exported by `facenet train` instead of the pack's embedder (dlib-chip packs only). */
  modelPath?: string;
  /**
   * A projection head exported by `facenet train --arch head --pack P`, run after pack P's embedder (instead of the
   * pack's own projection).
   */
  projectionPath?: string;
  graph?: RecognitionGraphOptions;
}

export interface PackStages {
  readonly detector: FaceDetector;
  /** The 68-point net, for packs that align dlib chips. */
  readonly landmarker?: Landmarker;
  readonly embedder: Embedder;
}

export function packNames(): string[] {
  return PACKS.map((p) => p.name);
}

/** The pack of this name, or of this definition; the default pack when none is given. */
export function resolvePack(pack?: string | PackDefinition): PackDefinition {
  if (pack && typeof pack === 'object') return pack;
  const name = pack ?? DEFAULT_PACK;
  const found = PACKS.find((p) => p.name === name);
  if (!found)
    throw new FaceError(
      'INVALID_INPUT',
      `unknown pack "${name}"; packs: ${packNames().join(', ')} (see \`facenet packs\`)`,
      { pack: name, packs: packNames() },
    );
  return found;
}

/** Whether the user opted in to non-permissive weights: the explicit option, else FACENET_ACCEPT_LICENSE=1. */
export function licenceAccepted(explicit?: boolean): boolean {
  // only a boolean opts in or out: a JavaScript caller's "false" (a string, truthy) must not accept a licence
  if (explicit !== undefined && typeof explicit !== 'boolean')
    throw new FaceError(
      'INVALID_INPUT',
      `acceptLicense must be the boolean true (or false), got ${typeof explicit} ${JSON.stringify(explicit)}`,
      { acceptLicense: String(explicit) },
    );
  return explicit ?? process.env.FACENET_ACCEPT_LICENSE === '1';
}

/**
 * LICENSE_NOT_ACCEPTED for a non-permissive pack without an opt-in; INVALID_INPUT for an opt-in that is not a
 * boolean.
 */
export function assertLicence(pack: PackDefinition, accept?: boolean): void {
  if (licenceAccepted(accept) || pack.licence.permissive) return;
  throw new LicenseError(
    `pack ${pack.name} is not permissively licensed (${pack.licence.line}). Use it only if ` +
      'its terms allow your use, and opt in with --accept-license, FACENET_ACCEPT_LICENSE=1, ' +
      `or { acceptLicense: true } in FaceRecognizer.load; the default pack ${DEFAULT_PACK} is MIT`,
    { pack: pack.name, licence: pack.licence.line },
  );
}

/** What a model file is, read from its graph's inputs and outputs. */
export type ModelRole = DetectorKind | 'embedder' | 'projection';

type ValueInfo = {
  name?: string | null;
  type?: {
    tensorType?: { shape?: { dim?: { dimValue?: unknown; dimParam?: string | null }[] | null } | null } | null;
  } | null;
};

function dims(v: ValueInfo): (number | string)[] {
  return (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0)));
}

/**
 * The role of an ONNX model from its signature: YuNet names its heads cls_/obj_/bbox_/kps_ per stride; SCRFD has
 * 6 or 9 unnamed score/box(/points) heads; an embedder takes one N×3×S×S image and gives one N×D vector; a projection
 * takes one N×D vector and gives one N×d vector.
 */
export function routeModel(bytes: Uint8Array): { role: ModelRole; inputSize?: number; outputDim?: number } {
  let graph;
  try {
    graph = onnxProto.onnx.ModelProto.decode(bytes).graph;
  } catch (e) {
    throw new ModelError('MODEL_LOAD_FAILED', `not an ONNX model: ${(e as Error).message}`);
  }
  if (!graph) throw new ModelError('MODEL_LOAD_FAILED', 'ONNX model without a graph');
  const inits = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((i) => !inits.has(i.name ?? '')) as ValueInfo[];
  const outputs = (graph.output ?? []) as ValueInfo[];
  const outNames = outputs.map((o) => o.name ?? '');
  if (['cls_8', 'obj_8', 'bbox_8', 'kps_8'].every((n) => outNames.includes(n))) return { role: 'yunet' };
  if (inputs.length === 1 && (outputs.length === 6 || outputs.length === 9)) return { role: 'scrfd' };
  if (inputs.length === 1 && outputs.length === 1) {
    const [, c, h, w] = dims(inputs[0]);
    const out = dims(outputs[0]);
    if (c === 3 && typeof h === 'number' && h === w && out.length === 2 && typeof out[1] === 'number')
      return { role: 'embedder', inputSize: h, outputDim: out[1] };
    const inDims = dims(inputs[0]);
    if (inDims.length === 2 && typeof inDims[1] === 'number' && out.length === 2 && typeof out[1] === 'number')
      return { role: 'projection', outputDim: out[1] };
  }
  throw new ModelError(
    'MODEL_LOAD_FAILED',
    `unrecognised model: inputs ${inputs.map((i) => i.name).join(', ')}, outputs ${outNames.join(', ')}`,
  );
}

type DetectorLoader = (spec: PackDetector, opts: StageLoadOptions, dir: string) => Promise<FaceDetector>;

/** One loader per detector kind; the 5-point detectors take the verified file from the models folder. */
const DETECTOR_LOADERS: Record<DetectorKind, DetectorLoader> = {
  ssd: (_spec, o) =>
    SsdDetector.load({
      cacheDir: o.cacheDir,
      threads: stageThreads(o.threads, undefined, o.threadShare),
      engine: o.engine,
    }),
  yunet: (spec, o, dir) =>
    YuNetDetector.load({
      modelPath: filePath(dir, spec.file!),
      engine: o.engine,
      threads: stageThreads(o.threads, spec.threads, o.threadShare),
      maxSide: spec.maxSide,
    }),
  scrfd: (spec, o, dir) =>
    ScrfdDetector.load({
      modelPath: filePath(dir, spec.file!),
      engine: o.engine,
      threads: stageThreads(o.threads, spec.threads, o.threadShare),
      maxSide: spec.maxSide,
    }),
};

async function loadDetector(pack: PackDefinition, opts: StageLoadOptions, dir: string): Promise<FaceDetector> {
  const spec = pack.detector;
  if (spec.file) await checkRole(dir, spec.file, spec.kind);
  return DETECTOR_LOADERS[spec.kind](spec, opts, dir);
}

/**
 * Intra-op threads of one network: the caller's `threads`; else the pack's hint for it (PackThreads) capped at the
 * cores this recognizer may use (`share`, a worker pool's part of the cores; default defaultThreads()); else `share`
 * (undefined: the engine's default).
 */
export function stageThreads(
  asked: number | undefined,
  hint: PackThreads | undefined,
  share?: number,
): number | undefined {
  if (asked !== undefined) return asked;
  return hint === undefined ? share : Math.min(hint, share ?? defaultThreads());
}

/** Verifies a pack file's SHA-256 and that it is the kind of model the pack says. Returns its bytes. */
async function checkRole(dir: string, file: NonNullable<PackDetector['file']>, role: ModelRole): Promise<Uint8Array> {
  const bytes = await readVerified(dir, file);
  const got = routeModel(bytes).role;
  if (got !== role)
    throw new ModelError('MODEL_MISMATCH', `${filePath(dir, file)} is a ${got} model, the pack needs a ${role}`);
  return bytes;
}

async function loadEmbedder(pack: PackDefinition, opts: StageLoadOptions, dir: string): Promise<Embedder> {
  const common = {
    cacheDir: opts.cacheDir,
    threads: stageThreads(opts.threads, undefined, opts.threadShare),
    engine: opts.engine,
  };
  if (opts.modelPath) {
    if (pack.align.kind !== 'dlib68')
      throw new FaceError(
        'INVALID_INPUT',
        `a model from \`facenet train\` takes dlib chips; pack ${pack.name} aligns ${pack.align.kind} chips`,
      );
    return Embedder.load({ ...common, modelPath: opts.modelPath });
  }
  const e = pack.embedder;
  if (opts.projectionPath && e.kind !== 'onnx')
    throw new FaceError(
      'INVALID_INPUT',
      `a projection head applies to an ONNX embedder; pack ${pack.name} has the built-in net`,
    );
  if (e.kind === 'face-api-128') return Embedder.load({ ...common, graph: opts.graph });
  const bytes = await checkRole(dir, e.file, 'embedder');
  const projection = opts.projectionPath
    ? await projectionFromFile(opts.projectionPath)
    : e.projection
      ? await packProjection(dir, e.projection)
      : undefined;
  const embedder = await Embedder.load({
    ...common,
    threads: stageThreads(opts.threads, e.threads, opts.threadShare),
    network: { name: e.name, bytes, sha256: e.file.sha256, input: e.input },
    ...(projection ? { projection } : {}),
  });
  if (!opts.projectionPath && e.projection && embedder.dim !== e.projection.dim) {
    await embedder.close();
    throw new ModelError(
      'MODEL_MISMATCH',
      `pack ${pack.name}: ` +
        `projection ${e.projection.name} gives ${embedder.dim}-D embeddings, the pack says ${e.projection.dim}`,
    );
  }
  return embedder;
}

async function packProjection(dir: string, p: PackProjection): Promise<EmbedderProjection> {
  const bytes = await checkRole(dir, p.file, 'projection');
  return { name: p.name, bytes, sha256: p.file.sha256, inputName: p.inputName, outputName: p.outputName };
}

/** A projection head file from `facenet train` (any name: the model id carries its hash). */
async function projectionFromFile(file: string): Promise<EmbedderProjection> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new ModelError(
      'MODEL_LOAD_FAILED',
      `cannot read projection ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const role = routeModel(bytes).role;
  if (role !== 'projection')
    throw new ModelError(
      'MODEL_MISMATCH',
      `${file} is a ${role} model, not a projection head (from \`facenet train --arch head --pack\`)`,
    );
  return { name: 'head', bytes, sha256: sha256Hex(bytes), inputName: PROJECTION_INPUT, outputName: PROJECTION_OUTPUT };
}

/** Builds a pack's stages: its files are verified (SHA-256) before any of them is loaded. */
export async function loadPackStages(pack: PackDefinition, opts: StageLoadOptions = {}): Promise<PackStages> {
  const dir = modelsDir(opts.models);
  const common = {
    cacheDir: opts.cacheDir,
    threads: stageThreads(opts.threads, undefined, opts.threadShare),
    engine: opts.engine,
  };
  const settled = await Promise.allSettled([
    loadDetector(pack, opts, dir),
    pack.align.kind === 'dlib68' ? Landmarker.load(common) : Promise.resolve(undefined),
    loadEmbedder(pack, opts, dir),
  ] as const);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    // release what did load, then report the first failure
    await Promise.allSettled(settled.map((s) => (s.status === 'fulfilled' && s.value ? s.value.close() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  const [detector, landmarker, embedder] = settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
    FaceDetector,
    Landmarker | undefined,
    Embedder,
  ];
  return { detector, landmarker, embedder };
}
