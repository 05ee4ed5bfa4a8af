/** facenet eval cluster: every LFW image clustered by each algorithm, scored against the true identities. */
import type { Command } from 'commander';
import os from 'node:os';
import { CLUSTER_ALGORITHMS } from '../../cluster/algorithms.js';
import { parseAlgorithm } from '../../cluster/cluster.js';
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

export function registerEvalClusterCommand(program: Command): void {
  withFlipOptions(
    withEvalImageOptions(evalCommand(program).command('cluster')),
    "without flip test-time augmentation (default: the pack's setting, as in the product)",
  )
    .description(
      'clustering on every LFW image: pairwise and BCubed precision / recall / F, groups against people, time after embedding',
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
      'k-NN graph: auto (exact by matrix product up to 100,000 faces, HNSW above), exact, scan (HNSW scan, single-threaded: the former path), index',
      'auto',
    )
    .option('--calibration <file>', 'calibration JSON (default: the shipped one for the model)')
    .action(
      action(async (flags: ClusterEvalFlags) => {
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
        const embeddings = files.map((f) => pickEmbedding(res.embeddings.get(f)!, variant));
        const result = await evaluateClustering(embeddings, truth, {
          algorithms,
          fars,
          calibration,
          knn: { k, index: knn },
        });
        printResult(
          flags,
          {
            model: modelId,
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
