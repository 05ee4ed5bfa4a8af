/**
 * What the ONNX 5-point detectors (YuNet, SCRFD) share: loading a model file onto the inference engine with a model
 * id from its bytes, and checking the image handed to detect().
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ortEngine } from '../engine/ort.js';
import type { InferenceEngine, InferenceSession } from '../engine/engine.js';
import { FaceError, ModelError } from '../errors.js';
import { validateRgbImage } from '../image/decode.js';
import { isRgbImage, type RgbImage } from '../image/types.js';

export interface OnnxDetectorLoadOptions {
  /** The .onnx file. */
  modelPath: string;
  /** Inference engine (default onnxruntime-node). */
  engine?: InferenceEngine;
  /** Intra-op threads for the engine; 0 or undefined lets it choose. */
  threads?: number;
}

export interface LoadedDetectorModel {
  readonly session: InferenceSession;
  /** `<name>@<first 12 hex digits of the file's sha256>` */
  readonly modelId: string;
}

/**
 * Reads `modelPath`, loads it and lets `check` verify the session's inputs and outputs (it returns a reason to
 * refuse, or undefined). Failures are ModelError MODEL_LOAD_FAILED (unreadable, not a model) or MODEL_MISMATCH
 * (a model, but not this network), each naming the file.
 */
export async function loadDetectorModel(
  name: string,
  label: string,
  opts: OnnxDetectorLoadOptions,
  check: (s: InferenceSession) => string | undefined,
): Promise<LoadedDetectorModel> {
  const file = opts?.modelPath;
  if (typeof file !== 'string' || file === '')
    throw new ModelError(
      'MODEL_LOAD_FAILED',
      `${label}: modelPath must name the .onnx file, got ${JSON.stringify(file)}`,
    );
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new ModelError(
      'MODEL_LOAD_FAILED',
      `cannot read the ${label} model ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { file },
      { cause: e },
    );
  }
  const modelId = `${name}@${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
  let session: InferenceSession;
  try {
    session = await (opts.engine ?? ortEngine).load(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      threads: opts.threads,
    });
  } catch (e) {
    throw new ModelError(
      'MODEL_LOAD_FAILED',
      `${file} is not a usable ${label} model: ${(e as Error).message}`,
      { file },
      { cause: e },
    );
  }
  const wrong = check(session);
  if (wrong) {
    await session.close();
    throw new ModelError('MODEL_MISMATCH', `${file} is not a ${label} model: ${wrong}`, { file });
  }
  return { session, modelId };
}

/** The image a detector is handed: FaceError INVALID_INPUT unless it is a well-formed RgbImage. */
export function checkDetectorImage(img: unknown): RgbImage {
  if (!isRgbImage(img))
    throw new FaceError(
      'INVALID_INPUT',
      `detect() needs a decoded image {width, height, data}, got ${img === null ? 'null' : typeof img}`,
    );
  return validateRgbImage(img, Number.MAX_SAFE_INTEGER);
}
