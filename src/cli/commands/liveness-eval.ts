/**
 * facenet eval liveness: the passive liveness check on labelled live and attack photos, in ISO/IEC 30107-3 terms
 * (APCER per attack type, BPCER, ACER), at the shipped threshold (or --threshold) and, with --target-bpcer or
 * --target-apcer, at the threshold calibrated from that target rate.
 */
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { FaceError } from '../../errors.js';
import {
  attackScoresOf,
  liveScoresOf,
  LIVE_LABEL,
  padFigures,
  thresholdForApcer,
  thresholdForBpcer,
  type PadFigures,
} from '../../liveness/evaluate.js';
import { scorePhotos, type LabelledPhoto, type ScoredPhoto } from '../../liveness/score-images.js';
import { FACE_POLICY_HELP, parseFacePolicy, type FacePolicy } from '../../eval/labelled-face.js';
import { contactSheetJpeg } from '../../liveness/contact-sheet.js';
import { stagesOf } from '../../recognizer.js';
import { LIVENESS_THRESHOLD } from '../../pack/liveness.js';
import { resolvePack } from '../../pack/router.js';
import { action, printResult } from '../output.js';
import { numberFlag, POSITIVE_INT, UNIT, type NumberRule } from '../flags.js';
import { addOptions, JSON_OPTION, type OptionSpec } from '../options.js';
import { expandImageArgs } from '../inputs.js';
import { progressBar } from '../progress.js';
import { DETECTION_OPTIONS, loadRecognizer, PACK_OPTIONS, recognizerOptions, type PipelineFlags } from './common.js';
import { evalCommand } from './eval-common.js';
import { figuresJson, figuresText, sheetFaces } from './liveness-eval-output.js';

interface LivenessEvalFlags extends PipelineFlags {
  live: string[];
  attack: string[];
  targetBpcer?: string;
  targetApcer?: string;
  threshold?: string;
  face?: string;
  scores?: string;
  fromScores: string[];
  sheet?: string;
  sheetMax: string;
}

/** The face judged in a photo of the assembled sets (one person, not always centred); LFW's: centre or nearest. */
const LIVENESS_FACE_POLICY: FacePolicy = 'largest';
/** A target error rate: 0 (none allowed) up to, not including, 1. */
const TARGET_RATE: NumberRule = { min: 0, below: 1 };

const collect = (v: string, prev: string[]) => [...prev, v];

const LIVENESS_EVAL_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--target-bpcer <rate>',
    help: 'also calibrate: the highest threshold refusing at most this share of live faces',
  },
  {
    flags: '--target-apcer <rate>',
    help: 'also calibrate: the lowest threshold accepting at most this share of attacks',
  },
  { flags: '--threshold <t>', help: 'evaluate at this threshold instead of the shipped one' },
  { flags: '--face <policy>', help: `${FACE_POLICY_HELP} (default ${LIVENESS_FACE_POLICY})` },
  { flags: '--scores <file>', help: "write every photo's score (JSON) for later runs with --from-scores" },
  {
    flags: '--sheet <file.jpg>',
    help: 'contact sheet of the errors at the reported threshold: refused live faces, accepted attacks',
  },
  {
    flags: '--sheet-max <n>',
    help: 'most faces on the sheet (lowest-scoring live first, then highest-scoring attacks)',
    default: '120',
  },
  JSON_OPTION,
];

/** `--live DIR…` and `--attack TYPE=DIR…` → labelled photos (folders recursive). */
function labelledPhotos(flags: LivenessEvalFlags): LabelledPhoto[] {
  const photos = expandImageArgs(flags.live).map((file) => ({ file, label: LIVE_LABEL }));
  for (const a of flags.attack) {
    const m = /^([a-z0-9_-]+)=(.+)$/i.exec(a);
    if (!m || m[1].toLowerCase() === LIVE_LABEL)
      throw new FaceError('INVALID_INPUT', `--attack expects TYPE=DIR (e.g. print=photos/print), got "${a}"`);
    photos.push(...expandImageArgs([m[2]]).map((file) => ({ file, label: m[1].toLowerCase() })));
  }
  return photos;
}

function readScores(files: readonly string[]): ScoredPhoto[] {
  return files.flatMap((f) => {
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as ScoredPhoto[];
    } catch (e) {
      throw new FaceError('INVALID_INPUT', `--from-scores ${f}: ${(e as Error).message}`);
    }
  });
}

/** Every photo's score, from --from-scores files (no model loaded) or by scanning the photos. */
async function scoreAll(flags: LivenessEvalFlags, face: FacePolicy): Promise<{ scored: ScoredPhoto[]; pack: string }> {
  if (flags.fromScores.length) return { scored: readScores(flags.fromScores), pack: resolvePack(flags.pack).name };
  const photos = labelledPhotos(flags);
  if (!photos.length) throw new FaceError('INVALID_INPUT', 'no photos: give --live DIR and/or --attack TYPE=DIR');
  const fr = await loadRecognizer(flags, recognizerOptions({ ...flags, threads: flags.threads ?? '1' }));
  try {
    const bar = progressBar('scoring', !flags.json && process.stderr.isTTY === true);
    const scored = await scorePhotos(stagesOf(fr), photos, { face, onProgress: bar.update });
    bar.stop();
    return { scored, pack: fr.pack.name };
  } finally {
    await fr.close();
  }
}

async function evalLiveness(flags: LivenessEvalFlags): Promise<void> {
  const targetBpcer = numberFlag('target-bpcer', flags.targetBpcer, TARGET_RATE);
  const targetApcer = numberFlag('target-apcer', flags.targetApcer, TARGET_RATE);
  if (targetBpcer !== undefined && targetApcer !== undefined)
    throw new FaceError('INVALID_INPUT', 'give one of --target-bpcer and --target-apcer');
  const face = parseFacePolicy(flags.face, LIVENESS_FACE_POLICY);
  const asked = numberFlag('threshold', flags.threshold, UNIT);
  const sheetMax = numberFlag('sheet-max', flags.sheetMax, POSITIVE_INT)!;

  const { scored, pack } = await scoreAll(flags, face);
  if (flags.scores) writeFileSync(flags.scores, `${JSON.stringify(scored)}\n`);
  const usable = scored.filter((s) => !s.error);
  const errors = scored.filter((s) => s.error);
  const at = padFigures(usable, asked ?? LIVENESS_THRESHOLD);
  let calibrated: PadFigures | undefined;
  if (targetBpcer !== undefined) calibrated = padFigures(usable, thresholdForBpcer(liveScoresOf(usable), targetBpcer));
  else if (targetApcer !== undefined)
    calibrated = padFigures(usable, thresholdForApcer(attackScoresOf(usable), targetApcer));
  const reported = calibrated ?? at;
  if (flags.sheet) {
    const faces = sheetFaces(usable, reported.threshold, sheetMax);
    if (faces.length) writeFileSync(flags.sheet, await contactSheetJpeg(faces));
  }
  const threshold = asked !== undefined ? 'given' : 'shipped';
  const target = targetBpcer !== undefined ? { bpcer: targetBpcer } : { apcer: targetApcer };
  const targetText = targetBpcer !== undefined ? `BPCER ≤ ${targetBpcer}` : `APCER ≤ ${targetApcer}`;
  printResult(
    flags,
    {
      pack,
      face,
      photos: scored.length,
      errors: errors.map((e) => ({ file: e.file, label: e.label, error: e.error })),
      [threshold]: figuresJson(at),
      ...(calibrated ? { calibrated: { target, ...figuresJson(calibrated) } } : {}),
    },
    () =>
      [
        `${scored.length} photos (pack ${pack}'s detector, ${face} face)` +
          (errors.length ? `, ${errors.length} unreadable` : ''),
        figuresText(`${threshold} threshold`, at),
        ...(calibrated ? [figuresText(`calibrated for ${targetText}`, calibrated)] : []),
      ].join('\n'),
  );
}

export function registerLivenessEvalCommand(program: Command): void {
  const cmd = evalCommand(program)
    .command('liveness')
    .description(
      'the passive liveness check on labelled photos: APCER per attack type, BPCER, ACER (ISO/IEC 30107-3) ' +
        'and the threshold',
    )
    .option('--live <dir>', 'folder (recursive) or photo of live (bona fide) faces; repeatable', collect, [])
    .option('--attack <type=dir>', 'attack photos of one type, e.g. print=DIR or replay=DIR; repeatable', collect, [])
    .option(
      '--from-scores <file>',
      'use scores written by --scores instead of scanning photos; repeatable',
      collect,
      [],
    );
  addOptions(cmd, [...PACK_OPTIONS, ...DETECTION_OPTIONS, ...LIVENESS_EVAL_OPTIONS]).action(action(evalLiveness));
}
