/** facenet identify: 1:N open-set identification of every face in photos or folders, as text, JSON or CSV. */
import type { Command } from 'commander';
import { DEFAULT_IDENTIFY_FAR } from '../../decide/decisions.js';
import { FaceError } from '../../errors.js';
import type { IdentifyResult } from '../../gallery/gallery.js';
import { printableName } from '../../gallery/names.js';
import { action, EXIT, printResult, writeErr, writeOut } from '../output.js';
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

/** The nearest candidate who is not the answer (candidates are per template, so [1] may be the same person). */
export function nearestOther(f: IdentifiedFace): IdentifiedFace['candidates'][number] | undefined {
  return f.candidates.find((c) => c.person !== f.person);
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
    ].join(','),
  ];
  for (const r of rows) {
    if (r.error)
      lines.push(
        [r.source, '', '', '', '', '', '', '', '', '', '', '', `${r.error.code}: ${r.error.message}`]
          .map(csvCell)
          .join(','),
      );
    else if (!r.result!.faces.length)
      lines.push([r.source, 0, 'no face', '', r4(threshold), '', '', '', '', '', '', '', ''].map(csvCell).join(','));
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
          ]
            .map(csvCell)
            .join(','),
        );
      });
  }
  return lines.join('\n');
}

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
    .option('--top-k <k>', 'candidates per face', '5')
    .option('--csv', 'CSV output, one row per face')
    .action(
      action(async (inputs: string[], flags: GalleryFlags & { far?: string; topK: string; csv?: boolean }) => {
        const far = num('far', flags.far, DEFAULT_IDENTIFY_FAR, farOk);
        const topK = num('top-k', flags.topK, 5, (n) => Number.isInteger(n) && n >= 1);
        const files = expandImageArgs(inputs);
        if (!files.length) throw new FaceError('INVALID_INPUT', `no images found in ${inputs.join(', ')}`);
        const { gallery } = await openGallery(flags);
        try {
          const info = await gallery.openSet(far);
          if (info.warning) writeErr(`\n${info.warning}\n\n`);
          const bar = progressBar('identifying', files.length > 1 && process.stderr.isTTY === true);
          const rows: IdentifyRow[] = [];
          for (const [i, file] of files.entries()) {
            try {
              rows.push({ source: file, result: await gallery.identify(file, { far, topK, aligned: flags.aligned }) });
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
          if (flags.csv) writeOut(`${identifyCsv(rows, info.threshold)}\n`);
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
              () => {
                const w = Math.min(60, Math.max(6, ...files.map((f) => f.length)));
                const lines = [`${'image'.padEnd(w)}  face  ${'person'.padEnd(20)}  distance  nearest other candidate`];
                for (const r of rows) {
                  if (r.error) lines.push(`${r.source.padEnd(w)}  -     error [${r.error.code}] ${r.error.message}`);
                  else if (!r.result!.faces.length) lines.push(`${r.source.padEnd(w)}  -     (no face)`);
                  else
                    r.result!.faces.forEach((f, i) => {
                      const next = nearestOther(f);
                      lines.push(
                        `${(i ? '' : r.source).padEnd(w)}  ${String(i + 1).padEnd(4)}  ` +
                          `${printableName(f.person).padEnd(20)}  ` +
                          `${Number.isFinite(f.distance) ? f.distance.toFixed(4) : '-'.padEnd(6)}    ` +
                          `${next ? `${printableName(next.person)} ${next.distance.toFixed(4)}` : ''}`,
                      );
                    });
                }
                lines.push(
                  `τ ${info.threshold.toFixed(4)} for ${info.people} people (${info.comparisons} comparisons) ` +
                    `at open-set false-alarm rate ${far} ` +
                    `(per comparison ${info.perComparisonFar.toExponential(2)}; ${info.calibration})`,
                  `${summary.recognised} recognised, ${summary.unknown} unknown, ` +
                    `${summary.imagesWithoutFace} image(s) without a face, ${summary.errors} error(s)`,
                );
                return lines.join('\n');
              },
            );
          if (!flags.json && !flags.csv)
            for (const r of rows) if (r.error) writeErr(`error [${r.error.code}]: ${r.error.message}\n`);
          return summary.errors ? EXIT.error : summary.recognised ? EXIT.ok : EXIT.noMatch;
        } finally {
          await gallery.close();
        }
      }),
    );
}
