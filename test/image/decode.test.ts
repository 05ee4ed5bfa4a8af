import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../../src/image/decode.js';
import { FaceError } from '../../src/errors.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-decode-'));

async function sampleJpeg(): Promise<Buffer> {
  // a gradient, so truncation actually loses scan data
  const w = 320;
  const h = 240;
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    raw[3 * i] = i % 256;
    raw[3 * i + 1] = (i >> 3) % 256;
    raw[3 * i + 2] = (i * 13) % 256;
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

async function expectCode(
  input: Parameters<typeof decodeImage>[0],
  code: string,
  opts?: Parameters<typeof decodeImage>[1],
) {
  await assert.rejects(decodeImage(input, opts), (e: unknown) => {
    assert.ok(e instanceof FaceError, `expected a FaceError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

test('zero-byte file → IMAGE_EMPTY', async () => {
  const f = path.join(dir, 'empty.jpg');
  writeFileSync(f, '');
  await expectCode(f, 'IMAGE_EMPTY');
  await expectCode(Buffer.alloc(0), 'IMAGE_EMPTY');
});

test('truncated JPEG → IMAGE_CORRUPT', async () => {
  const jpg = await sampleJpeg();
  const f = path.join(dir, 'truncated.jpg');
  writeFileSync(f, jpg.subarray(0, Math.floor(jpg.length / 2)));
  await expectCode(f, 'IMAGE_CORRUPT');
});

test('text file named .jpg → IMAGE_UNSUPPORTED, with what to use instead and no library name', async () => {
  const f = path.join(dir, 'notes.jpg');
  writeFileSync(f, 'this is not a picture\n');
  await expectCode(f, 'IMAGE_UNSUPPORTED');
  await assert.rejects(decodeImage(f), (e: Error) => {
    assert.match(e.message, /use a JPEG, PNG, WebP, GIF, TIFF or AVIF file/);
    assert.doesNotMatch(e.message, /sharp|vips/i);
    return true;
  });
});

test('PNG whose header claims 30000×30000 → IMAGE_TOO_LARGE before decoding', async () => {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } })
    .png()
    .toBuffer();
  png.writeUInt32BE(30000, 16); // IHDR width
  png.writeUInt32BE(30000, 20); // IHDR height
  const f = path.join(dir, 'huge.png');
  writeFileSync(f, png);
  await expectCode(f, 'IMAGE_TOO_LARGE');
});

test('pixel limit is configurable', async () => {
  const jpg = await sampleJpeg();
  await expectCode(jpg, 'IMAGE_TOO_LARGE', { maxPixels: 1000 });
  const img = await decodeImage(jpg, { maxPixels: 320 * 240 });
  assert.equal(img.width * img.height, 320 * 240);
});

test('missing file, directory, wrong types → typed errors', async () => {
  await expectCode(path.join(dir, 'nope.jpg'), 'IMAGE_NOT_FOUND');
  await expectCode(dir, 'IMAGE_NOT_FOUND');
  await expectCode(42 as unknown as string, 'INVALID_INPUT');
  await expectCode(null as unknown as string, 'INVALID_INPUT');
  await expectCode({ width: 2, height: 2, data: new Uint8Array(5) }, 'INVALID_INPUT');
  await expectCode({ width: -1, height: 2, data: new Uint8Array(0) }, 'INVALID_INPUT');
});

test('grey, CMYK, alpha and 16-bit inputs become 8-bit sRGB RGB of the same picture', async () => {
  const jpg = await sampleJpeg();
  const ref = await decodeImage(jpg);
  assert.equal(ref.data.length, 320 * 240 * 3);
  const mean = (d: Uint8Array) => d.reduce((s, v) => s + v, 0) / d.length;
  const variants: [string, Buffer][] = [
    ['grey', await sharp(jpg).greyscale().png().toBuffer()],
    ['cmyk', await sharp(jpg).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer()],
    ['alpha', await sharp(jpg).ensureAlpha(0.5).png().toBuffer()],
    ['16-bit', await sharp(jpg).toColourspace('rgb16').png().toBuffer()],
  ];
  for (const [name, buf] of variants) {
    const img = await decodeImage(buf);
    assert.equal(img.width, 320, name);
    assert.equal(img.height, 240, name);
    assert.equal(img.data.length, 320 * 240 * 3, name);
    assert.ok(Math.abs(mean(img.data) - mean(ref.data)) < 12, `${name}: mean ${mean(img.data)} vs ${mean(ref.data)}`);
  }
});

test('EXIF orientation is applied', async () => {
  const jpg = await sampleJpeg();
  const rotated = await sharp(jpg).withMetadata({ orientation: 6 }).jpeg().toBuffer(); // 90° clockwise
  const img = await decodeImage(rotated);
  assert.equal(img.width, 240);
  assert.equal(img.height, 320);
  // the raw bytes really are stored landscape
  const meta = await sharp(rotated).metadata();
  assert.equal(meta.width, 320);
});
