/** facenet detect | embed | compare: the face pipeline on single images. */
import type { Command } from 'commander';
import { action, EXIT, printResult, writeErr } from '../output.js';
import { faceBoxFlag, numberFlag } from '../flags.js';
import { addOptions, JSON_OPTION } from '../options.js';
import {
  ALL_PIPELINE_OPTIONS,
  DETECTION_OPTIONS,
  loadRecognizer,
  PACK_OPTIONS,
  recognizerOptions,
  type PipelineFlags,
} from './common.js';
import { distance } from '../../embed/vector.js';
import { FaceError } from '../../errors.js';
import type { EmbeddedFace, Face, FaceRecognizer } from '../../recognizer.js';
import { compareOrigin, compareThreshold, trainedModelTta, type CompareThreshold } from '../../decide/compare.js';
import { explainCompare, WHY_THRESHOLDS_DIFFER } from '../../decide/explain.js';
import { boxText, pickFace } from '../../gallery/enrollment.js';
import { faceJson } from '../../face-json.js';

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

function onlyFace(faces: EmbeddedFace[], source: string): EmbeddedFace {
  if (faces.length === 0) throw new FaceError('NO_FACE', `no face found in ${source}`, { source });
  return faces[0]; // largest first
}

function detectLines(faces: readonly Face[]): string {
  if (!faces.length) return 'no face found';
  return faces
    .map(
      (f, i) =>
        `face ${i + 1}: x=${round(f.box.x, 0)} y=${round(f.box.y, 0)} ` +
        `${round(f.box.width, 0)}×${round(f.box.height, 0)} score=${round(f.score, 3)}` +
        (faces.length > 1 ? `  (--face ${boxText(f.box)})` : ''),
    )
    .join('\n');
}

async function detect(image: string, flags: PipelineFlags & { landmarks: boolean }): Promise<number> {
  const fr = await loadRecognizer(flags);
  const faces = await fr.detect(image);
  const json = { pack: fr.pack.name, faces: faces.map((f) => faceJson(f, { landmarks: flags.landmarks })) };
  printResult(flags, json, () => detectLines(faces));
  return faces.length ? EXIT.ok : EXIT.noMatch;
}

function embedLines(faces: readonly EmbeddedFace[]): string {
  if (!faces.length) return 'no face found';
  return faces
    .map(
      (f, i) =>
        `face ${i + 1} [${Array.from(f.embedding.slice(0, 4), (v) => v.toFixed(4)).join(', ')}, …] ` +
        `(${f.embedding.length}-D)`,
    )
    .join('\n');
}

async function embed(image: string, flags: PipelineFlags & { face?: string }): Promise<number> {
  const box = faceBoxFlag(flags.face, flags);
  const fr = await loadRecognizer(flags);
  const found = await fr.embed(image, { aligned: flags.aligned });
  const faces = box && found.length ? [pickFace(found, box, image, 'nothing was embedded')] : found;
  const json = {
    model: fr.modelId,
    pack: fr.pack.name,
    faces: faces.map((f) => faceJson(f, { landmarks: false, embedding: true })),
  };
  printResult(flags, json, () => embedLines(faces));
  return faces.length ? EXIT.ok : EXIT.noMatch;
}

/** The recognizer compare runs: a trained --model without TTA flags embeds with the TTA it was calibrated with. */
async function compareRecognizer(flags: PipelineFlags, explicitThreshold: boolean): Promise<FaceRecognizer> {
  const opts = recognizerOptions(flags);
  const fixedTta = explicitThreshold || flags.crops !== undefined || flags.flip !== undefined;
  const tta = flags.model && !fixedTta ? await trainedModelTta(flags.model) : undefined;
  return loadRecognizer(flags, tta && { ...opts, ...tta });
}

function calibrationJson(c: CompareThreshold['calibration']) {
  if (!c) return {};
  const { targetFar, far, tar, resolvable } = c;
  return { calibration: { origin: 'model', targetFar, far, tar: round(tar, 4), resolvable } };
}

async function compare(a: string, b: string, flags: PipelineFlags & { threshold?: string }): Promise<number> {
  const threshold = numberFlag('threshold', flags.threshold, { above: 0 });
  const fr = await compareRecognizer(flags, threshold !== undefined);
  const [fa, fb] = await Promise.all([
    fr.embed(a, { aligned: flags.aligned }),
    fr.embed(b, { aligned: flags.aligned }),
  ]);
  const d = distance(onlyFace(fa, a).embedding, onlyFace(fb, b).embedding);
  const chosen = threshold === undefined ? compareThreshold(fr, flags.model) : undefined;
  const { tau, calibration } = chosen ?? { tau: threshold!, calibration: undefined };
  const origin = compareOrigin(fr.modelId, tau, chosen);
  if (calibration && !calibration.resolvable)
    writeErr(
      `warning: the model's validation split cannot resolve FAR ${calibration.targetFar}; ` +
        `using its strictest measured threshold\n`,
    );
  const same = d < tau;
  const json = {
    distance: round(d, 6),
    same,
    threshold: tau,
    thresholdFrom: origin.from,
    ...(origin.farAtThreshold !== undefined ? { farAtThreshold: origin.farAtThreshold } : {}),
    ...calibrationJson(calibration),
    model: fr.modelId,
    pack: fr.pack.name,
    faces: { a: fa.length, b: fb.length },
  };
  printResult(
    flags,
    json,
    () =>
      `distance ${d.toFixed(4)} ${same ? '<' : '≥'} τ ${tau.toFixed(4)}: ${same ? 'same person' : 'different people'}` +
      (fa.length > 1 || fb.length > 1 ? ` (largest face used; ${fa.length} and ${fb.length} faces found)` : '') +
      `\n${explainCompare({ threshold: tau, targetFar: calibration?.targetFar, ...origin })}`,
  );
  return same ? EXIT.ok : EXIT.noMatch;
}

export function registerPipelineCommands(program: Command): void {
  const detectCommand = program
    .command('detect <image>')
    .description(
      "find faces: boxes, scores, landmarks (68 points for dlib packs; the detector's five points when it gives them)",
    );
  addOptions(detectCommand, [JSON_OPTION, ...PACK_OPTIONS, ...DETECTION_OPTIONS])
    .option('--no-landmarks', 'omit landmarks from the output')
    .action(action(detect));

  const embedCommand = program
    .command('embed <image>')
    .description("L2-normalised embedding of every face (the pack's: 128-D dlib, 512-D EdgeFace)");
  addOptions(embedCommand, ALL_PIPELINE_OPTIONS)
    .option('--face <x,y,width,height>', 'only the face in this box (in pixels, as `facenet detect` prints them)')
    .action(action(embed));

  const compareCommand = program
    .command('compare <imageA> <imageB>')
    .description('distance between the largest faces of two photos, and the same-person decision');
  addOptions(compareCommand, ALL_PIPELINE_OPTIONS)
    .addHelpText('after', `\n${WHY_THRESHOLDS_DIFFER}`)
    .option(
      '--threshold <t>',
      "decision threshold on L2 distance (default: the pack's LFW-measured one; " +
        'a --model from facenet train: its own validation calibration)',
    )
    .action(action(compare));
}
