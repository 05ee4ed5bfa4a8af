/**
 * Where calibration pairs come from: an LFW pairs file (View 1 `pairsDevTrain.txt` by default), optionally expanded
 * to every pair of its images, or a plain list of labelled image pairs. Embeddings are computed (and cached) by the
 * evaluation's image embedder, so calibration and `eval lfw` share one cache.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FaceError } from '../errors.js';
import { lfwImageRoot, readPairs, type LfwPair } from '../eval/lfw-pairs.js';
import type { ScoredPair } from '../eval/roc.js';
import { distanceFromDot, dot } from '../embed/vector.js';

export interface CalibrationPlan {
  /** Images to embed. */
  readonly files: readonly string[];
  /** Listed pairs (empty in exhaustive mode). */
  readonly pairs: readonly LfwPair[];
  /** Exhaustive mode: identity of each image; every pair of distinct images is scored. */
  readonly identities?: ReadonlyMap<string, string>;
  /** Human description, stored with the table. */
  readonly source: string;
}

/** Identity of an LFW image from its folder name. */
function lfwIdentity(file: string): string {
  return path.basename(path.dirname(file));
}

/** LFW pairs file → plan. `exhaustive`: every pair of the file's images, labelled by folder name. */
export function lfwCalibrationPlan(
  dataDir: string,
  pairsName = 'pairsDevTrain.txt',
  exhaustive = false,
): CalibrationPlan {
  const pairsFile =
    path.isAbsolute(pairsName) || pairsName.includes(path.sep) ? pairsName : path.join(dataDir, pairsName);
  const pairs = readPairs(pairsFile, lfwImageRoot(dataDir)).flat();
  const files = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort();
  const base = `LFW ${path.basename(pairsFile)}`;
  if (!exhaustive) return { files, pairs, source: `${base} (${pairs.length} listed pairs)` };
  const n = files.length;
  const count = ((n * (n - 1)) / 2).toLocaleString('en-US');
  return {
    files,
    pairs: [],
    identities: new Map(files.map((f) => [f, lfwIdentity(f)])),
    source: `${base}: all ${count} pairs of its ${n} images, labelled by identity`,
  };
}

const SAME = new Set(['1', 'same', 'true', 'yes', 'match', 'genuine']);
const DIFF = new Set(['0', 'diff', 'different', 'false', 'no', 'nonmatch', 'impostor']);

/**
 * A labelled pairs list: one pair per line, `IMAGE_A  IMAGE_B  LABEL` (tab-separated when the line has tabs,
 * else whitespace), LABEL 1/same/true or 0/diff/false; `#` comments; relative paths are relative to the file.
 */
export function readPairsList(file: string): CalibrationPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FaceError(
      'DATASET_MISSING',
      `pairs file not found: ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      { file },
    );
  }
  const dir = path.dirname(file);
  const pairs: LfwPair[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const t = line.includes('\t') ? line.split('\t').map((s) => s.trim()) : line.split(/\s+/);
    const label = t[2]?.toLowerCase();
    if (t.length !== 3 || !label || !(SAME.has(label) || DIFF.has(label)))
      throw new FaceError('INVALID_INPUT', `${file}:${i + 1}: expected "IMAGE_A IMAGE_B 1|0", got "${line}"`);
    pairs.push({ a: path.resolve(dir, t[0]), b: path.resolve(dir, t[1]), same: SAME.has(label) });
  });
  if (!pairs.length) throw new FaceError('INVALID_INPUT', `${file} lists no pairs`);
  return {
    files: [...new Set(pairs.flatMap((p) => [p.a, p.b]))],
    pairs,
    source: `${path.basename(file)} (${pairs.length} listed pairs)`,
  };
}

/**
 * Score the plan's pairs from per-image embeddings (unit vectors). With `probeEmbeddingOf` (a cross-variant table:
 * gallery side of one TTA variant, probe side of another) the first image of each pair (`a`; in exhaustive mode the
 * one listed first) is taken from `embeddingOf` and the second from `probeEmbeddingOf`: the same pairs as a
 * same-variant table, so the two are compared pair for pair.
 */
export function scorePlan(
  plan: CalibrationPlan,
  embeddingOf: (file: string) => Float32Array,
  probeEmbeddingOf = embeddingOf,
): ScoredPair[] {
  const getter = (of: (file: string) => Float32Array) => (f: string) => {
    const e = of(f);
    if (!e) throw new FaceError('CALIBRATION_ERROR', `no embedding for ${f}`);
    return e;
  };
  const [gallery, probe] = [getter(embeddingOf), getter(probeEmbeddingOf)];
  if (!plan.identities)
    return plan.pairs.map((p) => ({ distance: distanceFromDot(dot(gallery(p.a), probe(p.b))), same: p.same }));
  const files = plan.files;
  const embs = files.map(gallery);
  const probes = probeEmbeddingOf === embeddingOf ? embs : files.map(probe);
  const ids = files.map((f) => plan.identities!.get(f));
  const out: ScoredPair[] = [];
  for (let i = 0; i < files.length; i++)
    for (let j = i + 1; j < files.length; j++)
      out.push({ distance: distanceFromDot(dot(embs[i], probes[j])), same: ids[i] === ids[j] });
  return out;
}
