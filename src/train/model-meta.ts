/**
 * Reads what a model exported by `facenet train` records about itself (ONNX metadata_props):
 * `facenet.input_size`, `facenet.arch`, `facenet.settings` (JSON), `facenet.mean` / `facenet.std` (JSON arrays,
 * the normalisation the graph applies internally to 0..255 input). Depends only on onnx-proto, not on tfjs.
 */
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { ModelError } from '../errors.js';

export interface ModelMeta {
  /** Side S of the square chip the model takes ([N, 3, S, S], RGB 0..255). */
  readonly inputSize: number;
  /** 'small' | 'head', or undefined for a model not made by `facenet train`. */
  readonly arch?: string;
  readonly embeddingDim?: number;
  readonly mean?: number[];
  readonly std?: number[];
  /** Training settings as recorded (parsed JSON). */
  readonly settings?: Record<string, unknown>;
  readonly inputName: string;
  readonly outputName: string;
  /** Every metadata entry, raw. */
  readonly props: Record<string, string>;
}

export const META_KEYS = {
  inputSize: 'facenet.input_size',
  arch: 'facenet.arch',
  settings: 'facenet.settings',
  mean: 'facenet.mean',
  std: 'facenet.std',
  embeddingDim: 'facenet.embedding_dim',
} as const;

export async function readModelMeta(model: Uint8Array | string): Promise<ModelMeta> {
  let bytes: Uint8Array;
  if (typeof model === 'string') {
    try {
      bytes = new Uint8Array(await readFile(model));
    } catch (e) {
      throw new ModelError('MODEL_LOAD_FAILED', `cannot read model ${model}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else bytes = model;
  let proto: InstanceType<typeof onnxProto.onnx.ModelProto>;
  try {
    proto = onnxProto.onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelError('MODEL_LOAD_FAILED', `not an ONNX model: ${(e as Error).message}`);
  }
  const props: Record<string, string> = {};
  for (const p of proto.metadataProps ?? []) if (p.key) props[p.key] = p.value ?? '';
  const json = <T>(key: string): T | undefined => {
    if (props[key] === undefined) return undefined;
    try {
      return JSON.parse(props[key]) as T;
    } catch {
      throw new ModelError('MODEL_LOAD_FAILED', `model metadata ${key} is not valid JSON`);
    }
  };
  const graph = proto.graph;
  const inputName = graph?.input?.[0]?.name ?? '';
  const outputName = graph?.output?.[0]?.name ?? '';
  // input size: metadata first, else the input's declared spatial dims
  let inputSize = props[META_KEYS.inputSize] !== undefined ? Number(props[META_KEYS.inputSize]) : NaN;
  if (!Number.isFinite(inputSize)) {
    const dims = graph?.input?.[0]?.type?.tensorType?.shape?.dim ?? [];
    const v = dims[3]?.dimValue;
    inputSize = v === undefined || v === null ? NaN : Number(v);
  }
  if (!Number.isInteger(inputSize) || inputSize <= 0) throw new ModelError('MODEL_LOAD_FAILED', `model declares no valid input size (${props[META_KEYS.inputSize]})`);
  const dim = props[META_KEYS.embeddingDim];
  return {
    inputSize,
    arch: props[META_KEYS.arch],
    embeddingDim: dim !== undefined ? Number(dim) : undefined,
    mean: json<number[]>(META_KEYS.mean),
    std: json<number[]>(META_KEYS.std),
    settings: json<Record<string, unknown>>(META_KEYS.settings),
    inputName,
    outputName,
    props,
  };
}
