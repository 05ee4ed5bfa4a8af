/**
 * Training inputs of a projection head on a pack (`facenet train --arch head --pack P`): the pack's frozen
 * embeddings of every image of an identity-folder dataset, plain and mirrored, read through the evaluations'
 * shared embedding cache (same pipeline key, so an LFW folder that `facenet eval` has embedded costs nothing).
 * The images are embedded as evaluations embed them: the labelled face nearest the image centre.
 */
import path from 'node:path';
import { listIdentities, type ChipSet } from './data.js';
import type { HeadSource } from './model.js';
import { embedDataset } from '../eval/embed-dataset.js';
import { lfwImageRoot, readPairs } from '../eval/lfw-pairs.js';
import { resolvePack } from '../pack/router.js';
import type { PackDefinition } from '../pack/types.js';
import { FaceError } from '../errors.js';

/** What a head on this pack reads: the pack's chip size and embedding dimension. */
export function headSource(pack: PackDefinition): HeadSource {
  const e = pack.embedder;
  return {
    pack: pack.name,
    chipSize: pack.align.size,
    dim: e.kind === 'onnx' ? (e.projection?.dim ?? e.input.dim) : 128,
  };
}

/** The people named in LFW-format pairs files (both sides of every pair), e.g. to keep them out of training. */
export function peopleOfPairs(files: readonly string[]): Set<string> {
  const people = new Set<string>();
  for (const f of files)
    for (const p of readPairs(f, '').flat()) for (const img of [p.a, p.b]) people.add(path.basename(path.dirname(img)));
  return people;
}

export interface PackFeatureOptions {
  readonly pack: string;
  readonly models?: string;
  readonly acceptLicense?: boolean;
  /** Inference worker threads (default one per core; 0 = this thread). */
  readonly workers?: number;
  /** Embedding cache file (default the evaluations' eval-embeddings.db); false = none. */
  readonly cacheFile?: string | false;
  readonly exclude?: ReadonlySet<string>;
  readonly maxPerIdentity?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface PackFeatures {
  /** The images kept, by identity (no pixels: the head reads `features`). */
  readonly chips: ChipSet;
  readonly features: { readonly orig: Float32Array; readonly flipped: Float32Array };
  readonly source: HeadSource;
  readonly computed: number;
  readonly fromCache: number;
}

/**
 * The pack's embeddings of DIR/<person>/*.jpg (an LFW folder holding lfw/ works too). Images where the detector
 * found no face (the evaluations' centre-box fallback) are left out of training and listed as missing.
 */
export async function packFeatures(dataDir: string, o: PackFeatureOptions): Promise<PackFeatures> {
  const pack = resolvePack(o.pack);
  const source = headSource(pack);
  let ids = await listIdentities(lfwImageRoot(dataDir));
  if (o.exclude) ids = ids.filter((i) => !o.exclude!.has(i.name));
  if (o.maxPerIdentity) ids = ids.map((i) => ({ name: i.name, files: i.files.slice(0, o.maxPerIdentity) }));
  if (ids.length < 2)
    throw new FaceError('DATASET_MISSING', `${dataDir}: fewer than two identities left to train on`, { dir: dataDir });
  const files = ids.flatMap((i) => i.files);
  const { res } = await embedDataset(files, {
    recognizer: { pack: o.pack, models: o.models, acceptLicense: o.acceptLicense, flip: false },
    workers: o.workers,
    cacheFile: o.cacheFile,
    onProgress: o.onProgress,
  });
  const d = source.dim;
  const kept: string[] = [];
  const labels: number[] = [];
  const names: string[] = [];
  const missing: string[] = [];
  const orig = new Float32Array(files.length * d);
  const flipped = new Float32Array(files.length * d);
  for (const id of ids) {
    let n = 0;
    for (const f of id.files) {
      const e = res.embeddings.get(f)!;
      if (e.status === 'noface') {
        missing.push(f);
        continue;
      }
      if (e.embedding.length !== d)
        throw new FaceError(
          'MODEL_MISMATCH',
          `pack ${pack.name} gave a ${e.embedding.length}-D embedding for ${f}, expected ${d}`,
        );
      orig.set(e.embedding, kept.length * d);
      flipped.set(e.flipped, kept.length * d);
      kept.push(f);
      labels.push(names.length);
      n++;
    }
    if (n > 0) names.push(id.name);
  }
  return {
    chips: {
      size: source.chipSize,
      identities: names,
      files: kept,
      labels: Int32Array.from(labels),
      pixels: new Uint8Array(0),
      missing,
    },
    features: { orig: orig.slice(0, kept.length * d), flipped: flipped.slice(0, kept.length * d) },
    source,
    computed: res.computed,
    fromCache: res.fromCache,
  };
}
