/** `facenet eval cluster --subsets N`: many small random LFW libraries, clustered as the product does, averaged. */
import { parseAlgorithm } from '../../cluster/cluster.js';
import { CLUSTER_ALGORITHMS } from '../../cluster/algorithms.js';
import type { CalibrationTable } from '../../decide/calibration.js';
import { FaceError } from '../../errors.js';
import { evaluateSubsets, subsetTable, type SubsetSetting } from '../../eval/cluster-subsets.js';
import { lfwPeople } from '../../eval/identify.js';
import { numberFlag, POSITIVE_INT, rangeFlag } from '../flags.js';
import type { OptionSpec } from '../options.js';
import { printResult } from '../output.js';

export interface SubsetFlags {
  subsets?: string;
  people: string;
  photos: string;
  seed: string;
  settings?: string;
}

export const SUBSET_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--subsets <draws>',
    help:
      'instead of all of LFW at once: this many random small libraries (seeded), ' +
      'clustered as `facenet cluster` does',
  },
  { flags: '--people <lo-hi>', help: 'with --subsets: people per library', default: '5-20' },
  {
    flags: '--photos <lo-hi>',
    help: 'with --subsets: photos per person (people with fewer are not drawn)',
    default: '5-15',
  },
  { flags: '--seed <n>', help: 'with --subsets: seed of the draws', default: '1' },
  {
    flags: '--settings <list>',
    help:
      'with --subsets: algorithm[@per-face rate] settings to compare ' +
      '(default: every algorithm at its default rate)',
  },
];

function parseSettings(v: string | undefined): SubsetSetting[] {
  if (v === undefined) return CLUSTER_ALGORITHMS.map((algorithm) => ({ algorithm }));
  return v.split(',').map((item) => {
    const [name, rate] = item.trim().split('@');
    const mergeRate = rate === undefined ? undefined : Number(rate);
    if (mergeRate !== undefined && !(mergeRate > 0 && mergeRate < 1))
      throw new FaceError('INVALID_INPUT', `--settings: a per-face rate in (0, 1) after @, got "${item}"`);
    return { algorithm: parseAlgorithm(name), mergeRate };
  });
}

type Embedded = (
  files: readonly string[],
) => Promise<{ embed: (f: string) => Float32Array; modelId: string; calibration: CalibrationTable; pack: string }>;

export async function evalSubsets<F extends SubsetFlags & { data: string; json?: boolean }>(
  flags: F,
  embedded: (flags: F, files: readonly string[]) => ReturnType<Embedded>,
): Promise<void> {
  const plan = {
    draws: numberFlag('subsets', flags.subsets, POSITIVE_INT)!,
    people: rangeFlag('people', flags.people),
    photos: rangeFlag('photos', flags.photos),
    seed: numberFlag('seed', flags.seed, { int: true })!,
  };
  const settings = parseSettings(flags.settings);
  const t0 = performance.now();
  const people = lfwPeople(flags.data).filter((p) => p.files.length >= plan.photos[0]);
  const { embed, modelId, calibration, pack } = await embedded(
    flags,
    people.flatMap((p) => p.files),
  );
  const result = await evaluateSubsets(
    people.map((p) => p.files.map(embed)),
    settings,
    calibration,
    plan,
  );
  printResult(
    flags,
    { model: modelId, pack, calibration: calibration.source, ...result, seconds: (performance.now() - t0) / 1000 },
    () =>
      [
        `${plan.draws} libraries of ${plan.people.join('–')} LFW people × ${plan.photos.join('–')} photos (seed ` +
          `${plan.seed}; mean ${result.meanPeople.toFixed(1)} people, ${result.meanFaces.toFixed(1)} faces; ` +
          `${result.candidates} people eligible), model ${modelId}; means over the draws:`,
        subsetTable(result),
        'over-split: (claimed − true people) / true people; exact: libraries grouped exactly right; ' +
          'false merge: libraries with a group of two people; split people: people in more than one group, per library',
      ].join('\n'),
  );
}
