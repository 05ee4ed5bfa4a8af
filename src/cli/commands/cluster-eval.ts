/**
 * facenet eval cluster: every LFW image clustered by each algorithm, scored against the true identities; or, with
 * --subsets, many small random libraries clustered as `facenet cluster` does (cluster-subsets-eval.ts).
 */
import type { Command } from 'commander';
import os from 'node:os';
import { CLUSTER_ALGORITHMS } from '../../cluster/algorithms.js';
import { DEFAULT_ALGORITHM, pairwiseMergeRate, parseAlgorithm } from '../../cluster/cluster.js';
import { evaluationCalibration } from '../../decide/default-calibration.js';
import { FaceError } from '../../errors.js';
import { clusterEvalTable, evaluateClustering } from '../../eval/cluster.js';
import { lfwPeople } from '../../eval/identify.js';
import { pickEmbedding } from '../../eval/lfw.js';
import { galleryModelId } from '../../gallery/face-source.js';
import { action, printResult } from '../output.js';
import { flipOf, recognizerOptions, withFlipOptions, type PipelineFlags } from './common.js';
import { embedForEvaluation, evalCommand, withEvalImageOptions } from './eval-common.js';
import { choiceFlag, numberFlag, numberListFlag, POSITIVE_INT, RATE } from '../flags.js';
import { evalSubsets, SUBSET_OPTIONS, type SubsetFlags } from './cluster-subsets-eval.js';
import { addOptions } from '../options.js';

const KNN_METHODS = ['auto', 'exact', 'scan', 'index'] as const;

export interface ClusterEvalFlags extends PipelineFlags, SubsetFlags {
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
export async function embeddedLfw(flags: ClusterEvalFlags, files: readonly string[]) {
  const { res, fr } = await embedForEvaluation(flags, recognizerOptions({ ...flags, flip: false }), files);
  const flip = flipOf(flags);
  const modelId = galleryModelId(fr.modelId, flip, fr.ttaPaddings);
  const calibration = evaluationCalibration(modelId, flags.calibration);
  if (!calibration)
    throw new FaceError(
      'CALIBRATION_ERROR',
      `no calibration for model ${modelId}: pass --calibration FILE (facenet calibrate --lfw DIR --out FILE)`,
    );
  const embed = (f: string) => pickEmbedding(res.embeddings.get(f)!, flip ? 'flip' : 'plain');
  return { embed, modelId, calibration, res, pack: fr.packInfo.name };
}

async function evalCluster(flags: ClusterEvalFlags): Promise<void> {
  if (flags.subsets !== undefined) return evalSubsets(flags, embeddedLfw);
  const algorithms = flags.algorithms.split(',').map((a) => parseAlgorithm(a.trim()));
  const fars = numberListFlag('fars', flags.fars, RATE);
  const k = numberFlag('neighbors', flags.neighbors, POSITIVE_INT)!;
  const knn = choiceFlag('knn', flags.knn, KNN_METHODS);
  const t0 = performance.now();
  const people = lfwPeople(flags.data);
  const files = people.flatMap((p) => p.files);
  const truth = Int32Array.from(people.flatMap((p, i) => p.files.map(() => i)));
  const { embed, modelId, calibration, res, pack } = await embeddedLfw(flags, files);
  const result = await evaluateClustering(files.map(embed), truth, {
    algorithms,
    fars,
    calibration,
    knn: { k, index: knn },
    // the product's setting at this library size (facenet cluster's defaults): README figures quote this row
    defaultRow: { algorithm: DEFAULT_ALGORITHM, targetFar: pairwiseMergeRate({}, files.length) },
  });
  const seconds = (performance.now() - t0) / 1000;
  const json = {
    model: modelId,
    pack,
    calibration: calibration.source,
    images: files.length,
    ...result,
    embeddingsComputed: res.computed,
    embeddingsFromCache: res.fromCache,
    seconds,
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
    load: os.loadavg(),
  };
  printResult(flags, json, () =>
    [
      `LFW clustering, model ${modelId}: ${files.length} faces of ${people.length} people; ` +
        `calibration ${calibration.source}`,
      `k-NN graph (k = ${result.neighbors}) ` +
        `in ${result.graphSeconds.toFixed(2)} s; time after embedding = graph + the row's seconds`,
      clusterEvalTable(result),
      `  ! = FAR below the calibration's resolution (strictest measured τ)`,
      `${res.computed} embedded, ${res.fromCache} from cache; ` +
        `total ${seconds.toFixed(1)} s; load average ${os.loadavg()[0].toFixed(1)}`,
    ].join('\n'),
  );
}

export function registerEvalClusterCommand(program: Command): void {
  const cmd = withFlipOptions(
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
    .option('--calibration <file>', 'calibration JSON (default: the shipped one for the model)');
  addOptions(cmd, SUBSET_OPTIONS).action(action(evalCluster));
}
