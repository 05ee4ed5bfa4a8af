/**
 * A stand-in for FaceRecognizer with the same shape, for tests that must not depend on the networks.
 *
 * Images are decoded for real (so empty / corrupt / missing inputs raise the real typed errors), then read as a code:
 * pixel (0,0) red = identity (0..255), green = number of faces (0..3), blue = photo variant (adds small noise).
 * Identity i's embedding is a fixed random unit vector; variants of it lie at distance ≈ `noise`·√2 from each other.
 */
import sharp from 'sharp';
import { calibrate, type CalibrationTable } from '../../src/decide/calibration.js';
import type { GalleryFace, GalleryRecognizer, FaceFindOptions } from '../../src/gallery/face-source.js';
import { decodeImage } from '../../src/image/decode.js';
import type { ImageInput, RgbImage } from '../../src/image/types.js';
import { seededRandom } from '../../src/eval/identify.js';

export const FAKE_MODEL = 'fake-model@1';
export const DIM = 128;

/** The project's seeded PRNG (mulberry32). */
export const mulberry32 = seededRandom;

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  return v.map((x) => x / n);
}

export function randomUnit(seed: number, dim = DIM): Float32Array {
  const r = mulberry32(seed);
  return unit(Float32Array.from({ length: dim }, () => gaussian(r)));
}

/** Identity `id`, photo `variant`: the identity vector plus noise, renormalised. */
export function fakeEmbedding(id: number, variant: number, noise = 0.25): Float32Array {
  const base = randomUnit(1000 + id);
  if (variant === 0) return base;
  const r = mulberry32(id * 7919 + variant * 104729);
  return unit(base.map((x) => x + (noise / Math.sqrt(DIM)) * gaussian(r)));
}

/** A raw image whose code pixel says: identity, faces, variant. */
export function codedImage(id: number, faces = 1, variant = 0, size = 32): RgbImage {
  const data = new Uint8Array(size * size * 3).fill(90);
  data[0] = id;
  data[1] = faces;
  data[2] = variant;
  return { width: size, height: size, data };
}

/** The same as a PNG file's bytes (lossless, so the code survives). */
export async function codedPng(id: number, faces = 1, variant = 0): Promise<Buffer> {
  const img = codedImage(id, faces, variant);
  return sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } })
    .png()
    .toBuffer();
}

export class FakeRecognizer implements GalleryRecognizer {
  calls = 0;
  constructor(readonly modelId = FAKE_MODEL) {}

  async embed(img: ImageInput, _opts?: FaceFindOptions): Promise<GalleryFace[]> {
    this.calls++;
    const rgb = await decodeImage(img);
    const [id, faces, variant] = [rgb.data[0], rgb.data[1], rgb.data[2]];
    const chip: RgbImage = { width: 150, height: 150, data: new Uint8Array(150 * 150 * 3).fill(id) };
    return Array.from({ length: faces }, (_, i) => ({
      // first face largest
      box: { x: 10 * i, y: 0, width: 100 - 20 * i, height: 100 - 20 * i },
      score: 0.99 - i * 0.1,
      chip,
      embedding: fakeEmbedding(id + i * 50, variant),
    }));
  }
}

/**
 * A calibration for the fake model from synthetic pairs of fake embeddings (many impostors: resolves 1e-5). With
 * `probeModelId`, a cross-variant table; `stretch` scales every distance (another τ for the same FAR).
 */
export function fakeCalibration(modelId = FAKE_MODEL, probeModelId?: string, stretch = 1): CalibrationTable {
  const pairs: { distance: number; same: boolean }[] = [];
  const d = (a: Float32Array, b: Float32Array) => Math.hypot(...a.map((x, i) => x - b[i]));
  const embs = Array.from({ length: 60 }, (_, id) =>
    Array.from({ length: 4 }, (_, v) => fakeEmbedding(200 + id, v + 1)),
  );
  for (let i = 0; i < embs.length; i++)
    for (let j = i; j < embs.length; j++)
      for (let a = 0; a < 4; a++)
        for (let b = 0; b < 4; b++) {
          if (i === j && b <= a) continue;
          pairs.push({ distance: stretch * d(embs[i][a], embs[j][b]), same: i === j });
        }
  return calibrate(pairs, { modelId, probeModelId, source: 'synthetic fake-model pairs' });
}
