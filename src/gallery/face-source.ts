/**
 * What the gallery needs from the face pipeline, and small helpers around image inputs.
 * `FaceRecognizer` (src/recognizer.ts) satisfies `GalleryRecognizer`; tests pass a fake with the same shape.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { Box, DetectOptions } from '../detect/types.js';
import type { CalibrationTable } from '../decide/calibration.js';
import type { StoredCalibration } from '../train/model-meta.js';
import { readImageBytes } from '../image/decode.js';
import { isRgbImage, type ImageInput, type RgbImage } from '../image/types.js';

export interface GalleryFace {
  readonly box: Box;
  /** Detector score in [0, 1]. */
  readonly score: number;
  /** The aligned chip the embedding was computed from (thumbnails are made from it). */
  readonly chip?: RgbImage;
  /** L2-normalised embedding. */
  readonly embedding: Float32Array;
}

/** The options of FaceRecognizer.embed the gallery passes through. */
export interface FaceFindOptions {
  /** The input is already an aligned face chip: skip detection. */
  aligned?: boolean;
  /** Detection settings (score threshold, minimum face size) for this call. */
  detect?: DetectOptions;
}

export interface GalleryRecognizer {
  /** Stored with every template: galleries never mix models. */
  readonly modelId: string;
  /** The embedding model's own calibration for exactly `modelId` (a `facenet train` model's validation table). */
  readonly calibration?: CalibrationTable;
  /** Why the model's own calibration does not apply to these embeddings (for the no-calibration error). */
  readonly calibrationNote?: string;
  /** Every face in the image with its embedding, best/largest first. */
  embed(img: ImageInput, opts?: FaceFindOptions): Promise<readonly GalleryFace[]>;
}

/** Human label for an input, for messages and reports. */
export function describeInput(input: ImageInput): string {
  if (typeof input === 'string') return input;
  if (isRgbImage(input)) return `<raw ${input.width}×${input.height} image>`;
  return `<buffer ${input.length} bytes>`;
}

/** SHA-256 (hex) of the encoded bytes, or of width, height and pixels for a raw image. Reads files. */
export async function inputSha256(input: ImageInput): Promise<string> {
  const h = createHash('sha256');
  if (isRgbImage(input)) {
    h.update(`raw:${input.width}x${input.height}:`);
    h.update(input.data);
  } else {
    h.update(await readImageBytes(input));
  }
  return h.digest('hex');
}

export const THUMBNAIL_SIZE = 64;

/** A small JPEG of an aligned chip. */
export async function chipThumbnail(chip: RgbImage, size = THUMBNAIL_SIZE): Promise<Uint8Array> {
  const jpeg = await sharp(Buffer.from(chip.data.buffer, chip.data.byteOffset, chip.data.byteLength), {
    raw: { width: chip.width, height: chip.height, channels: 3 },
  })
    .resize(size, size, { fit: 'fill' })
    .jpeg({ quality: 80 })
    .toBuffer();
  return new Uint8Array(jpeg);
}

/** Shorter side of the face box. */
export function faceSize(b: Box): number {
  return Math.min(b.width, b.height);
}

/**
 * Minimal shape of FaceRecognizer (or its worker pool) the adapter below needs (keeps this module free of the ONNX
 * pipeline).
 */
export interface FlippableRecognizer {
  readonly modelId: string;
  /** Whether its embeddings average the mirrored chip too by default (the pack's setting unless overridden). */
  readonly flip: boolean;
  /** Crop TTA paddings the recognizer averages over (part of the gallery's model id). */
  readonly ttaPaddings?: readonly number[];
  /** The model's own calibration and the TTA setting it was measured with. */
  readonly modelCalibration?: StoredCalibration;
  embed(img: ImageInput, opts?: FaceFindOptions & { flip?: boolean }): Promise<readonly GalleryFace[]>;
}

/**
 * The model id a gallery stores: test-time augmentation (extra crops, flip) changes every embedding (slightly) and
 * the calibrated thresholds with it, so galleries and calibrations of each setting are kept apart.
 */
export function galleryModelId(modelId: string, flip: boolean, ttaPaddings: readonly number[] = []): string {
  return `${modelId}${ttaPaddings.length ? `+crops${ttaPaddings.join(',')}` : ''}${flip ? '+flip' : ''}`;
}

/**
 * The pack a stored model id was made with: non-default packs prefix their name (`edgeface-xs:edgeface-xs@…`),
 * the dlib128 pack's ids predate packs (`face-recognition-128@…`); undefined for a model from `facenet train`.
 */
export function packOfModelId(modelId: string): string | undefined {
  const prefixed = /^([a-z0-9][a-z0-9.-]*):/.exec(modelId);
  if (prefixed) return prefixed[1];
  return modelId.startsWith('face-recognition-128@') ? 'dlib128' : undefined;
}

/**
 * The model's own calibration as a table for `galleryModelId(modelId, flip, ttaPaddings)`, only when it was measured
 * with that very pack (alignment) and TTA setting: a table is never carried over to embeddings it was not measured on.
 */
export function ownCalibrationFor(
  stored: StoredCalibration | undefined,
  modelId: string,
  flip: boolean,
  ttaPaddings: readonly number[] = [],
): CalibrationTable | undefined {
  if (!stored || stored.flip !== flip || stored.crops.join(',') !== ttaPaddings.join(',')) return undefined;
  // a custom model under dlib128 has no prefix
  if ((packOfModelId(modelId) ?? 'dlib128') !== stored.pack) return undefined;
  return { ...stored.table, modelId: galleryModelId(modelId, flip, ttaPaddings) };
}

/** The options that select the TTA a stored calibration was measured with, for messages. */
export function ttaFlagsOf(stored: StoredCalibration): string {
  return (
    `--pack ${stored.pack} ` +
    `--crops ${stored.crops.length ? stored.crops.join(',') : 'none'} ${stored.flip ? '--flip' : '--no-flip'}`
  );
}

/**
 * A FaceRecognizer seen by the gallery, with flip TTA fixed (default: the recognizer's own, i.e. the pack's, as every
 * CLI command and the server use) and the model id saying which TTA it uses.
 */
export function galleryRecognizer(fr: FlippableRecognizer, flip = fr.flip): GalleryRecognizer {
  const calibration = ownCalibrationFor(fr.modelCalibration, fr.modelId, flip, fr.ttaPaddings);
  return {
    modelId: galleryModelId(fr.modelId, flip, fr.ttaPaddings),
    ...(calibration ? { calibration } : {}),
    ...(fr.modelCalibration && !calibration
      ? {
          calibrationNote:
            "the model's own calibration (from facenet train) " +
            `was measured with ${ttaFlagsOf(fr.modelCalibration)}`,
        }
      : {}),
    embed: (img, opts) => fr.embed(img, { ...opts, flip }),
  };
}

/** What Gallery.open takes: a FaceRecognizer (or worker pool) with its own TTA, or an adapted GalleryRecognizer. */
export type RecognizerForGallery = GalleryRecognizer | FlippableRecognizer;

/** A FaceRecognizer becomes galleryRecognizer(fr) (its own TTA, as the CLI's galleries); a GalleryRecognizer stays. */
export function asGalleryRecognizer(r: RecognizerForGallery): GalleryRecognizer {
  return typeof (r as Partial<FlippableRecognizer>).flip === 'boolean'
    ? galleryRecognizer(r as FlippableRecognizer)
    : r;
}
