/** What `facenet train` shows while it runs (progress bars, one line per epoch) and when it ends. */
import cliProgress from 'cli-progress';
import { ttaFlagsOf } from '../../gallery/face-source.js';
import type { EpochRecord } from '../../train/curves.js';
import type { TrainRunOptions, TrainRunResult } from '../../train/run.js';
import type { Trainer } from '../../train/trainer.js';
import { DEFAULT_DISTIL_BATCH } from '../../train/archs.js';
import { writeErr } from '../output.js';

const pct = (v: number | undefined) => (v === undefined ? '   –  ' : `${(100 * v).toFixed(1).padStart(5)}%`);

/** One epoch; a distillation has no triplets: its d+ is the (image, mirror image) pairs' squared distance. */
function epochLine(r: EpochRecord, distil: boolean): string {
  return (
    `epoch ${String(r.epoch).padStart(3)}  step ${String(r.step).padStart(6)}  ` +
    (distil
      ? `loss ${r.loss.toExponential(3)}  d(mirror) ${r.meanPos.toFixed(4)} d(other) ${r.meanNeg.toFixed(3)}  `
      : `loss ${r.loss.toFixed(4)}  active ${pct(r.activeFraction)}  ` +
        `d+ ${r.meanPos.toFixed(3)} d− ${r.meanNeg.toFixed(3)}  `) +
    `val acc ${pct(r.valAccuracy)} TAR@FAR1e-3 ${pct(r.valTarAtFar1e3)}  ` +
    `${r.imagesPerSec.toFixed(1)} img/s ` +
    (distil ? '' : `${r.tripletsPerSec.toFixed(0)} triplets/s  `) +
    `lr ${r.lr.toExponential(1)}`
  );
}

type Callbacks = Pick<TrainRunOptions, 'onLoad' | 'onPca' | 'onStart' | 'onStep' | 'onEpoch'>;

function startLine(t: Trainer): string {
  const c = t.config;
  const split =
    `${t.trainIdentities.length} identities for training, ` +
    `${t.valIdentities.length} for validation (${t.valPairs.length} pairs), ` +
    `${t.stepsPerEpoch} batches per epoch, seed ${c.seed}`;
  if (c.loss === 'distil' && c.arch.arch === 'head')
    return (
      `distilling ${c.arch.pack}'s ${c.arch.inputDim}-D embeddings into a ${c.arch.embeddingDim}-D head ` +
      `(batches of ${c.batch ?? DEFAULT_DISTIL_BATCH} images and their mirror images): ${split}`
    );
  return `training ${c.arch.arch} (${c.arch.inputSize}px) with ${c.mining} mining: ${split}`;
}

/**
 * The run's callbacks: a bar per loading stage and one for training on a terminal (`bars`), the start line (unless
 * `quiet` without a terminal) and an epoch line on stderr. `stop()` clears the bars.
 */
export function trainProgress(bars: boolean, quiet: boolean): Callbacks & { stop(): void } {
  const bar = bars
    ? new cliProgress.SingleBar(
        {
          format: 'train |{bar}| {percentage}% step {step} loss {loss} active {active} {ips} img/s',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let loadBar: cliProgress.SingleBar | undefined;
  let loadWhat = '';
  return {
    onLoad: (done, total, what) => {
      if (!bars) return;
      if (!loadBar || what !== loadWhat) {
        loadBar?.stop();
        loadWhat = what;
        loadBar = new cliProgress.SingleBar(
          { format: `${what} |{bar}| {value}/{total}`, stream: process.stderr, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        );
        loadBar.start(total, 0);
      }
      loadBar.update(done);
      if (done === total) loadBar.stop();
    },
    onPca: (kept) => {
      if (!quiet || process.stderr.isTTY)
        writeErr(
          `starting from the PCA of the training embeddings: it keeps ${(100 * kept).toFixed(1)} % of their energy\n`,
        );
    },
    onStart: (t) => {
      loadBar?.stop();
      if (!quiet || process.stderr.isTTY) writeErr(`${startLine(t)}\n`);
      bar?.start(1000, Math.round(t.progress() * 1000), { step: t.step, loss: '-', active: '-', ips: '-' });
    },
    onStep: (t, s) => {
      bar?.update(Math.round(t.progress() * 1000), {
        step: s.step,
        loss: s.loss.toFixed(4),
        active: pct(s.activeFraction).trim(),
        ips: (s.images / s.seconds).toFixed(1),
      });
    },
    onEpoch: (t, r) => {
      bar?.stop();
      writeErr(`${epochLine(r, t.config.loss === 'distil')}\n`);
      bar?.start(1000, Math.round(t.progress() * 1000), {
        step: t.step,
        loss: r.loss.toFixed(4),
        active: pct(r.activeFraction).trim(),
        ips: r.imagesPerSec.toFixed(1),
      });
    },
    stop: () => bar?.stop(),
  };
}

const tenth = (v: number) => Math.round(v * 10) / 10;

export function trainJson(res: TrainRunResult) {
  return {
    out: res.out,
    model: res.modelPath,
    settings: res.settingsPath,
    curves: { json: res.curvesJson, svg: res.curvesSvg },
    checkpoint: res.checkpoint,
    steps: res.steps,
    epochs: res.epochs,
    trainSeconds: tenth(res.trainSeconds),
    imagesPerSec: tenth(res.imagesPerSec),
    tripletsPerSec: tenth(res.tripletsPerSec),
    stopped: res.stopped,
    trainImages: res.trainImages,
    trainIdentities: res.trainIdentities,
    valIdentities: res.valIdentities,
    missingFaces: res.missingFaces,
    final: res.final ?? null,
    calibration: res.calibration
      ? {
          source: res.calibration.table.source,
          genuinePairs: res.calibration.table.genuinePairs,
          impostorPairs: res.calibration.table.impostorPairs,
          crops: res.calibration.crops,
          flip: res.calibration.flip,
        }
      : null,
  };
}

export function trainLines(res: TrainRunResult): string {
  return [
    `${res.stopped ? 'stopped' : 'done'} after ${res.steps} steps ` +
      `(${res.epochs} epochs, ${res.trainSeconds.toFixed(0)} s of training)`,
    `throughput: ${res.imagesPerSec.toFixed(1)} images/s` +
      (res.tripletsPerSec > 0 ? `, ${res.tripletsPerSec.toFixed(0)} triplets/s` : ''),
    res.final?.valAccuracy !== undefined
      ? `validation accuracy ${(100 * res.final.valAccuracy).toFixed(1)} %, ` +
        `TAR@FAR=1e-3 ${(100 * (res.final.valTarAtFar1e3 ?? 0)).toFixed(1)} %`
      : 'no validation identities',
    `model: ${res.modelPath}`,
    res.calibration
      ? `calibration: stored in the model (${res.calibration.table.impostorPairs} ` +
        `impostor pairs of the validation split; for ${ttaFlagsOf(res.calibration)}; ` +
        `\`facenet calibrate\` replaces it in a gallery)`
      : 'calibration: none stored (no validation pairs): run `facenet calibrate` before deciding with this model',
    `curves: ${res.curvesSvg}`,
  ].join('\n');
}
