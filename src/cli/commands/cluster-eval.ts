/** facenet eval cluster: every LFW image clustered by each algorithm, scored against the true identities. */
import type { Command } from 'commander';
import os from 'node:os';
import { CLUSTER_ALGORITHMS } from '../../cluster/algorithms.js';
import { DEFAULT_ALGORITHM, pairwiseMergeRate, parseAlgorithm } from '../../cluster/cluster.js';
import { evaluateSubsets, subsetTable, type SubsetSetting } from '../../eval/cluster-subsets.js';
import type { CalibrationTable } from '../../decide/calibration.js';
import { calibrationFromFile, defaultCalibration } from '../../decide/default-calibration.js';
import { FaceError } from '../../errors.js';
import { clusterEvalTable, evaluateClustering } from '../../eval/cluster.js';
import { lfwPeople } from '../../eval/identify.js';
import { pickEmbedding } from '../../eval/lfw.js';
import { galleryModelId } from '../../gallery/face-source.js';
import { action, printResult } from '../output.js';
import { flipOf, recognizerOptions, withFlipOptions, type PipelineFlags } from './common.js';
import { embedForEvaluation, evalCommand, withEvalImageOptions } from './eval.js';

const KNN_METHODS = ['auto', 'exact', 'scan', 'index'] as const;

interface ClusterEvalFlags extends PipelineFlags {
  subsets?: string;
  people: string;
  photos: string;
  seed: string;
  settings?: string;
  data: string;
  algorithms: string;
  fars: string;
  neighbors: string;
  knn: string;
  calibration?: string;
  concurrency?: string;
  workers?: string;
  cache?: string | false;
}

/** LFW embeddings of `files` (cache, workers), the model id of the flags' TTA variant and its calibration. */
async function embeddedLfw(flags: ClusterEvalFlags, files: readonly string[]) {
  const { res, fr } = await embedForEvaluation(flags, recognizerOptions({ ...flags, flip: false }), files);
  const flip = flipOf(flags);
  const variant = flip ? 'flip' : 'plain';
  const modelId = galleryModelId(fr.modelId, flip, fr.ttaPaddings);
  const calibration: CalibrationTable | undefined = flags.calibration
    ? calibrationFromFile(flags.calibration, modelId)
    : defaultCalibration(modelId);
  if (!calibration)
    throw new FaceError(
      'CALIBRATION_ERROR',
      `no calibration for model ${modelId}: pass --calibration FILE (facenet calibrate --lfw DIR --out FILE)`,
    );
  const embed = (f: string) => pickEmbedding(res.embeddings.get(f)!, variant);
  return { embed, modelId, calibration, res, pack: fr.packInfo.name };
}

const range = (name: string, v: string): [number, number] => {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v.trim());
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2] ?? m?.[1]);
  if (!m || !(lo >= 1 && hi >= lo))
    throw new FaceError('INVALID_INPUT', `--${name} expects a count or a range lo-hi, got "${v}"`);
  return [lo, hi];
};

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

/** `eval cluster --subsets N`: many small random libraries, clustered as the product does, averaged. */
async function evalSubsets(flags: ClusterEvalFlags): Promise<void> {
  const draws = Number(flags.subsets);
  if (!Number.isInteger(draws) || draws < 1)
    throw new FaceError('INVALID_INPUT', `--subsets expects a positive integer, got "${flags.subsets}"`);
  const plan = {
    draws,
    people: range('people', flags.people),
    photos: range('photos', flags.photos),
    seed: Number(flags.seed),
  };
  const settings = parseSettings(flags.settings);
  const t0 = performance.now();
  const people = lfwPeople(flags.data).filter((p) => p.files.length >= plan.photos[0]);
  const { embed, modelId, calibration, pack } = await embeddedLfw(
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
        `${draws} libraries of ${plan.people.join('–')} LFW people × ${plan.photos.join('–')} photos (seed ` +
          `${plan.seed}; mean ${result.meanPeople.toFixed(1)} people, ${result.meanFaces.toFixed(1)} faces; ` +
          `${result.candidates} people eligible), model ${modelId}; means over the draws:`,
        subsetTable(result),
        'over-split: (claimed − true people) / true people; exact: libraries grouped exactly right; ' +
          'false merge: libraries with a group of two people; split people: people in more than one group, per library',
      ].join('\n'),
  );
}

export function registerEvalClusterCommand(program: Command): void {
  withFlipOptions(
    withEvalImageOptions(evalCommand(program).command('cluster')),
    "without flip test-time augmentation (default: the pack's setting, as in the product)",
  )
    .description(
      'clustering on every LFW image (or, with --subsets, on many small random libraries): pairwise and BCubed ' +
        'precision / recall / F, groups against people, time after embedding',
    )
    .requiredOption('--data <dir>', 'LFW folder')
    .option('--algorithms <list>', 'algorithms to compare', CLUSTER_ALGORITHMS.join(','))
    .option(
      '--fars <list>',
      'target pairwise false-merge rates (τ from the calibration at each)',
      '1e-6,3e-6,1e-5,3e-5,1e-4,3e-4,1e-3',
    )
    .option('--neighbors <k>', 'neighbours per face in the k-NN graph', '30')
    .option(
      '--knn <method>',
      'k-NN graph: auto (exact by matrix product up to 100,000 faces, HNSW above), exact, ' +
        "scan (the vector index's exact scan, single-threaded: the former path), index",
      'auto',
    )
    .option('--calibration <file>', 'calibration JSON (default: the shipped one for the model)')
    .option(
      '--subsets <draws>',
      'instead of all of LFW at once: this many random small libraries (seeded), clustered as `facenet cluster` does',
    )
    .option('--people <lo-hi>', 'with --subsets: people per library', '5-20')
    .option('--photos <lo-hi>', 'with --subsets: photos per person (people with fewer are not drawn)', '5-15')
    .option('--seed <n>', 'with --subsets: seed of the draws', '1')
    .option(
      '--settings <list>',
      'with --subsets: algorithm[@per-face rate] settings to compare (default: every algorithm at its default rate)',
    )
    .action(
      action(async (flags: ClusterEvalFlags) => {
        if (flags.subsets !== undefined) return evalSubsets(flags);
        const algorithms = flags.algorithms.split(',').map((a) => parseAlgorithm(a.trim()));
        const fars = flags.fars.split(',').map((s) => Number(s.trim()));
        if (fars.some((f) => !(f > 0 && f < 1)))
          throw new FaceError('INVALID_INPUT', `--fars: rates in (0, 1) expected, got "${flags.fars}"`);
        const k = Number(flags.neighbors);
        if (!Number.isInteger(k) || k < 1)
          throw new FaceError('INVALID_INPUT', `--neighbors expects a positive integer, got "${flags.neighbors}"`);
        const knn = KNN_METHODS.find((m) => m === flags.knn);
        if (!knn) throw new FaceError('INVALID_INPUT', `--knn: one of ${KNN_METHODS.join(', ')}, got "${flags.knn}"`);
        const t0 = performance.now();
        const people = lfwPeople(flags.data);
        const files = people.flatMap((p) => p.files);
        const truth = Int32Array.from(people.flatMap((p, i) => p.files.map(() => i)));
        const { embed, modelId, calibration, res, pack } = await embeddedLfw(flags, files);
        const embeddings = files.map(embed);
        const result = await evaluateClustering(embeddings, truth, {
          algorithms,
          fars,
          calibration,
          knn: { k, index: knn },
          // the product's setting at this library size (facenet cluster's defaults): README figures quote this row
          defaultRow: { algorithm: DEFAULT_ALGORITHM, targetFar: pairwiseMergeRate({}, files.length) },
        });
        printResult(
          flags,
          {
            model: modelId,
            pack,
            calibration: calibration.source,
            images: files.length,
            ...result,
            embeddingsComputed: res.computed,
            embeddingsFromCache: res.fromCache,
            seconds: (performance.now() - t0) / 1000,
            machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
            load: os.loadavg(),
          },
          () =>
            [
              `LFW clustering, model ${modelId}: ${files.length} faces of ${people.length} people; calibration ${calibration.source}`,
              `k-NN graph (k = ${result.neighbors}) in ${result.graphSeconds.toFixed(2)} s; time after embedding = graph + the row's seconds`,
              clusterEvalTable(result),
              `  ! = FAR below the calibration's resolution (strictest measured τ)`,
              `${res.computed} embedded, ${res.fromCache} from cache; total ${((performance.now() - t0) / 1000).toFixed(1)} s; load average ${os.loadavg()[0].toFixed(1)}`,
            ].join('\n'),
        );
      }),
    );
}
