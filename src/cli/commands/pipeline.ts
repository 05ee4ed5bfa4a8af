/** facenet detect | embed | compare: the face pipeline on single images. */
import type { Command } from 'commander';
import { action, EXIT, printResult } from '../output.js';
import {
  flipOf,
  loadRecognizer,
  parseFaceOption,
  withDetectionOptions,
  withPackOptions,
  withPipelineOptions,
  type PipelineFlags,
} from './common.js';
import { distance } from '../../embed/vector.js';
import { FaceError } from '../../errors.js';
import type { EmbeddedFace } from '../../recognizer.js';
import { farAtDistance, tauForFar, type ThresholdChoice } from '../../decide/calibration.js';
import { defaultCalibration } from '../../decide/default-calibration.js';
import { explainCompare, WHY_THRESHOLDS_DIFFER } from '../../decide/explain.js';
import { DEFAULT_VERIFY_FAR } from '../../decide/decisions.js';
import { ownCalibrationFor, ttaFlagsOf } from '../../gallery/face-source.js';
import { readModelMeta } from '../../train/model-meta.js';
import { boxText, pickFace } from '../../gallery/enrollment.js';

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;
const boxJson = (f: { box: { x: number; y: number; width: number; height: number }; score: number }) => ({
  box: { x: round(f.box.x), y: round(f.box.y), width: round(f.box.width), height: round(f.box.height) },
  score: round(f.score, 4),
});

/**
 * A `--model` from `facenet train` is calibrated for the TTA its validation used (plain chips): when the user chose no
 * TTA, compare with that one, so the model's own table applies instead of one measured on other embeddings.
 */
async function withModelTta(flags: PipelineFlags): Promise<PipelineFlags> {
  if (!flags.model || flags.crops !== undefined || flags.flip !== undefined) return flags;
  const stored = (await readModelMeta(flags.model)).calibration;
  return stored ? { ...flags, crops: stored.crops.length ? stored.crops.join(',') : 'none', flip: stored.flip } : flags;
}

function onlyFace(faces: EmbeddedFace[], source: string): EmbeddedFace {
  if (faces.length === 0) throw new FaceError('NO_FACE', `no face found in ${source}`, { source });
  return faces[0]; // largest first
}

/** τ for compare: a --model's own calibration (at the default verification FAR), else the pack's measured threshold. */
function compareThreshold(
  fr: Awaited<ReturnType<typeof loadRecognizer>>,
  flags: PipelineFlags,
): { tau: number; calibration?: ThresholdChoice } {
  const flip = flipOf(flags);
  const crops = fr.ttaPaddings.join(',');
  if (flags.model) {
    const stored = fr.modelCalibration;
    const table = ownCalibrationFor(stored, fr.modelId, flip, fr.ttaPaddings);
    if (table) {
      const calibration = tauForFar(table, DEFAULT_VERIFY_FAR);
      return { tau: calibration.threshold, calibration };
    }
    throw new FaceError(
      'CALIBRATION_ERROR',
      stored
        ? `${flags.model} is calibrated for ${ttaFlagsOf(stored)} only: use those options, or pass --threshold`
        : `${flags.model} carries no calibration: retrain it with \`facenet train\` (which stores one), or pass --threshold`,
      { model: fr.modelId },
    );
  }
  const measured = fr.pack.compareThreshold;
  const table = crops === fr.pack.tta.crops.join(',') ? measured : crops === '' ? measured?.singleCrop : undefined;
  if (!measured)
    throw new FaceError('INVALID_INPUT', `pack ${fr.pack.name} has no measured compare threshold: pass --threshold`);
  if (!table)
    throw new FaceError(
      'INVALID_INPUT',
      `--crops ${crops} has no calibrated threshold: pass --threshold (or use the default crops, or none)`,
    );
  return { tau: flip ? table.flip : table.plain };
}

export function registerPipelineCommands(program: Command): void {
  withDetectionOptions(
    withPackOptions(
      program
        .command('detect <image>')
        .description(
          "find faces: boxes, scores, landmarks (68 points for dlib packs; the detector's five points when it gives them)",
        )
        .option('--json', 'machine-readable output'),
    ),
  )
    .option('--no-landmarks', 'omit landmarks from the output')
    .action(
      action(async (image: string, flags: PipelineFlags & { landmarks: boolean }) => {
        const fr = await loadRecognizer(flags);
        const faces = await fr.detect(image);
        const json = {
          pack: fr.pack.name,
          faces: faces.map((f) => ({
            ...boxJson(f),
            ...(flags.landmarks && f.landmarks
              ? { landmarks: f.landmarks.map((p) => [round(p.x, 1), round(p.y, 1)]) }
              : {}),
            ...(flags.landmarks && f.points ? { points: f.points.map((p) => [round(p.x, 1), round(p.y, 1)]) } : {}),
          })),
        };
        printResult(flags, json, () =>
          faces.length
            ? faces
                .map(
                  (f, i) =>
                    `face ${i + 1}: x=${round(f.box.x, 0)} y=${round(f.box.y, 0)} ` +
                    `${round(f.box.width, 0)}×${round(f.box.height, 0)} score=${round(f.score, 3)}` +
                    (faces.length > 1 ? `  (--face ${boxText(f.box)})` : ''),
                )
                .join('\n')
            : 'no face found',
        );
        return faces.length ? EXIT.ok : EXIT.noMatch;
      }),
    );

  withPipelineOptions(
    program
      .command('embed <image>')
      .description("L2-normalised embedding of every face (the pack's: 128-D dlib, 512-D EdgeFace)"),
  )
    .option('--face <x,y,width,height>', 'only the face in this box (in pixels, as `facenet detect` prints them)')
    .action(
      action(async (image: string, flags: PipelineFlags & { face?: string }) => {
        const box = parseFaceOption(flags.face, flags);
        const fr = await loadRecognizer(flags);
        const found = await fr.embed(image, { aligned: flags.aligned });
        const faces = box && found.length ? [pickFace(found, box, image, 'nothing was embedded')] : found;
        const json = {
          model: fr.modelId,
          pack: fr.pack.name,
          faces: faces.map((f) => ({ ...boxJson(f), embedding: Array.from(f.embedding, (v) => round(v, 6)) })),
        };
        printResult(flags, json, () =>
          faces.length
            ? faces
                .map(
                  (f, i) =>
                    `face ${i + 1} [${Array.from(f.embedding.slice(0, 4), (v) => v.toFixed(4)).join(', ')}, …] (${f.embedding.length}-D)`,
                )
                .join('\n')
            : 'no face found',
        );
        return faces.length ? EXIT.ok : EXIT.noMatch;
      }),
    );

  withPipelineOptions(
    program
      .command('compare <imageA> <imageB>')
      .description('distance between the largest faces of two photos, and the same-person decision'),
  )
    .addHelpText('after', `\n${WHY_THRESHOLDS_DIFFER}`)
    .option(
      '--threshold <t>',
      "decision threshold on L2 distance (default: the pack's LFW-measured one; a --model from facenet train: its own validation calibration)",
    )
    .action(
      action(async (a: string, b: string, flags: PipelineFlags & { threshold?: string }) => {
        const threshold = Number(flags.threshold);
        if (flags.threshold !== undefined && !(threshold > 0))
          throw new FaceError('INVALID_INPUT', `--threshold must be a positive number, got "${flags.threshold}"`);
        const tta = flags.threshold === undefined ? await withModelTta(flags) : flags;
        const fr = await loadRecognizer(tta);
        const [fa, fb] = await Promise.all([
          fr.embed(a, { aligned: flags.aligned }),
          fr.embed(b, { aligned: flags.aligned }),
        ]);
        const ea = onlyFace(fa, a);
        const eb = onlyFace(fb, b);
        const d = distance(ea.embedding, eb.embedding);
        const { tau, calibration } =
          flags.threshold !== undefined ? { tau: threshold, calibration: undefined } : compareThreshold(fr, tta);
        if (calibration && !calibration.resolvable)
          process.stderr.write(
            `warning: the model's validation split cannot resolve FAR ${calibration.targetFar}; using its strictest measured threshold\n`,
          );
        const same = d < tau;
        // what τ lets through: the model's own measurement, else the shipped calibration of this model at τ
        const shipped = defaultCalibration(fr.modelId);
        const farAtThreshold = calibration ? calibration.far : shipped ? farAtDistance(shipped, tau) : undefined;
        const from = flags.threshold !== undefined ? 'user' : calibration ? 'model' : 'pack';
        const calibrationJson = calibration
          ? {
              calibration: {
                origin: 'model',
                targetFar: calibration.targetFar,
                far: calibration.far,
                tar: round(calibration.tar, 4),
                resolvable: calibration.resolvable,
              },
            }
          : {};
        printResult(
          flags,
          {
            distance: round(d, 6),
            same,
            threshold: tau,
            // pack: the LFW accuracy-maximising τ (no target FAR); model: its calibration at the default FAR; user
            thresholdFrom: from,
            ...(farAtThreshold !== undefined ? { farAtThreshold } : {}),
            ...calibrationJson,
            model: fr.modelId,
            pack: fr.pack.name,
            faces: { a: fa.length, b: fb.length },
          },
          () =>
            `distance ${d.toFixed(4)} ${same ? '<' : '≥'} τ ${tau.toFixed(4)}: ` +
            (same ? 'same person' : 'different people') +
            (fa.length > 1 || fb.length > 1 ? ` (largest face used; ${fa.length} and ${fb.length} faces found)` : '') +
            `\n${explainCompare({ threshold: tau, from, targetFar: calibration?.targetFar, farAtThreshold })}`,
        );
        return same ? EXIT.ok : EXIT.noMatch;
      }),
    );
}
