/**
 * CFP (Celebrities in Frontal-Profile, Sengupta et al., WACV 2016): frontal–frontal (FF) and frontal–profile (FP)
 * verification over the protocol's identity-disjoint folds, in its original layout:
 *   Data/Images/NNN/{frontal,profile}/NN.jpg
 *   Protocol/Pair_list_F.txt, Pair_list_P.txt   `index ../Data/Images/NNN/side/NN.jpg` (1-based)
 *   Protocol/Split/{FF,FP}/NN/{same,diff}.txt    `i,j`: i into the F list, j into F (FF) or P (FP)
 * Whatever folds the folder holds are used (2 for ../shared/datasets/cfp-dev, 10 for the full set).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FaceError } from '../errors.js';
import { distanceFromDot } from '../embed/vector.js';
import type { LfwPair } from './lfw-pairs.js';
import { tenFold, type LfwResult } from './lfw.js';
import { equalErrorRate, rocCurve, tarAtFar, type ScoredPair } from './roc.js';

export const CFP_PROTOCOLS = ['FF', 'FP'] as const;
export type CfpProtocol = (typeof CFP_PROTOCOLS)[number];

export interface CfpPerson {
  /** The identity folder's name, e.g. `001`. */
  readonly id: string;
  /** Frontal and profile photos, in list order. */
  readonly frontal: readonly string[];
  readonly profile: readonly string[];
}

export interface CfpData {
  /** Frontal (F) and profile (P) lists, index i − 1 for the protocol's index i. */
  readonly frontal: readonly string[];
  readonly profile: readonly string[];
  /** The protocol's folds, each the same and the different pairs of one Split/XX/NN folder. */
  readonly folds: Readonly<Record<CfpProtocol, readonly LfwPair[][]>>;
  /** Everyone in the lists, by identity folder, sorted. */
  readonly people: readonly CfpPerson[];
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new FaceError(
      'DATASET_MISSING',
      `CFP file not found: ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected the ` +
        'original layout (Data/Images, Protocol/Pair_list_F.txt, Protocol/Split/FF/01/same.txt …)',
      { file },
    );
  }
}

const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

/** `index path` lines → paths in index order, resolved against the Protocol folder. */
function readList(file: string): string[] {
  const out: string[] = [];
  lines(readText(file)).forEach((line, k) => {
    const m = /^(\d+)\s+(\S.*)$/.exec(line);
    if (!m || Number(m[1]) !== k + 1)
      throw new FaceError('INVALID_INPUT', `${file}:${k + 1}: expected "${k + 1} PATH", got "${line}"`);
    out.push(path.resolve(path.dirname(file), m[2]));
  });
  if (!out.length) throw new FaceError('INVALID_INPUT', `${file} lists no images`);
  return out;
}

/** `i,j` lines → pairs of list entries. */
function readSplit(file: string, a: readonly string[], b: readonly string[], same: boolean): LfwPair[] {
  return lines(readText(file)).map((line, k) => {
    const m = /^(\d+)\s*,\s*(\d+)$/.exec(line);
    const i = m ? Number(m[1]) : 0;
    const j = m ? Number(m[2]) : 0;
    if (!m || i < 1 || i > a.length || j < 1 || j > b.length)
      throw new FaceError('INVALID_INPUT', `${file}:${k + 1}: expected "i,j" within the lists, got "${line}"`);
    return { a: a[i - 1], b: b[j - 1], same };
  });
}

/** The identity of a CFP photo: its Data/Images/NNN folder. */
export function cfpIdentity(file: string): string {
  return path.basename(path.dirname(path.dirname(file)));
}

export function readCfp(dir: string): CfpData {
  const protocol = path.join(dir, 'Protocol');
  const frontal = readList(path.join(protocol, 'Pair_list_F.txt'));
  const profile = readList(path.join(protocol, 'Pair_list_P.txt'));
  const folds = {} as Record<CfpProtocol, LfwPair[][]>;
  for (const p of CFP_PROTOCOLS) {
    const splitDir = path.join(protocol, 'Split', p);
    const names = existsSync(splitDir)
      ? readdirSync(splitDir, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name)
          .sort()
      : [];
    if (names.length < 2)
      throw new FaceError('INVALID_INPUT', `${splitDir}: k-fold needs at least 2 folds, found ${names.length}`, {
        dir: splitDir,
      });
    const other = p === 'FF' ? frontal : profile;
    folds[p] = names.map((n) => [
      ...readSplit(path.join(splitDir, n, 'same.txt'), frontal, other, true),
      ...readSplit(path.join(splitDir, n, 'diff.txt'), frontal, other, false),
    ]);
  }
  const byId = new Map<string, { frontal: string[]; profile: string[] }>();
  const person = (f: string) => {
    const id = cfpIdentity(f);
    if (!byId.has(id)) byId.set(id, { frontal: [], profile: [] });
    return byId.get(id)!;
  };
  for (const f of frontal) person(f).frontal.push(f);
  for (const f of profile) person(f).profile.push(f);
  const people = [...byId.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, p]) => ({ id, ...p }));
  return { frontal, profile, folds, people };
}

export interface CfpProtocolResult extends LfwResult {
  /** TAR at FAR = 1e-2 over all pairs (interpolated like tarAtFar1e3). */
  readonly tarAtFar1e2: number;
  /** Equal error rate over all pairs. */
  readonly eer: number;
}

/** k-fold accuracy (τ chosen on the other folds), AUC, TAR at FAR 1e-3 and 1e-2, EER: the LFW protocol's code. */
export function kFold(folds: readonly ScoredPair[][]): CfpProtocolResult {
  const base = tenFold(folds);
  const roc = rocCurve(folds.flat());
  return { ...base, tarAtFar1e2: tarAtFar(roc, 1e-2), eer: equalErrorRate(roc) };
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export interface RatesAtThreshold {
  readonly genuinePairs: number;
  readonly impostorPairs: number;
  /** Impostor pairs accepted (distance < τ) / impostor pairs. */
  readonly far: number;
  /** Genuine pairs accepted / genuine pairs. */
  readonly tar: number;
}

/**
 * What a fixed τ does on every pair of the folder: FF every two distinct frontal photos, FP every frontal photo with
 * every profile photo, labelled by identity (many more impostor pairs than the protocol's, so a FAR near 1e-3 is
 * measurable).
 */
export function ratesAtThreshold(
  data: Pick<CfpData, 'frontal' | 'profile'>,
  embeddingOf: (file: string) => Float32Array,
  threshold: number,
): Record<CfpProtocol, RatesAtThreshold> {
  const count = (pairs: Iterable<[string, string]>) => {
    let g = 0,
      i = 0,
      ga = 0,
      ia = 0;
    for (const [a, b] of pairs) {
      const accepted = distanceFromDot(dot(embeddingOf(a), embeddingOf(b))) < threshold;
      if (cfpIdentity(a) === cfpIdentity(b)) {
        g++;
        if (accepted) ga++;
      } else {
        i++;
        if (accepted) ia++;
      }
    }
    return { genuinePairs: g, impostorPairs: i, far: i ? ia / i : 0, tar: g ? ga / g : 0 };
  };
  const { frontal, profile } = data;
  function* ff(): Iterable<[string, string]> {
    for (let i = 0; i < frontal.length; i++)
      for (let j = i + 1; j < frontal.length; j++) yield [frontal[i], frontal[j]];
  }
  function* fp(): Iterable<[string, string]> {
    for (const f of frontal) for (const p of profile) yield [f, p];
  }
  return { FF: count(ff()), FP: count(fp()) };
}
