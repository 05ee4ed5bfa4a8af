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
import { scorePhotos, type FaceChoice, type LabelledPhoto, type ScoredPhoto } from '../../liveness/score-images.js';
import { contactSheetJpeg } from '../../liveness/contact-sheet.js';
import { FaceRecognizer } from '../../recognizer.js';
import { action, printResult } from '../output.js';
import {
  announceLicence,
  recognizerOptions,
  withDetectionOptions,
  withPackOptions,
  type PipelineFlags,
} from './common.js';
import { evalCommand, progressBar } from './eval.js';
import { expandImageArgs } from './gallery-common.js';

interface LivenessEvalFlags extends PipelineFlags {
  live: string[];
  attack: string[];
  targetBpcer?: string;
  targetApcer?: string;
  threshold?: string;
  face: string;
  scores?: string;
  fromScores: string[];
  sheet?: string;
  sheetMax: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];
const pct = (v: number) => (Number.isNaN(v) ? '–' : `${(100 * v).toFixed(2)} %`);

function rateOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n >= 0 && n < 1)) throw new FaceError('INVALID_INPUT', `--${name} expects a rate in [0, 1), got "${v}"`);
  return n;
}

/** `--live DIR…` and `--attack TYPE=DIR…` → labelled photos (folders recursive). */
function labelledPhotos(flags: LivenessEvalFlags): LabelledPhoto[] {
  const photos = expandImageArgs(flags.live).map((file) => ({ file, label: LIVE_LABEL }));
  for (const a of flags.attack) {
    const m = /^([a-z0-9_-]+)=(.+)$/i.exec(a);
    if (!m || m[1] === LIVE_LABEL)
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

function figuresJson(f: PadFigures) {
  return {
    threshold: f.threshold,
    bpcer: f.bpcer,
    apcer: f.apcer,
    apcerMax: f.apcerMax,
    acer: f.acer,
  };
}

function figuresText(title: string, f: PadFigures): string {
  const row = (label: string, r: PadFigures['bpcer'], what: string, term: string) =>
    `  ${label.padEnd(8)} ${String(r.count).padStart(6)} with a face${r.noFace ? ` (+${r.noFace} without)` : ''}: ` +
    `${term} ${pct(r.rate)} (${r.errors} ${what})`;
  return [
    `${title}: threshold ${f.threshold.toFixed(4)} (live iff score ≥ threshold)`,
    row('live', f.bpcer, 'refused', 'BPCER'),
    ...Object.entries(f.apcer).map(([t, r]) => row(t, r, 'accepted', 'APCER')),
    `  ACER ${pct(f.acer)} (worst APCER ${pct(f.apcerMax)})`,
  ].join('\n');
}

export function registerLivenessEvalCommand(program: Command): void {
  withDetectionOptions(withPackOptions(evalCommand(program).command('liveness')))
    .description(
      'the passive liveness check on labelled photos: APCER per attack type, BPCER, ACER (ISO/IEC 30107-3) ' +
        'and the threshold',
    )
    .option('--live <dir>', 'folder (recursive) or photo of live (bona fide) faces; repeatable', collect, [])
    .option('--attack <type=dir>', 'attack photos of one type, e.g. print=DIR or replay=DIR; repeatable', collect, [])
    .option('--target-bpcer <rate>', 'also calibrate: the highest threshold refusing at most this share of live faces')
    .option('--target-apcer <rate>', 'also calibrate: the lowest threshold accepting at most this share of attacks')
    .option('--threshold <t>', 'evaluate at this threshold instead of the shipped one')
    .option(
      '--face <which>',
      'the face judged in each photo: largest | central (LFW labels the central one)',
      'largest',
    )
    .option('--scores <file>', "write every photo's score (JSON) for later runs with --from-scores")
    .option(
      '--from-scores <file>',
      'use scores written by --scores instead of scanning photos; repeatable',
      collect,
      [],
    )
    .option(
      '--sheet <file.jpg>',
      'contact sheet of the errors at the reported threshold: refused live faces, accepted attacks',
    )
    .option(
      '--sheet-max <n>',
      'most faces on the sheet (lowest-scoring live first, then highest-scoring attacks)',
      '120',
    )
    .option('--json', 'machine-readable output')
    .action(
      action(async (flags: LivenessEvalFlags) => {
        const targetBpcer = rateOption('target-bpcer', flags.targetBpcer);
        const targetApcer = rateOption('target-apcer', flags.targetApcer);
        if (targetBpcer !== undefined && targetApcer !== undefined)
          throw new FaceError('INVALID_INPUT', 'give one of --target-bpcer and --target-apcer');
        const face = flags.face as FaceChoice;
        if (face !== 'largest' && face !== 'central')
          throw new FaceError('INVALID_INPUT', `--face expects largest or central, got "${flags.face}"`);
        const asked = flags.threshold === undefined ? undefined : Number(flags.threshold);
        if (asked !== undefined && !(asked >= 0 && asked <= 1))
          throw new FaceError('INVALID_INPUT', `--threshold expects a number in [0, 1], got "${flags.threshold}"`);

        const opts = recognizerOptions({ ...flags, threads: flags.threads ?? '1' });
        const fr = await FaceRecognizer.load(opts);
        let scored: ScoredPhoto[];
        let shipped: number;
        try {
          announceLicence(fr.packInfo);
          shipped = (await fr.livenessChecker()).threshold;
          if (flags.fromScores.length) scored = readScores(flags.fromScores);
          else {
            const photos = labelledPhotos(flags);
            if (!photos.length)
              throw new FaceError('INVALID_INPUT', 'no photos: give --live DIR and/or --attack TYPE=DIR');
            const bar = progressBar('scoring', !flags.json && process.stderr.isTTY === true);
            scored = await scorePhotos(fr, photos, { face, detect: opts.detect, onProgress: bar.update });
            bar.stop();
          }
        } finally {
          await fr.release();
        }
        if (flags.scores) writeFileSync(flags.scores, `${JSON.stringify(scored)}\n`);
        const usable = scored.filter((s) => !s.error);
        const errors = scored.filter((s) => s.error);
        const at = padFigures(usable, asked ?? shipped);
        const calibrated =
          targetBpcer !== undefined
            ? padFigures(usable, thresholdForBpcer(liveScoresOf(usable), targetBpcer))
            : targetApcer !== undefined
              ? padFigures(usable, thresholdForApcer(attackScoresOf(usable), targetApcer))
              : undefined;
        const reported = calibrated ?? at;
        if (flags.sheet) {
          const max = Number(flags.sheetMax) || 120;
          const refused = usable
            .filter((s) => s.label === LIVE_LABEL && s.score! < reported.threshold)
            .sort((a, b) => a.score! - b.score!);
          const accepted = usable
            .filter((s) => s.label !== LIVE_LABEL && s.score! >= reported.threshold)
            .sort((a, b) => b.score! - a.score!);
          const faces = [...refused, ...accepted]
            .slice(0, max)
            .map((s) => ({ file: s.file, box: s.box!, score: s.score! }));
          if (faces.length) writeFileSync(flags.sheet, await contactSheetJpeg(faces));
        }
        const threshold = asked !== undefined ? 'given' : 'shipped';
        const targetText = targetBpcer !== undefined ? `BPCER ≤ ${targetBpcer}` : `APCER ≤ ${targetApcer}`;
        printResult(
          flags,
          {
            pack: fr.pack.name,
            face,
            photos: scored.length,
            errors: errors.map((e) => ({ file: e.file, label: e.label, error: e.error })),
            [threshold]: figuresJson(at),
            ...(calibrated
              ? {
                  calibrated: {
                    target: targetBpcer !== undefined ? { bpcer: targetBpcer } : { apcer: targetApcer },
                    ...figuresJson(calibrated),
                  },
                }
              : {}),
          },
          () =>
            [
              `${scored.length} photos (pack ${fr.pack.name}'s detector, ${face} face)` +
                (errors.length ? `, ${errors.length} unreadable` : ''),
              figuresText(`${threshold} threshold`, at),
              ...(calibrated ? [figuresText(`calibrated for ${targetText}`, calibrated)] : []),
            ].join('\n'),
        );
      }),
    );
}
