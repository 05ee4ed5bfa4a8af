/**
 * Clustering quality on small photo libraries, the common case: many seeded random draws of a few labelled people
 * (e.g. 5–20 people with 5–15 photos each) from a labelled set (LFW), each clustered by `cluster()` exactly as the
 * product runs it (τ from the calibration at the per-face rate for that library's size), scored against the truth
 * and averaged over the draws. All of LFW at once (evaluateClustering) says little about a folder of 60 photos.
 */
import type { CalibrationTable } from '../decide/calibration.js';
import type { ClusterAlgorithm } from '../cluster/algorithms.js';
import { cluster, DEFAULT_ALGORITHM } from '../cluster/cluster.js';
import { bcubedScores, labelsFromGroups, pairwiseScores } from '../cluster/metrics.js';
import { sampleIndices, seededRandom } from './identify.js';

/** One clustering setting to compare: an algorithm and its per-face false-merge rate (default: the product's). */
export interface SubsetSetting {
  readonly algorithm: ClusterAlgorithm;
  readonly mergeRate?: number;
}

export interface SubsetPlan {
  /** Draws (libraries) per setting; every setting sees the same draws. */
  readonly draws: number;
  /** People per library, inclusive range. */
  readonly people: readonly [number, number];
  /** Photos per person, inclusive range (fewer when a person has fewer). */
  readonly photos: readonly [number, number];
  readonly seed: number;
}

/** Averages over the draws, and how often a library came out right. */
export interface SubsetRow {
  readonly algorithm: ClusterAlgorithm;
  /** The per-face rate asked for; undefined: the default for each library's size (defaultMergeRate). */
  readonly mergeRate?: number;
  /** Whether this is the product's default: the default algorithm at its size-dependent default rate. */
  readonly default: boolean;
  readonly pairwisePrecision: number;
  readonly pairwiseRecall: number;
  readonly bcubedPrecision: number;
  readonly bcubedRecall: number;
  readonly bcubedF: number;
  /** Mean of (claimed people − true people) / true people: > 0 splits, < 0 merges. */
  readonly overSplit: number;
  /** Share of draws whose groups are exactly the people (every face grouped with all and only its person's). */
  readonly exact: number;
  /** Share of draws with at least one group holding two people (a false merge a user sees). */
  readonly withFalseMerge: number;
  /** Mean number of people split over more than one group (or left partly alone), per draw. */
  readonly splitPeople: number;
}

export interface SubsetResult {
  readonly plan: SubsetPlan;
  /** People eligible (at least plan.photos[0] photos). */
  readonly candidates: number;
  /** Mean faces and people per draw. */
  readonly meanFaces: number;
  readonly meanPeople: number;
  readonly rows: SubsetRow[];
}

const uniform = (rand: () => number, [lo, hi]: readonly [number, number]) => lo + Math.floor(rand() * (hi - lo + 1));

/** The draws: per draw, for each chosen person, the indices of the chosen photos. Same seed, same draws. */
export function drawLibraries(
  photoCounts: readonly number[],
  plan: SubsetPlan,
): { person: number; photos: number[] }[][] {
  const eligible = photoCounts.flatMap((n, i) => (n >= plan.photos[0] ? [i] : []));
  if (eligible.length < plan.people[1])
    throw new RangeError(`only ${eligible.length} people have ${plan.photos[0]}+ photos; ${plan.people[1]} asked`);
  const rand = seededRandom(plan.seed);
  return Array.from({ length: plan.draws }, () =>
    sampleIndices(eligible.length, uniform(rand, plan.people), rand).map((e) => {
      const person = eligible[e];
      const take = Math.min(photoCounts[person], uniform(rand, plan.photos));
      return { person, photos: sampleIndices(photoCounts[person], take, rand) };
    }),
  );
}

/** Every setting on every draw; `embeddings[p][i]` is photo i of person p. */
export async function evaluateSubsets(
  embeddings: readonly (readonly Float32Array[])[],
  settings: readonly SubsetSetting[],
  calibration: CalibrationTable,
  plan: SubsetPlan,
): Promise<SubsetResult> {
  const draws = drawLibraries(
    embeddings.map((e) => e.length),
    plan,
  );
  const rows: SubsetRow[] = [];
  for (const s of settings) {
    const mergeRate = s.mergeRate;
    const sum = { pp: 0, pr: 0, bp: 0, br: 0, bf: 0, split: 0, exact: 0, merged: 0, splitPeople: 0 };
    for (const draw of draws) {
      const faces = draw.flatMap((d, k) =>
        d.photos.map((i) => ({ embedding: embeddings[d.person][i], image: `${d.person}/${i}`, truth: k })),
      );
      const r = await cluster(faces, { algorithm: s.algorithm, mergeRate, calibration });
      const predicted = labelsFromGroups(
        faces.length,
        r.groups.map((g) => g.indices),
      );
      const truth = faces.map((f) => f.truth);
      const pw = pairwiseScores(predicted, truth);
      const b3 = bcubedScores(predicted, truth);
      const claimed = r.groups.length + r.unclustered.length;
      sum.pp += pw.precision;
      sum.pr += pw.recall;
      sum.bp += b3.precision;
      sum.br += b3.recall;
      sum.bf += b3.f;
      sum.split += (claimed - draw.length) / draw.length;
      const people = groupPeople(predicted, truth);
      const merged = [...people.values()].some((set) => set.size > 1);
      const split = draw.length - countWhole(predicted, truth);
      sum.merged += merged ? 1 : 0;
      sum.splitPeople += split;
      sum.exact += !merged && split === 0 ? 1 : 0;
    }
    const n = draws.length;
    rows.push({
      algorithm: s.algorithm,
      mergeRate,
      default: s.algorithm === DEFAULT_ALGORITHM && mergeRate === undefined,
      pairwisePrecision: sum.pp / n,
      pairwiseRecall: sum.pr / n,
      bcubedPrecision: sum.bp / n,
      bcubedRecall: sum.br / n,
      bcubedF: sum.bf / n,
      overSplit: sum.split / n,
      exact: sum.exact / n,
      withFalseMerge: sum.merged / n,
      splitPeople: sum.splitPeople / n,
    });
  }
  const faces = draws.map((d) => d.reduce((s, p) => s + p.photos.length, 0));
  return {
    plan,
    candidates: embeddings.filter((e) => e.length >= plan.photos[0]).length,
    meanFaces: faces.reduce((a, b) => a + b, 0) / draws.length,
    meanPeople: draws.reduce((s, d) => s + d.length, 0) / draws.length,
    rows,
  };
}

/** Predicted group → the true people in it. */
function groupPeople(predicted: ArrayLike<number>, truth: readonly number[]): Map<number, Set<number>> {
  const m = new Map<number, Set<number>>();
  for (let i = 0; i < truth.length; i++) {
    const s = m.get(predicted[i]);
    if (s) s.add(truth[i]);
    else m.set(predicted[i], new Set([truth[i]]));
  }
  return m;
}

/** People whose faces all carry one predicted label (whole, though maybe merged with someone). */
function countWhole(predicted: ArrayLike<number>, truth: readonly number[]): number {
  const labels = new Map<number, Set<number>>();
  for (let i = 0; i < truth.length; i++) {
    const s = labels.get(truth[i]);
    if (s) s.add(predicted[i]);
    else labels.set(truth[i], new Set([predicted[i]]));
  }
  return [...labels.values()].filter((s) => s.size === 1).length;
}

const f3 = (v: number) => v.toFixed(3);

/** The rows as a Markdown table (docs/clustering.md takes it as it is). */
export function subsetTable(r: SubsetResult): string {
  const lines = [
    '| algorithm | F/face | pair P | pair R | B³ P | B³ R | B³ F | over-split | exact | false merge | split people |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of r.rows)
    lines.push(
      `| ${row.algorithm}${row.default ? ' (default)' : ''} | ${row.mergeRate ?? 'default'} | ` +
        `${f3(row.pairwisePrecision)} | ` +
        `${f3(row.pairwiseRecall)} | ${f3(row.bcubedPrecision)} | ${f3(row.bcubedRecall)} | ${f3(row.bcubedF)} | ` +
        `${(100 * row.overSplit).toFixed(1)} % | ${(100 * row.exact).toFixed(1)} % | ` +
        `${(100 * row.withFalseMerge).toFixed(1)} % | ${row.splitPeople.toFixed(2)} |`,
    );
  return lines.join('\n');
}
