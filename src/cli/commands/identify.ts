/** facenet identify: 1:N open-set identification of every face in photos or folders, as text, JSON or CSV. */
import type { Command } from 'commander';
import { DEFAULT_IDENTIFY_FAR } from '../../decide/decisions.js';
import { FaceError, isInputError } from '../../errors.js';
import type { Gallery, IdentifyOptions } from '../../gallery/gallery.js';
import { action, EXIT, printResult, writeErr, writeOut } from '../output.js';
import { faceBoxFlag, numberFlag, POSITIVE_INT, RATE } from '../flags.js';
import { WHY_THRESHOLDS_DIFFER } from '../../decide/explain.js';
import { expandImageArgs } from '../inputs.js';
import { progressBar } from '../progress.js';
import { combinationOption, openGallery, withGalleryOptions, type GalleryFlags } from './gallery-common.js';
import { identifyCsv, identifyJson, identifySummary, identifyTable, type IdentifyRow } from './identify-output.js';

export { identifyCsv, nearestOther } from './identify-output.js';

type IdentifyFlags = GalleryFlags & { far?: string; topK: string; csv?: boolean; face?: string };

/** Every file identified in turn; a typed error is that file's row, anything else stops the run. */
async function identifyFiles(
  gallery: Gallery,
  files: readonly string[],
  opts: IdentifyOptions,
): Promise<IdentifyRow[]> {
  const bar = progressBar('identifying', files.length > 1 && process.stderr.isTTY === true);
  const rows: IdentifyRow[] = [];
  for (const [i, file] of files.entries()) {
    try {
      rows.push({ source: file, result: await gallery.identify(file, opts) });
    } catch (e) {
      if (!isInputError(e)) throw e;
      rows.push({ source: file, error: e });
    }
    bar.update(i + 1, files.length);
  }
  bar.stop();
  return rows;
}

async function identify(inputs: string[], flags: IdentifyFlags): Promise<number> {
  const far = numberFlag('far', flags.far, RATE) ?? DEFAULT_IDENTIFY_FAR;
  const topK = numberFlag('top-k', flags.topK, POSITIVE_INT) ?? 5;
  const face = faceBoxFlag(flags.face, flags);
  const files = expandImageArgs(inputs);
  if (!files.length) throw new FaceError('INVALID_INPUT', `no images found in ${inputs.join(', ')}`);
  if (face && files.length > 1)
    throw new FaceError('INVALID_INPUT', '--face picks a face in one photo: identify one photo with it');
  const { gallery } = await openGallery(flags);
  try {
    const info = await gallery.openSet(far);
    if (info.warning) writeErr(`\n${info.warning}\n\n`);
    const rows = await identifyFiles(gallery, files, { far, topK, face, aligned: flags.aligned });
    const summary = identifySummary(rows);
    if (flags.csv) writeOut(`${identifyCsv(rows, info.threshold)}\n`);
    else printResult(flags, identifyJson(info, rows, summary), () => identifyTable(info, rows, summary));
    if (!flags.json && !flags.csv)
      for (const r of rows) if (r.error) writeErr(`error [${r.error.code}]: ${r.error.message}\n`);
    return summary.errors ? EXIT.error : summary.recognised ? EXIT.ok : EXIT.noMatch;
  } finally {
    await gallery.close();
  }
}

export function registerIdentifyCommand(program: Command): void {
  const cmd = program
    .command('identify <inputs...>')
    .description('1:N open-set: who is in each photo (files or folders, recursive)?');
  combinationOption(withGalleryOptions(cmd))
    .option(
      '--far <rate>',
      `open-set false-alarm rate: chance a stranger is matched to anyone (default ${DEFAULT_IDENTIFY_FAR})`,
    )
    .addHelpText('after', `\n${WHY_THRESHOLDS_DIFFER}`)
    .option('--top-k <k>', 'candidates per face', '5')
    .option(
      '--face <x,y,width,height>',
      'identify only the face in this box (x,y,width,height in pixels, as `facenet detect` prints them) of one photo',
    )
    .option('--csv', 'CSV output, one row per face')
    .action(action(identify));
}
