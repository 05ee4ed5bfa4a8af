/**
 * Image decoding with sharp: EXIF orientation applied, grey/CMYK/alpha/16-bit → 8-bit sRGB,
 * and a decode budget enforced from the header before any pixel is decoded:
 * - only raster formats we mean to read (JPEG, PNG, WebP, GIF, TIFF, AVIF); SVG only when `allowSvg`;
 * - width × height ≤ maxPixels;
 * - a bomb check: above BOMB_FLOOR_PIXELS, at most MAX_PIXELS_PER_BYTE declared pixels per encoded byte (a photo
 *   has 2–20; a 13 KB JPEG declaring 5000×5000 has 1900), so a small upload cannot buy a large decode;
 * - vector images (SVG) are rasterised only up to BOMB_FLOOR_PIXELS, whatever size they declare.
 * Every error is one line: libvips' multi-line texts are cut to their first line.
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
  /** Accept SVG (rendered by librsvg; declared sizes cost nothing to write). Default false. */
  allowSvg?: boolean;
}

/** Below this many pixels an image is decoded whatever its byte size (a flat 2 MP PNG may be a few KB). */
export const BOMB_FLOOR_PIXELS = 4_000_000;
/** Above the floor: the most pixels an image may declare per encoded byte. */
export const MAX_PIXELS_PER_BYTE = 250;
/** sharp's format names we decode (heif: AVIF only, as the prebuilt libvips has no HEVC decoder). */
const RASTER_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

const firstLine = (e: unknown) =>
  String((e as Error)?.message ?? e)
    .split('\n')[0]
    .trim();

export const DEFAULT_MAX_PIXELS = 40_000_000;
const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

function describe(input: ImageInput): string {
  return typeof input === 'string'
    ? input
    : Buffer.isBuffer(input) || input instanceof Uint8Array
      ? `<buffer ${input.length} bytes>`
      : '<raw image>';
}

export async function readImageBytes(
  input: string | Buffer | Uint8Array,
  maxBytes = DEFAULT_MAX_BYTES,
): Promise<Buffer> {
  if (typeof input !== 'string')
    return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let size: number;
  try {
    const st = await stat(input);
    if (!st.isFile()) throw new ImageError('IMAGE_NOT_FOUND', `${input} is not a file`, { source: input });
    size = st.size;
  } catch (e) {
    if (e instanceof FaceError) throw e;
    throw new ImageError(
      'IMAGE_NOT_FOUND',
      `cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { source: input },
    );
  }
  if (size > maxBytes)
    throw new ImageError('IMAGE_TOO_LARGE', `${input} is ${size} bytes, over the ${maxBytes}-byte limit`, {
      source: input,
      bytes: size,
      maxBytes,
    });
  return readFile(input);
}

export function validateRgbImage(img: RgbImage, maxPixels = DEFAULT_MAX_PIXELS): RgbImage {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw new FaceError('INVALID_INPUT', `raw image needs positive integer width and height, got ${width}×${height}`);
  if (width * height > maxPixels)
    throw new ImageError('IMAGE_TOO_LARGE', `${width}×${height} exceeds the ${maxPixels}-pixel limit`, {
      width,
      height,
      maxPixels,
    });
  if (!(data instanceof Uint8Array) || data.length !== width * height * 3)
    throw new FaceError(
      'INVALID_INPUT',
      `raw image data must be a Uint8Array of width*height*3 = ${width * height * 3} bytes, got ${data?.length}`,
    );
  return img;
}

/**
 * The decode budget, judged from the header alone (sharp's metadata: no pixel is decoded): the format, the pixel
 * limit and the bomb check. Cheap enough to run before an image waits for an inference slot (the server does).
 * Resolves to the density at which to rasterise an SVG (undefined for raster formats).
 */
export async function checkImageHeader(
  bytes: Buffer,
  opts: DecodeOptions = {},
  source = `<buffer ${bytes.length} bytes>`,
): Promise<{ density?: number }> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    // limitInputPixels: false here, we check the header ourselves to give our own error.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new ImageError(
      'IMAGE_UNSUPPORTED',
      `${source} is not a photo that can be read: use a JPEG, PNG, WebP, GIF, TIFF or AVIF file (${firstLine(e)})`,
      { source },
      { cause: e },
    );
  }
  const format = meta.format ?? 'unknown';
  if (format === 'svg' && !opts.allowSvg)
    throw new ImageError(
      'IMAGE_UNSUPPORTED',
      `${source} is SVG, which is off (enable it with allowSvg / --allow-svg)`,
      { source, format },
    );
  if (format === 'heif' && meta.compression !== 'av1')
    throw new ImageError(
      'IMAGE_UNSUPPORTED',
      `${source} is HEIC (${meta.compression ?? 'unknown'} compression), ` +
        'which this build cannot decode; convert it to JPEG',
      { source, format: 'heic' },
    );
  if (format !== 'svg' && !RASTER_FORMATS.has(format))
    throw new ImageError('IMAGE_UNSUPPORTED', `${source} is ${format}, not JPEG, PNG, WebP, GIF, TIFF or AVIF`, {
      source,
      format,
    });
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (!w || !h) throw new ImageError('IMAGE_CORRUPT', `${source} has no image dimensions`, { source });
  if (w * h > maxPixels)
    throw new ImageError(
      'IMAGE_TOO_LARGE',
      `${source} is ${w}×${h} = ${w * h} pixels, over the ${maxPixels}-pixel limit`,
      { source, width: w, height: h, maxPixels },
    );
  // SVG: rasterise no larger than the floor, whatever it declares
  const svgScale = format === 'svg' ? Math.min(1, Math.sqrt(BOMB_FLOOR_PIXELS / (w * h))) : 1;
  if (format !== 'svg' && w * h > BOMB_FLOOR_PIXELS && w * h > bytes.length * MAX_PIXELS_PER_BYTE)
    throw new ImageError(
      'IMAGE_TOO_LARGE',
      `${source} declares ${w}×${h} pixels in only ${bytes.length} bytes ` +
        `(over ${MAX_PIXELS_PER_BYTE} pixels per byte): refused as a decompression bomb`,
      { source, width: w, height: h, bytes: bytes.length, maxPixelsPerByte: MAX_PIXELS_PER_BYTE },
    );

  return { density: svgScale < 1 ? Math.max(1, Math.floor(72 * svgScale)) : undefined };
}

/** Decode a path, encoded bytes, or validate a raw RGB image. Always resolves to 8-bit sRGB RGB. */
export async function decodeImage(input: ImageInput, opts: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (isRgbImage(input)) return validateRgbImage(input, maxPixels);
  if (typeof input !== 'string' && !(input instanceof Uint8Array))
    throw new FaceError(
      'INVALID_INPUT',
      `expected a file path, a Buffer or {width, height, data}, got ${input === null ? 'null' : typeof input}`,
    );
  const bytes = await readImageBytes(input, opts.maxBytes);
  const source = describe(input);
  if (bytes.length === 0) throw new ImageError('IMAGE_EMPTY', `${source} is empty`, { source });

  const { density } = await checkImageHeader(bytes, opts, source);

  try {
    const { data, info } = await sharp(bytes, {
      limitInputPixels: maxPixels,
      failOn: 'error',
      pages: 1,
      ...(density ? { density } : {}),
    })
      .rotate() // EXIF orientation
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3)
      throw new ImageError('IMAGE_UNSUPPORTED', `${info.channels} colour channels after conversion to RGB`);
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  } catch (e) {
    throw new ImageError('IMAGE_CORRUPT', `${source} could not be decoded: ${firstLine(e)}`, { source }, { cause: e });
  }
}
