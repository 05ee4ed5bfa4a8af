/** facenet identify: 1:N open-set identification of every face in photos or folders, as text, JSON or CSV. */
import type { Command } from 'commander';
import { DEFAULT_IDENTIFY_FAR } from '../../decide/decisions.js';
import { FaceError } from '../../errors.js';
import type { Gallery, IdentifyResult } from '../../gallery/gallery.js';
import { explainIdentify, WHY_THRESHOLDS_DIFFER } from '../../decide/explain.js';
import { printableName } from '../../gallery/names.js';
import { action, EXIT, printResult } from '../output.js';
import { parseFaceOption } from './common.js';
import { progressBar } from './eval.js';
import {
  boxJson,
  combinationOption,
  expandImageArgs,
  farOk,
  num,
  openGallery,
  r4,
  withGalleryOptions,
  type GalleryFlags,
} from './gallery-common.js';

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

type IdentifyRow = { source: string; result?: IdentifyResult; error?: FaceError };
type IdentifiedFace = IdentifyResult['faces'][number];

/** The nearest enrolled person: the answer, or for an unknown face the nearest candidate (too far to be named). */
export function nearestPerson(f: IdentifiedFace): string | undefined {
  return f.person !== 'unknown' ? f.person : f.candidates[0]?.person;
}

/**
 * The runner-up: the nearest candidate who is not the nearest person (candidates are per template, so [1] may be the
 * same person). For an unknown face the row already shows the nearest person and distance: this is the next one.
 */
export function nearestOther(f: IdentifiedFace): IdentifiedFace['candidates'][number] | undefined {
  const nearest = nearestPerson(f);
  return f.candidates.find((c) => c.person !== nearest);
}

/** Identify output as CSV: one row per face (or per image without faces / with an error). */
export function identifyCsv(rows: readonly IdentifyRow[], threshold: number): string {
  const lines = [
    [
      'source',
      'face',
      'person',
      'distance',
      'threshold',
      'second',
      'second_distance',
      'x',
      'y',
      'width',
      'height',
      'score',
      'error',
      // appended, so that the columns before keep their places: the nearest enrolled person (an unknown face's too)
      'nearest',
    ].join(','),
  ];
  for (const r of rows) {
    if (r.error)
      lines.push(
        [r.source, '', '', '', '', '', '', '', '', '', '', '', `${r.error.code}: ${r.error.message}`, '']
          .map(csvCell)
          .join(','),
      );
    else if (!r.result!.faces.length)
      lines.push(
        [r.source, 0, 'no face', '', r4(threshold), '', '', '', '', '', '', '', '', ''].map(csvCell).join(','),
      );
    else
      r.result!.faces.forEach((f, i) => {
        const b = boxJson(f.box);
        const second = nearestOther(f);
        lines.push(
          [
            r.source,
            i + 1,
            f.person,
            r4(f.distance),
            r4(threshold),
            second?.person,
            second ? r4(second.distance) : '',
            b.x,
            b.y,
            b.width,
            b.height,
            r4(f.score),
            '',
            nearestPerson(f),
          ]
            .map(csvCell)
            .join(','),
        );
      });
  }
  return lines.join('\n');
}

type OpenSetInfo = Awaited<ReturnType<Gallery['openSet']>>;
interface IdentifySummary {
  recognised: number;
  unknown: number;
  imagesWithoutFace: number;
  errors: number;
}

/**
 * The human table: one row per face. An unknown face shows its nearest enrolled person once (in the person column,
 * with its distance), and the runner-up beside it; then what τ(K) promises, in words.
 */
export function identifyTable(rows: readonly IdentifyRow[], info: OpenSetInfo, summary: IdentifySummary): string {
  const w = Math.min(60, Math.max(6, ...rows.map((r) => r.source.length)));
  const lines = [`${'image'.padEnd(w)}  face  ${'person'.padEnd(28)}  distance  next nearest person`];
  for (const r of rows) {
    if (r.error) lines.push(`${r.source.padEnd(w)}  -     error [${r.error.code}] ${r.error.message}`);
    else if (!r.result!.faces.length) lines.push(`${r.source.padEnd(w)}  -     (no face)`);
    else
      r.result!.faces.forEach((f, i) => {
        const nearest = nearestPerson(f);
        const who =
          f.person !== 'unknown'
            ? printableName(f.person)
            : nearest
              ? `unknown (nearest: ${printableName(nearest)})`
              : 'unknown (gallery empty)';
        const next = nearestOther(f);
        lines.push(
          `${(i ? '' : r.source).padEnd(w)}  ${String(i + 1).padEnd(4)}  ${who.padEnd(28)}  ` +
            `${Number.isFinite(f.distance) ? f.distance.toFixed(4) : '-'.padEnd(6)}    ` +
            (next ? `${printableName(next.person)} ${next.distance.toFixed(4)}` : ''),
        );
      });
  }
  lines.push(
    explainIdentify(info),
    `${summary.recognised} recognised, ${summary.unknown} unknown, ` +
      `${summary.imagesWithoutFace} image(s) without a face, ${summary.errors} error(s)`,
  );
  return lines.join('\n');
}

type IdentifyFlags = GalleryFlags & { far?: string; topK: string; csv?: boolean; face?: string };

export function registerIdentifyCommand(program: Command): void {
  combinationOption(
    withGalleryOptions(
      program
        .command('identify <inputs...>')
        .description('1:N open-set: who is in each photo (files or folders, recursive)?'),
    ),
  )
    .option(
      '--far <rate>',
      `open-set false-alarm rate: chance a stranger is matched to anyone (default ${DEFAULT_IDENTIFY_FAR})`,
    )
    .addHelpText('after', `\n${WHY_THRESHOLDS_DIFFER}`)
    .option('--top-k <k>', 'candidates per face', '5')
    .option(
      '--face <x,y,width,height>',
      `identify only the face in this box (x,y,width,height in pixels, as \`facenet detect\` prints them) of one photo`,
    )
    .option('--csv', 'CSV output, one row per face')
    .action(
      action(async (inputs: string[], flags: IdentifyFlags) => {
        const far = num('far', flags.far, DEFAULT_IDENTIFY_FAR, farOk);
        const topK = num('top-k', flags.topK, 5, (n) => Number.isInteger(n) && n >= 1);
        const face = parseFaceOption(flags.face, flags);
        const files = expandImageArgs(inputs);
        if (!files.length) throw new FaceError('INVALID_INPUT', `no images found in ${inputs.join(', ')}`);
        if (face && files.length > 1)
          throw new FaceError('INVALID_INPUT', '--face picks a face in one photo: identify one photo with it');
        const { gallery } = await openGallery(flags);
        try {
          const info = await gallery.openSet(far);
          if (info.warning) process.stderr.write(`\n${info.warning}\n\n`);
          const bar = progressBar('identifying', files.length > 1 && process.stderr.isTTY === true);
          const rows: IdentifyRow[] = [];
          for (const [i, file] of files.entries()) {
            try {
              rows.push({
                source: file,
                result: await gallery.identify(file, { far, topK, face, aligned: flags.aligned }),
              });
            } catch (e) {
              if (!(e instanceof FaceError)) throw e;
              rows.push({ source: file, error: e });
            }
            bar.update(i + 1, files.length);
          }
          bar.stop();
          const faces = rows.flatMap((r) => r.result?.faces ?? []);
          const summary = {
            images: files.length,
            faces: faces.length,
            recognised: faces.filter((f) => f.person !== 'unknown').length,
            unknown: faces.filter((f) => f.person === 'unknown').length,
            imagesWithoutFace: rows.filter((r) => r.result && !r.result.faces.length).length,
            errors: rows.filter((r) => r.error).length,
          };
          if (flags.csv) process.stdout.write(`${identifyCsv(rows, info.threshold)}\n`);
          else
            printResult(
              flags,
              {
                threshold: r4(info.threshold),
                openSetFar: info.openSetFar,
                perComparisonFar: info.perComparisonFar,
                people: info.people,
                comparisons: info.comparisons,
                resolvable: info.resolvable,
                ...(info.warning ? { warning: info.warning } : {}),
                calibration: info.calibration,
                results: rows.map((r) =>
                  r.error
                    ? { source: r.source, error: r.error.toJSON() }
                    : {
                        source: r.source,
                        faces: r.result!.faces.map((f) => ({
                          person: f.person,
                          distance: r4(f.distance),
                          box: boxJson(f.box),
                          score: r4(f.score),
                          candidates: f.candidates.map((c) => ({ person: c.person, distance: r4(c.distance) })),
                        })),
                      },
                ),
                summary,
              },
              () => identifyTable(rows, info, summary),
            );
          if (!flags.json && !flags.csv)
            for (const r of rows) if (r.error) process.stderr.write(`error [${r.error.code}]: ${r.error.message}\n`);
          return summary.errors ? EXIT.error : summary.recognised ? EXIT.ok : EXIT.noMatch;
        } finally {
          await gallery.close();
        }
      }),
    );
}
