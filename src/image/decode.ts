/**
 * Image decoding with sharp: EXIF orientation applied, grey/CMYK/alpha/16-bit → 8-bit sRGB,
 * and a pixel limit enforced before any pixel is decoded.
 */
import sharp from 'sharp';
import { readFile, stat } from 'node:fs/promises';
import { ImageError, FaceError } from '../errors.js';
import { isRgbImage, type ImageInput, type RgbImage } from './types.js';

export interface DecodeOptions {
  /** Largest accepted width × height. Default 40 megapixels. */
  maxPixels?: number;
  /** Largest accepted encoded file, bytes. Default 50 MB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_PIXELS = 40_000_000;
const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

function describe(input: ImageInput): string {
  return typeof input === 'string' ? input : Buffer.isBuffer(input) || input instanceof Uint8Array ? `<buffer ${input.length} bytes>` : '<raw image>';
}

export async function readImageBytes(input: string | Buffer | Uint8Array, maxBytes = DEFAULT_MAX_BYTES): Promise<Buffer> {
  if (typeof input !== 'string') return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let size: number;
  try {
    const st = await stat(input);
    if (!st.isFile()) throw new ImageError('IMAGE_NOT_FOUND', `${input} is not a file`, { source: input });
    size = st.size;
  } catch (e) {
    if (e instanceof FaceError) throw e;
    throw new ImageError('IMAGE_NOT_FOUND', `cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { source: input });
  }
  if (size > maxBytes) throw new ImageError('IMAGE_TOO_LARGE', `${input} is ${size} bytes, over the ${maxBytes}-byte limit`, { source: input, bytes: size, maxBytes });
  return readFile(input);
}

export function validateRgbImage(img: RgbImage, maxPixels = DEFAULT_MAX_PIXELS): RgbImage {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw new FaceError('INVALID_INPUT', `raw image needs positive integer width and height, got ${width}×${height}`);
  if (width * height > maxPixels) throw new ImageError('IMAGE_TOO_LARGE', `${width}×${height} exceeds the ${maxPixels}-pixel limit`, { width, height, maxPixels });
  if (!(data instanceof Uint8Array) || data.length !== width * height * 3)
    throw new FaceError('INVALID_INPUT', `raw image data must be a Uint8Array of width*height*3 = ${width * height * 3} bytes, got ${data?.length}`);
  return img;
}

/** Decode a path, encoded bytes, or validate a raw RGB image. Always resolves to 8-bit sRGB RGB. */
export async function decodeImage(input: ImageInput, opts: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (isRgbImage(input)) return validateRgbImage(input, maxPixels);
  if (typeof input !== 'string' && !(input instanceof Uint8Array))
    throw new FaceError('INVALID_INPUT', `expected a file path, a Buffer or {width, height, data}, got ${input === null ? 'null' : typeof input}`);
  const bytes = await readImageBytes(input, opts.maxBytes);
  const source = describe(input);
  if (bytes.length === 0) throw new ImageError('IMAGE_EMPTY', `${source} is empty`, { source });

  let meta: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    // limitInputPixels: false here, we check the header ourselves to give our own error.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new ImageError('IMAGE_UNSUPPORTED', `${source} is not an image sharp can read (${(e as Error).message})`, { source }, { cause: e });
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (!w || !h) throw new ImageError('IMAGE_CORRUPT', `${source} has no image dimensions`, { source });
  if (w * h > maxPixels)
    throw new ImageError('IMAGE_TOO_LARGE', `${source} is ${w}×${h} = ${w * h} pixels, over the ${maxPixels}-pixel limit`, { source, width: w, height: h, maxPixels });

  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 })
      .rotate() // EXIF orientation
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels after conversion`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (e) {
    throw new ImageError('IMAGE_CORRUPT', `${source} could not be decoded: ${(e as Error).message}`, { source }, { cause: e });
  }
}
