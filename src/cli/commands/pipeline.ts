/** facenet detect | embed | compare: the face pipeline on single images. */
import type { Command } from 'commander';
import { action, EXIT, printResult } from '../output.js';
import {
  flipOf,
  livenessOf,
  loadRecognizer,
  withDetectionOptions,
  withLivenessOptions,
  withPackOptions,
  withPipelineOptions,
  type PipelineFlags,
} from './common.js';
import { expandImageArgs } from './gallery-common.js';
import type { Face, FaceRecognizer } from '../../recognizer.js';
import type { Liveness } from '../../liveness/types.js';
import { statSync } from 'node:fs';
import { distance } from '../../embed/distance.js';
import { FaceError } from '../../errors.js';
import type { EmbeddedFace } from '../../recognizer.js';
import { tauForFar, type ThresholdChoice } from '../../decide/calibration.js';
import { DEFAULT_VERIFY_FAR } from '../../decide/decisions.js';
import { ownCalibrationFor, ttaFlagsOf } from '../../gallery/face-source.js';
import { readModelMeta } from '../../train/model-meta.js';

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

/** A face's liveness verdict in JSON (scores to 4 decimals). */
export const livenessJson = (l: Liveness | undefined) =>
  l ? { liveness: { live: l.live, score: round(l.score, 4), threshold: l.threshold } } : {};

type DetectRow = { source: string; faces?: Face[]; error?: FaceError };

function faceJson(f: Face, landmarks: boolean) {
  return {
    ...boxJson(f),
    ...livenessJson(f.liveness),
    ...(landmarks && f.landmarks ? { landmarks: f.landmarks.map((p) => [round(p.x, 1), round(p.y, 1)]) } : {}),
    ...(landmarks && f.points ? { points: f.points.map((p) => [round(p.x, 1), round(p.y, 1)]) } : {}),
  };
}

function faceLine(f: Face, i: number): string {
  const l = f.liveness;
  const verdict = l ? ` liveness=${round(l.score, 3)} ${l.live ? 'live' : `NOT LIVE (< ${l.threshold})`}` : '';
  const { x, y, width, height } = f.box;
  return (
    `face ${i + 1}: x=${round(x, 0)} y=${round(y, 0)} ${round(width, 0)}×${round(height, 0)} ` +
    `score=${round(f.score, 3)}${verdict}`
  );
}

/** Detect in every photo; a typed error (unreadable photo, SPOOF_SUSPECTED under require) is that photo's row. */
async function detectAll(fr: FaceRecognizer, files: readonly string[], flags: PipelineFlags): Promise<DetectRow[]> {
  const liveness = livenessOf(flags);
  const rows: DetectRow[] = [];
  for (const source of files) {
    try {
      rows.push({ source, faces: await fr.detect(source, { liveness }) });
    } catch (e) {
      if (!(e instanceof FaceError)) throw e;
      rows.push({ source, error: e });
    }
  }
  return rows;
}

/** Exit code of a run over several photos: errors first (4 when every error is SPOOF_SUSPECTED), then faces found. */
function detectExit(rows: readonly DetectRow[]): number {
  const errors = rows.filter((r) => r.error);
  if (errors.length) return errors.every((r) => r.error!.code === 'SPOOF_SUSPECTED') ? EXIT.spoof : EXIT.error;
  return rows.some((r) => r.faces?.length) ? EXIT.ok : EXIT.noMatch;
}

const isFile = (p: string) => {
  try {
    return !statSync(p).isDirectory();
  } catch {
    return true; // not there: the decoder reports IMAGE_NOT_FOUND
  }
};

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
  withLivenessOptions(
    withDetectionOptions(
      withPackOptions(
        program
          .command('detect <inputs...>')
          .description(
            'find faces in photos or folders (recursive): boxes, scores, landmarks ' +
              "(68 points for dlib packs; the detector's five points when it gives them)",
          )
          .option('--json', 'machine-readable output'),
      ),
    ),
    'every face',
  )
    .option('--no-landmarks', 'omit landmarks from the output')
    .action(
      action(async (inputs: string[], flags: PipelineFlags & { landmarks: boolean }) => {
        livenessOf(flags); // a bad policy is refused before the models load
        const files = expandImageArgs(inputs);
        if (!files.length) throw new FaceError('INVALID_INPUT', `no images found in ${inputs.join(', ')}`);
        const fr = await loadRecognizer(flags);
        try {
          // one photo named: its faces at the top level, and its error as the command's (as before folders)
          if (inputs.length === 1 && isFile(inputs[0])) {
            const faces = await fr.detect(inputs[0], { liveness: livenessOf(flags) });
            printResult(flags, { pack: fr.pack.name, faces: faces.map((f) => faceJson(f, flags.landmarks)) }, () =>
              faces.length ? faces.map(faceLine).join('\n') : 'no face found',
            );
            return faces.length ? EXIT.ok : EXIT.noMatch;
          }
          const rows = await detectAll(fr, files, flags);
          const faces = rows.flatMap((r) => r.faces ?? []);
          const summary = {
            images: rows.length,
            faces: faces.length,
            notLive: faces.filter((f) => f.liveness && !f.liveness.live).length,
            imagesWithoutFace: rows.filter((r) => r.faces && !r.faces.length).length,
            errors: rows.filter((r) => r.error).length,
          };
          printResult(
            flags,
            {
              pack: fr.pack.name,
              results: rows.map((r) =>
                r.error
                  ? { source: r.source, error: r.error.toJSON() }
                  : { source: r.source, faces: r.faces!.map((f) => faceJson(f, flags.landmarks)) },
              ),
              summary,
            },
            () =>
              [
                ...rows.map((r) =>
                  r.error
                    ? `${r.source}: error [${r.error.code}] ${r.error.message}`
                    : r.faces!.length
                      ? [`${r.source}:`, ...r.faces!.map((f, i) => `  ${faceLine(f, i)}`)].join('\n')
                      : `${r.source}: no face found`,
                ),
                `${summary.images} image(s), ${summary.faces} face(s)` +
                  (flags.liveness && flags.liveness !== 'off' ? `, ${summary.notLive} not live` : '') +
                  `, ${summary.imagesWithoutFace} without a face, ${summary.errors} error(s)`,
              ].join('\n'),
          );
          return detectExit(rows);
        } finally {
          await fr.release();
        }
      }),
    );

  withPipelineOptions(
    program
      .command('embed <image>')
      .description("L2-normalised embedding of every face (the pack's: 128-D dlib, 512-D EdgeFace)"),
  ).action(
    action(async (image: string, flags: PipelineFlags) => {
      const fr = await loadRecognizer(flags);
      const faces = await fr.embed(image, { aligned: flags.aligned });
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
            ...calibrationJson,
            model: fr.modelId,
            pack: fr.pack.name,
            faces: { a: fa.length, b: fb.length },
          },
          () =>
            `distance ${d.toFixed(4)} ${same ? '<' : '≥'} τ ${tau.toFixed(4)}: ${same ? 'same person' : 'different people'}` +
            (fa.length > 1 || fb.length > 1 ? ` (largest face used; ${fa.length} and ${fb.length} faces found)` : ''),
        );
        return same ? EXIT.ok : EXIT.noMatch;
      }),
    );
}
