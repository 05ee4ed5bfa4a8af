/**
 * Training data: identity folders (DIR/<person>/*.jpg) → aligned 150×150 chips → chips at the model's input size.
 *
 * Aligned input (folders of 150×150 dlib chips, such as johns) is used as is. Other photos go once through the
 * face pipeline (detect, 68 landmarks, align; the face nearest the image centre when there are several) and
 * the chips are cached as PNG under the chip cache, one file per photo, so extraction resumes and is never
 * repeated. Chips are resized to the model input with the same bilinear resize the recognizer uses.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import writeFileAtomic from 'write-file-atomic';
import { FaceError, invariant } from '../errors.js';
import { decodeImage } from '../image/decode.js';
import { centralFace } from '../detect/box.js';
import { resizeBilinear } from '../image/transform.js';
import type { RgbImage } from '../image/types.js';
import { CHIP_SIZE } from '../embed/recognition-graph.js';
import { defaultCacheDir } from '../engine/model-store.js';
import type { Rng } from './rng.js';

const IMAGE_EXT = /\.(jpe?g|png|webp|bmp|tiff?)$/i;

export interface Identity {
  readonly name: string;
  /** Absolute image paths, sorted. */
  readonly files: readonly string[];
}

/** The identity folders of DIR, sorted by name; folders without images are skipped. */
export async function listIdentities(dir: string): Promise<Identity[]> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (e) {
    throw new FaceError(
      'DATASET_MISSING',
      `cannot read training data folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { dir },
    );
  }
  const out: Identity[] = [];
  for (const name of entries.sort()) {
    const files = (await readdir(path.join(dir, name)))
      .filter((f) => IMAGE_EXT.test(f))
      .sort()
      .map((f) => path.resolve(dir, name, f));
    if (files.length) out.push({ name, files });
  }
  if (out.length < 2)
    throw new FaceError(
      'DATASET_MISSING',
      `${dir} must hold at least two identity folders of images (DIR/<person>/*.jpg); found ${out.length}`,
      { dir },
    );
  return out;
}

/** Chips of a set of identities at one size, in memory. */
export interface ChipSet {
  /** Side S of every chip. */
  readonly size: number;
  readonly identities: readonly string[];
  /** Per chip: its source file and identity index. */
  readonly files: readonly string[];
  readonly labels: Int32Array;
  /** Interleaved RGB uint8, chip i at [i·S·S·3, (i+1)·S·S·3). */
  readonly pixels: Uint8Array;
  /** Source photos for which no face was found (left out). */
  readonly missing: readonly string[];
}

export type ChipSource = 'auto' | 'aligned' | 'detect';

/** Turns a photo into its 150×150 aligned chip, or null when it holds no face. */
export type ChipExtractor = (file: string) => Promise<RgbImage | null>;

export interface LoadChipsOptions {
  /** Model input size S. */
  size: number;
  /**
   * 'aligned': images are chips already; 'detect': run the pipeline; 'auto': aligned when the first image is 150×150.
   */
  source?: ChipSource;
  /** Where extracted chips are cached (default <cache>/train-chips/<hash of the data folder>). */
  chipCacheDir?: string;
  /** Face pipeline extractor (default: FaceRecognizer, loaded on demand). */
  extractor?: ChipExtractor;
  /** Default extractor: fall back to a centre box when no face is found (LFW-style photos). */
  centreFallback?: boolean;
  /** Only these identities (by name). */
  include?: ReadonlySet<string>;
  /** Leave these identities out (e.g. the evaluation people). */
  exclude?: ReadonlySet<string>;
  /** At most this many images per identity (first ones in name order). */
  maxPerIdentity?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface PipelineExtractorOptions {
  cacheDir?: string;
  threads?: number;
  /**
   * When no face is detected, take landmarks in a centre box (0.45 × the shorter side, as the LFW evaluation
   * does): right for photos centred on the face (LFW), wrong for arbitrary photos. Default false.
   */
  centreFallback?: boolean;
}

/** Default pipeline extractor: central face of the photo, dlib chip. */
export async function pipelineExtractor(
  opts: PipelineExtractorOptions = {},
): Promise<{ extract: ChipExtractor; close: () => Promise<void> }> {
  const { FaceRecognizer, stagesOf } = await import('../recognizer.js');
  const fr = await FaceRecognizer.load({ cacheDir: opts.cacheDir, threads: opts.threads });
  const stages = stagesOf(fr);
  return {
    async extract(file: string) {
      const img = await decodeImage(file);
      const face = centralFace(await stages.alignDecoded(img), img.width, img.height);
      if (face) return face.chip;
      if (!opts.centreFallback) return null;
      const side = 0.45 * Math.min(img.width, img.height);
      const [landmarks] = await stages.landmarksFor(img, [
        { x: (img.width - side) / 2, y: (img.height - side) / 2, width: side, height: side },
      ]);
      return stages.chipFor(img, landmarks);
    },
    close: () => fr.close(),
  };
}

export function defaultChipCacheDir(dataDir: string): string {
  const key = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  return path.join(defaultCacheDir(), 'train-chips', `${path.basename(path.resolve(dataDir))}-${key}`);
}

async function isAlignedDataset(ids: readonly Identity[]): Promise<boolean> {
  const meta = await sharp(ids[0].files[0]).metadata();
  return meta.width === CHIP_SIZE && meta.height === CHIP_SIZE;
}

/** The 150×150 chip for one photo, through the PNG chip cache. */
async function cachedChip(
  file: string,
  dataDir: string,
  cacheDir: string,
  extract: () => Promise<ChipExtractor>,
  retryNone = false,
): Promise<RgbImage | null> {
  const rel = path.relative(dataDir, file);
  const png = path.join(cacheDir, `${rel}.png`);
  const none = path.join(cacheDir, `${rel}.none`);
  if (existsSync(png)) return decodeImage(png);
  if (existsSync(none) && !retryNone) return null;
  const chip = await (await extract())(file);
  await mkdir(path.dirname(png), { recursive: true });
  if (!chip) {
    await writeFile(none, '');
    return null;
  }
  const bytes = await sharp(Buffer.from(chip.data.buffer, chip.data.byteOffset, chip.data.byteLength), {
    raw: { width: chip.width, height: chip.height, channels: 3 },
  })
    .png({ compressionLevel: 6 })
    .toBuffer();
  await writeFileAtomic(png, bytes, { fsync: false }); // a cache: atomic is enough
  return chip;
}

/**
 * Extract and cache the chips of these photos (paths inside dataDir) without loading them: lets a caller choose
 * the order (e.g. evaluation people first) of a long one-off extraction. Returns how many had no face.
 */
export async function warmChipCache(
  dataDir: string,
  files: readonly string[],
  opts: {
    chipCacheDir?: string;
    extractor?: ChipExtractor;
    centreFallback?: boolean;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<number> {
  const cacheDir = opts.chipCacheDir ?? defaultChipCacheDir(dataDir);
  let close: (() => Promise<void>) | undefined;
  let extractor = opts.extractor;
  const get = async () => {
    if (!extractor) {
      const p = await pipelineExtractor({ centreFallback: opts.centreFallback });
      extractor = p.extract;
      close = p.close;
    }
    return extractor;
  };
  let missing = 0;
  try {
    for (const [i, f] of files.entries()) {
      const rel = path.relative(dataDir, f);
      if (
        !existsSync(path.join(cacheDir, `${rel}.png`)) &&
        (opts.centreFallback || !existsSync(path.join(cacheDir, `${rel}.none`)))
      ) {
        if (!(await cachedChip(path.resolve(f), path.resolve(dataDir), cacheDir, get, !!opts.centreFallback)))
          missing++;
      }
      opts.onProgress?.(i + 1, files.length);
    }
  } finally {
    await close?.();
  }
  return missing;
}

/** Load (extracting and caching as needed) the chips of DIR's identities at size S. */
export async function loadChips(dataDir: string, opts: LoadChipsOptions): Promise<ChipSet> {
  let ids = await listIdentities(dataDir);
  if (opts.include) ids = ids.filter((i) => opts.include!.has(i.name));
  if (opts.exclude) ids = ids.filter((i) => !opts.exclude!.has(i.name));
  if (opts.maxPerIdentity) ids = ids.map((i) => ({ name: i.name, files: i.files.slice(0, opts.maxPerIdentity) }));
  const source = opts.source ?? 'auto';
  const aligned = source === 'aligned' || (source === 'auto' && (await isAlignedDataset(ids)));
  const cacheDir = opts.chipCacheDir ?? defaultChipCacheDir(dataDir);
  let extractor: ChipExtractor | undefined = opts.extractor;
  let close: (() => Promise<void>) | undefined;
  const getExtractor = async () => {
    if (!extractor) {
      const p = await pipelineExtractor({ centreFallback: opts.centreFallback });
      extractor = p.extract;
      close = p.close;
    }
    return extractor;
  };
  const S = opts.size;
  const total = ids.reduce((s, i) => s + i.files.length, 0);
  const pixels = new Uint8Array(total * S * S * 3);
  const files: string[] = [];
  const labels: number[] = [];
  const missing: string[] = [];
  const names: string[] = [];
  let done = 0;
  try {
    for (const id of ids) {
      const label = names.length;
      let kept = 0;
      for (const file of id.files) {
        const chip = aligned
          ? await decodeImage(file)
          : await cachedChip(file, dataDir, cacheDir, getExtractor, !!opts.centreFallback);
        done++;
        opts.onProgress?.(done, total);
        if (!chip) {
          missing.push(file);
          continue;
        }
        const r = resizeBilinear(chip, S, S);
        pixels.set(r.data, files.length * S * S * 3);
        files.push(file);
        labels.push(label);
        kept++;
      }
      if (kept > 0) names.push(id.name);
    }
  } finally {
    await close?.();
  }
  return {
    size: S,
    identities: names,
    files,
    labels: Int32Array.from(labels),
    pixels: pixels.slice(0, files.length * S * S * 3),
    missing,
  };
}

/** Indices of the chips of each identity. */
export function byIdentity(labels: ArrayLike<number>, nIdentities: number): number[][] {
  const out: number[][] = Array.from({ length: nIdentities }, () => []);
  for (let i = 0; i < labels.length; i++) out[labels[i]].push(i);
  return out;
}

export interface Split {
  /** Identity indices. */
  readonly train: number[];
  readonly val: number[];
}

/**
 * Split identities into train and validation. Validation identities are drawn (seeded) among those with at
 * least two images, so validation has genuine pairs; `valIdentities` overrides the fraction.
 */
export function splitIdentities(
  labels: ArrayLike<number>,
  nIdentities: number,
  rng: Rng,
  valFraction: number,
  valIdentities?: number,
): Split {
  const groups = byIdentity(labels, nIdentities);
  const multi = groups.map((g, i) => (g.length >= 2 ? i : -1)).filter((i) => i >= 0);
  let nVal = valIdentities ?? Math.round(valFraction * multi.length);
  if (nVal === 1) nVal = 2; // one identity gives no impostor pairs
  nVal = Math.min(nVal, Math.max(0, multi.length - 2));
  const val = new Set(rng.sample(multi, nVal));
  const train: number[] = [];
  for (let i = 0; i < nIdentities; i++) if (!val.has(i) && groups[i].length > 0) train.push(i);
  return { train, val: [...val].sort((a, b) => a - b) };
}

/**
 * P identities × K images per batch, plus some single-image identities as extra negatives.
 * Identities are visited in a shuffled order, reshuffled after each pass (an epoch); images within an identity
 * are sampled without replacement (all of them when it has fewer than K).
 */
export class PKSampler {
  private order: number[] = [];
  private pos = 0;
  readonly multi: number[];
  readonly singles: number[];
  epoch = 0;

  constructor(
    private readonly groups: readonly (readonly number[])[],
    identities: readonly number[],
    readonly P: number,
    readonly K: number,
    readonly negatives: number,
    private readonly rng: Rng,
  ) {
    this.multi = identities.filter((i) => groups[i].length >= 2);
    this.singles = identities.filter((i) => groups[i].length === 1);
    if (this.multi.length < 2)
      throw new FaceError(
        'DATASET_MISSING',
        `training needs at least two identities with two or more images; found ${this.multi.length}`,
      );
    this.reshuffle();
  }

  /** Where the sampler is in its pass (for checkpoints). */
  state(): { order: number[]; pos: number; epoch: number } {
    return { order: [...this.order], pos: this.pos, epoch: this.epoch };
  }

  setState(s: { order: number[]; pos: number; epoch: number }): void {
    this.order = [...s.order];
    this.pos = s.pos;
    this.epoch = s.epoch;
  }

  /** Batches per pass over the multi-image identities. */
  get stepsPerEpoch(): number {
    return Math.ceil(this.multi.length / Math.min(this.P, this.multi.length));
  }

  private reshuffle(): void {
    this.order = this.rng.shuffle([...this.multi]);
    this.pos = 0;
  }

  /** Next batch: chip indices and their identity labels. */
  next(): { indices: number[]; labels: number[] } {
    const P = Math.min(this.P, this.multi.length);
    const chosen: number[] = [];
    while (chosen.length < P) {
      if (this.pos >= this.order.length) {
        this.epoch++;
        this.reshuffle();
      }
      const id = this.order[this.pos++];
      if (!chosen.includes(id)) chosen.push(id);
    }
    const indices: number[] = [];
    const labels: number[] = [];
    for (const id of chosen) {
      for (const i of this.rng.sample(this.groups[id], this.K)) {
        indices.push(i);
        labels.push(id);
      }
    }
    for (const id of this.rng.sample(this.singles, this.negatives)) {
      indices.push(this.groups[id][0]);
      labels.push(id);
    }
    return { indices, labels };
  }
}

export interface AugmentOptions {
  /** Mirror with probability ½. */
  flip: boolean;
  /** Largest shift in pixels, each axis (edges replicate). */
  shift: number;
  /** Brightness/contrast jitter amplitude (0 = none): x → (x − 128)·c + 128 + b, c ∈ 1±j, b ∈ ±64j. */
  jitter: number;
}

export const NO_AUGMENT: AugmentOptions = { flip: false, shift: 0, jitter: 0 };

/** Write chips `indices` as NHWC float32 0..255 into `out`, augmented (seeded). */
export function fillBatch(
  chips: ChipSet,
  indices: readonly number[],
  out: Float32Array,
  rng: Rng,
  aug: AugmentOptions = NO_AUGMENT,
): void {
  const S = chips.size;
  const per = S * S * 3;
  invariant(out.length >= indices.length * per, 'fillBatch: output buffer too small');
  indices.forEach((idx, n) => {
    const src = chips.pixels.subarray(idx * per, (idx + 1) * per);
    const dst = n * per;
    const flip = aug.flip && rng.next() < 0.5;
    const dx = aug.shift ? rng.int(2 * aug.shift + 1) - aug.shift : 0;
    const dy = aug.shift ? rng.int(2 * aug.shift + 1) - aug.shift : 0;
    const c = aug.jitter ? 1 + (rng.next() * 2 - 1) * aug.jitter : 1;
    const b = aug.jitter ? (rng.next() * 2 - 1) * 64 * aug.jitter : 0;
    for (let y = 0; y < S; y++) {
      const sy = Math.min(S - 1, Math.max(0, y + dy));
      for (let x = 0; x < S; x++) {
        let sx = Math.min(S - 1, Math.max(0, x + dx));
        if (flip) sx = S - 1 - sx;
        const s = (sy * S + sx) * 3;
        const d = dst + (y * S + x) * 3;
        for (let k = 0; k < 3; k++) {
          const v = (src[s + k] - 128) * c + 128 + b;
          out[d + k] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      }
    }
  });
}
