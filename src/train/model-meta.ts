/**
 * Reads what a model exported by `facenet train` records about itself (ONNX metadata_props):
 * `facenet.input_size`, `facenet.arch`, `facenet.settings` (JSON), `facenet.mean` / `facenet.std` (JSON arrays,
 * the normalisation the graph applies internally to 0..255 input). Depends only on onnx-proto, not on tfjs.
 */
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { ModelError } from '../errors.js';
import { parseCalibrationTable, type CalibrationTable } from '../decide/calibration.js';

/**
 * The calibration `facenet train` measured on its validation split, stored inside the model it describes. Its table
 * has no model id (the id is a hash of these very bytes); it holds for this model embedding chips the way training
 * validated them: no crop TTA, flip as recorded.
 */
export interface StoredCalibration {
  /** Flip TTA on the validation chips. */
  readonly flip: boolean;
  /** Crop TTA paddings on the validation chips (empty: the plain chip only). */
  readonly crops: readonly number[];
  /** How the validation chips were made (e.g. the chip source of `facenet train`). */
  readonly chips: string;
  /** The pack whose alignment made the chips (training extracts chips with the default pack). */
  readonly pack: string;
  readonly table: CalibrationTable;
}

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
  /** The calibration measured by `facenet train` on its validation split, when it stored one. */
  readonly calibration?: StoredCalibration;
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
  calibration: 'facenet.calibration',
  /** Projection heads: the dimension of the pack embedding they take, and that pack. */
  inputDim: 'facenet.input_dim',
  pack: 'facenet.pack',
} as const;

/** The metadata entry for a stored calibration. */
export function calibrationProp(c: StoredCalibration): Record<string, string> {
  return { [META_KEYS.calibration]: JSON.stringify(c) };
}

function parseStoredCalibration(v: unknown): StoredCalibration {
  const c = v as Partial<StoredCalibration> | null;
  if (
    !c ||
    typeof c.flip !== 'boolean' ||
    !Array.isArray(c.crops) ||
    !c.crops.every((x) => typeof x === 'number') ||
    typeof c.chips !== 'string' ||
    typeof c.pack !== 'string'
  )
    throw new ModelError('MODEL_LOAD_FAILED', `model metadata ${META_KEYS.calibration} is not a stored calibration`);
  let table: CalibrationTable;
  try {
    table = parseCalibrationTable(c.table, `model metadata ${META_KEYS.calibration}`);
  } catch (e) {
    throw new ModelError('MODEL_LOAD_FAILED', (e as Error).message);
  }
  return { flip: c.flip, crops: c.crops, chips: c.chips, pack: c.pack, table };
}

export async function readModelMeta(model: Uint8Array | string): Promise<ModelMeta> {
  let bytes: Uint8Array;
  if (typeof model === 'string') {
    try {
      bytes = new Uint8Array(await readFile(model));
    } catch (e) {
      throw new ModelError(
        'MODEL_LOAD_FAILED',
        `cannot read model ${model}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
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
  if (!Number.isInteger(inputSize) || inputSize <= 0)
    throw new ModelError('MODEL_LOAD_FAILED', `model declares no valid input size (${props[META_KEYS.inputSize]})`);
  const dim = props[META_KEYS.embeddingDim];
  const calibration = json<unknown>(META_KEYS.calibration);
  return {
    inputSize,
    arch: props[META_KEYS.arch],
    embeddingDim: dim !== undefined ? Number(dim) : undefined,
    mean: json<number[]>(META_KEYS.mean),
    std: json<number[]>(META_KEYS.std),
    settings: json<Record<string, unknown>>(META_KEYS.settings),
    ...(calibration !== undefined ? { calibration: parseStoredCalibration(calibration) } : {}),
    inputName,
    outputName,
    props,
  };
}
