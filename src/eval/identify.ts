/**
 * Open-set identification on LFW, the seed's 1:N claim measured.
 *
 * Gallery: the first image of every person with ≥ 2 images (1,680 people). Known probes: their other images.
 * Unknown probes: every image of the 4,069 people with a single image. For gallery sizes K (random subsets of the
 * 1,680, fixed seed, averaged over several draws for small K) it reports
 * - closed-set rank-1: the nearest gallery person is the right one (known probes of the K people);
 * - DIR@F (detection and identification rate): known probes whose nearest person is right *and* closer than τ,
 *   with τ set so that a fraction F of the unknown probes is (falsely) accepted — the standard oracle threshold;
 * - the calibrated threshold a deployed gallery would use (f = 1-(1-F)^(1/K), τ from the calibration table) and
 *   the false-alarm rate and DIR it actually gives on these probes: does the formula hold?
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { openSetThreshold, type CalibrationTable } from '../decide/calibration.js';
import { FaceError } from '../errors.js';
import { ExactIndex } from '../search/search-index.js';
import { distanceFromDot } from '../embed/vector.js';
import { indexPerson, type TemplateCombination } from '../gallery/templates.js';
import { lfwImageRoot } from './lfw-pairs.js';

export interface LfwPerson {
  readonly name: string;
  /** Image files, in image-number order. */
  readonly files: readonly string[];
}

/** Every LFW person with their images, sorted by name. */
export function lfwPeople(dataDir: string): LfwPerson[] {
  const root = lfwImageRoot(dataDir);
  let names: string[];
  try {
    names = readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    throw new FaceError('DATASET_MISSING', `LFW images not found under ${root}`, { dir: root });
  }
  const people = names.map((name) => ({
    name,
    files: readdirSync(path.join(root, name))
      .filter((f) => /\.jpe?g$/i.test(f))
      .sort()
      .map((f) => path.join(root, name, f)),
  }));
  return people.filter((p) => p.files.length > 0);
}

export interface OpenSetSplit {
  /** One entry per gallery person: their first image. */
  readonly gallery: readonly { readonly person: string; readonly file: string }[];
  /** Other images of gallery people; `person` indexes `gallery`. */
  readonly known: readonly { readonly person: number; readonly file: string }[];
  /** Images of people with a single image. */
  readonly unknown: readonly string[];
}

export function lfwOpenSetSplit(people: readonly LfwPerson[]): OpenSetSplit {
  const gallery: { person: string; file: string }[] = [];
  const known: { person: number; file: string }[] = [];
  const unknown: string[] = [];
  for (const p of people) {
    if (p.files.length === 1) unknown.push(p.files[0]);
    else {
      const idx = gallery.length;
      gallery.push({ person: p.name, file: p.files[0] });
      for (const f of p.files.slice(1)) known.push({ person: idx, file: f });
    }
  }
  return { gallery, known, unknown };
}

/** Deterministic PRNG (mulberry32) for the gallery subsets. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** k distinct indices of 0..n-1 (partial Fisher–Yates). */
export function sampleIndices(n: number, k: number, rand: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (n - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, k);
}

export interface OpenSetData {
  /** One embedding per gallery person (unit vectors). */
  readonly gallery: readonly Float32Array[];
  readonly known: readonly { readonly person: number; readonly embedding: Float32Array }[];
  readonly unknown: readonly Float32Array[];
}

export interface OpenSetOptions {
  /** Gallery sizes; values above the number of gallery people are clamped to it. */
  readonly sizes: readonly number[];
  /** Open-set false-alarm rates F. */
  readonly fars: readonly number[];
  readonly seed: number;
  /** Random subsets drawn per size (1 for the full gallery). Default: ⌈1000 / K⌉ capped at 10. */
  readonly repeats?: (k: number) => number;
  /** With a table: also report what the calibrated threshold does. */
  readonly calibration?: CalibrationTable;
}

export interface DirAtFar {
  /** Target open-set false-alarm rate. */
  readonly far: number;
  /** Oracle τ: accepts a fraction ≤ F of the unknown probes (mean over draws). */
  readonly threshold: number;
  readonly dir: number;
}

export interface CalibratedAtFar {
  readonly far: number;
  readonly perComparisonFar: number;
  /** τ from the calibration table for this K. */
  readonly threshold: number;
  readonly resolvable: boolean;
  /** Fraction of unknown probes accepted at that τ (should be ≤ F if the formula and table hold). */
  readonly measuredFalseAlarm: number;
  readonly dir: number;
}

export interface SizeResult {
  readonly k: number;
  readonly draws: number;
  /** Known probes per draw (mean). */
  readonly knownProbes: number;
  readonly rank1: number;
  /** Standard deviation of rank-1 over draws (0 for one draw). */
  readonly rank1Std: number;
  readonly dir: readonly DirAtFar[];
  readonly calibrated?: readonly CalibratedAtFar[];
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: readonly number[]) => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};

/** Largest τ accepting at most ⌊F·n⌋ of `sortedUnknown` (ascending) with the rule distance < τ. */
export function oracleThreshold(sortedUnknown: Float64Array, far: number): number {
  const allowed = Math.floor(far * sortedUnknown.length + 1e-9);
  return allowed < sortedUnknown.length ? sortedUnknown[allowed] : Number.POSITIVE_INFINITY;
}

/** Dot-product rows (probe × gallery) through the production index. */
function dotRows(gallery: readonly Float32Array[], probes: readonly Float32Array[]): Float32Array[] {
  const index = new ExactIndex(gallery[0].length, gallery.length);
  gallery.forEach((g, i) => index.add(i, i, g));
  // the index keeps insertion order while nothing is removed: row j = gallery j
  return probes.map((p) => index.dots(p));
}

export function evaluateOpenSet(data: OpenSetData, opts: OpenSetOptions): SizeResult[] {
  const G = data.gallery.length;
  if (!G || !data.known.length || !data.unknown.length)
    throw new FaceError('INVALID_INPUT', 'open-set evaluation needs gallery, known and unknown probes');
  const knownRows = dotRows(
    data.gallery,
    data.known.map((k) => k.embedding),
  );
  const unknownRows = dotRows(data.gallery, data.unknown);
  const probesOf: number[][] = Array.from({ length: G }, () => []);
  data.known.forEach((k, i) => probesOf[k.person].push(i));
  const rand = seededRandom(opts.seed);
  const results: SizeResult[] = [];
  for (const requested of opts.sizes) {
    const k = Math.min(requested, G);
    const draws = k === G ? 1 : (opts.repeats?.(k) ?? Math.min(10, Math.ceil(1000 / k)));
    const perDraw: { rank1: number; known: number; dir: DirAtFar[]; cal?: CalibratedAtFar[] }[] = [];
    for (let d = 0; d < draws; d++) {
      const subset = k === G ? Array.from({ length: G }, (_, i) => i) : sampleIndices(G, k, rand);
      const unknownD = new Float64Array(data.unknown.length);
      unknownRows.forEach((row, i) => {
        let best = -Infinity;
        for (const g of subset) if (row[g] > best) best = row[g];
        unknownD[i] = distanceFromDot(best);
      });
      const knownD: number[] = [];
      const knownOk: boolean[] = [];
      for (const g of subset)
        for (const pi of probesOf[g]) {
          const row = knownRows[pi];
          let best = -Infinity;
          let arg = -1;
          for (const h of subset)
            if (row[h] > best) {
              best = row[h];
              arg = h;
            }
          knownD.push(distanceFromDot(best));
          knownOk.push(arg === g);
        }
      const sorted = Float64Array.from(unknownD).sort();
      const dirAt = (tau: number) =>
        knownD.reduce((n, dist, i) => n + (knownOk[i] && dist < tau ? 1 : 0), 0) / knownD.length;
      const falseAlarm = (tau: number) => unknownD.reduce((n, dist) => n + (dist < tau ? 1 : 0), 0) / unknownD.length;
      perDraw.push({
        rank1: knownOk.filter(Boolean).length / knownOk.length,
        known: knownD.length,
        dir: opts.fars.map((far) => {
          const threshold = oracleThreshold(sorted, far);
          return { far, threshold, dir: dirAt(threshold) };
        }),
        cal: opts.calibration
          ? opts.fars.map((far) => {
              const t = openSetThreshold(opts.calibration!, far, k);
              return {
                far,
                perComparisonFar: t.targetFar,
                threshold: t.threshold,
                resolvable: t.resolvable,
                measuredFalseAlarm: falseAlarm(t.threshold),
                dir: dirAt(t.threshold),
              };
            })
          : undefined,
      });
    }
    results.push({
      k,
      draws,
      knownProbes: mean(perDraw.map((p) => p.known)),
      rank1: mean(perDraw.map((p) => p.rank1)),
      rank1Std: std(perDraw.map((p) => p.rank1)),
      dir: opts.fars.map((far, i) => ({
        far,
        threshold: mean(perDraw.map((p) => p.dir[i].threshold)),
        dir: mean(perDraw.map((p) => p.dir[i].dir)),
      })),
      ...(opts.calibration
        ? {
            calibrated: opts.fars.map((far, i) => {
              const c = perDraw.map((p) => p.cal![i]);
              return {
                far,
                perComparisonFar: c[0].perComparisonFar,
                threshold: c[0].threshold,
                resolvable: c[0].resolvable,
                measuredFalseAlarm: mean(c.map((x) => x.measuredFalseAlarm)),
                dir: mean(c.map((x) => x.dir)),
              };
            }),
          }
        : {}),
    });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------------
// Several photos per person: which way of combining templates identifies best?

export type CombinationMeasured = TemplateCombination | 'mean-distance';
export const MEASURED_COMBINATIONS: readonly CombinationMeasured[] = ['nearest', 'centroid', 'mean-distance'];

export interface TemplatesData {
  /** Per person, their images' embeddings in order; the first `maxTemplates` are enrollment photos, the rest probes. */
  readonly people: readonly (readonly Float32Array[])[];
  readonly unknown: readonly Float32Array[];
}

export interface TemplatesResult {
  readonly templates: number;
  readonly combination: CombinationMeasured;
  readonly rank1: number;
  readonly dir: readonly DirAtFar[];
  /**
   * With a calibration: what a deployed gallery would do (K = comparisons per probe: templates for nearest, people
   * otherwise).
   */
  readonly calibrated?: readonly CalibratedAtFar[];
}

/**
 * Fixed people (those with more than `maxTemplates` images) and fixed probes (their images after the first
 * `maxTemplates`); only the number of enrollment photos n and the way they are combined vary.
 */
export function evaluateTemplates(
  data: TemplatesData,
  opts: { counts: readonly number[]; fars: readonly number[]; calibration?: CalibrationTable },
): TemplatesResult[] {
  const maxN = Math.max(...opts.counts);
  const people = data.people.filter((p) => p.length > maxN);
  if (people.length < 2) throw new FaceError('INVALID_INPUT', `need people with more than ${maxN} images`);
  const out: TemplatesResult[] = [];
  for (const n of opts.counts)
    for (const combination of MEASURED_COMBINATIONS) {
      // person-level distance of a probe to every person
      let distances: (q: Float32Array) => Float64Array;
      if (combination === 'mean-distance') {
        distances = (q) =>
          Float64Array.from(people, (p) => {
            let s = 0;
            for (let t = 0; t < n; t++) {
              let d = 0;
              for (let i = 0; i < q.length; i++) d += q[i] * p[t][i];
              s += distanceFromDot(d);
            }
            return s / n;
          });
      } else {
        const index = new ExactIndex(people[0][0].length);
        people.forEach((p, pi) =>
          indexPerson(
            index,
            combination,
            pi,
            p.slice(0, n).map((embedding, t) => ({ id: pi * 1000 + t, embedding })),
          ),
        );
        distances = (q) => {
          const res = new Float64Array(people.length).fill(Number.POSITIVE_INFINITY);
          for (const h of index.search(q, people.length)) res[h.label] = h.distance;
          return res;
        };
      }
      const nearest = (q: Float32Array) => {
        const d = distances(q);
        let arg = 0;
        for (let i = 1; i < d.length; i++) if (d[i] < d[arg]) arg = i;
        return { arg, dist: d[arg] };
      };
      const knownD: number[] = [];
      const knownOk: boolean[] = [];
      people.forEach((p, pi) => {
        for (const q of p.slice(maxN)) {
          const r = nearest(q);
          knownD.push(r.dist);
          knownOk.push(r.arg === pi);
        }
      });
      const sorted = Float64Array.from(data.unknown.map((q) => nearest(q).dist)).sort();
      const dirAt = (tau: number) =>
        knownD.reduce((c, dist, i) => c + (knownOk[i] && dist < tau ? 1 : 0), 0) / knownD.length;
      const comparisons = combination === 'nearest' ? people.length * n : people.length;
      out.push({
        templates: n,
        combination,
        rank1: knownOk.filter(Boolean).length / knownOk.length,
        dir: opts.fars.map((far) => {
          const threshold = oracleThreshold(sorted, far);
          return { far, threshold, dir: dirAt(threshold) };
        }),
        ...(opts.calibration
          ? {
              calibrated: opts.fars.map((far) => {
                const t = openSetThreshold(opts.calibration!, far, comparisons);
                let fa = 0;
                for (const d of sorted) if (d < t.threshold) fa++;
                return {
                  far,
                  perComparisonFar: t.targetFar,
                  threshold: t.threshold,
                  resolvable: t.resolvable,
                  measuredFalseAlarm: fa / sorted.length,
                  dir: dirAt(t.threshold),
                };
              }),
            }
          : {}),
      });
    }
  return out;
}

/** People count and probe count of the templates experiment (for the report). */
export function templatesExperimentSize(data: TemplatesData, maxN: number): { people: number; probes: number } {
  const people = data.people.filter((p) => p.length > maxN);
  return { people: people.length, probes: people.reduce((n, p) => n + p.length - maxN, 0) };
}
