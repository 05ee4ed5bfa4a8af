/**
 * What querying a gallery with a cheaper TTA variant costs in accuracy, from the shipped calibration tables
 * (src/decide/calibrations/, made by `facenet calibrate --lfw DIR --exhaustive --cross`): for every cross table
 * (templates of variant A, queries of variant B) the TAR at FAR 1e-3 and 1e-4 and τ, next to A's own table and B's
 * own table (templates and queries both of that variant), and the FAR the cross pairs would really have if they
 * were decided with A's own τ for 1e-3 (what deciding them without a cross table would do). All over the same
 * 5,925,403 pairs of pairsDevTrain's 3,443 images. Prints a Markdown table.
 *
 *   npx tsx scripts/tta-variants-report.ts [--file FILE]   (default: every shipped table)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { farAtDistance, tauForFar, type CalibrationTable } from '../src/decide/calibration.js';
import { parseCalibrationFile, shippedCalibrations } from '../src/decide/default-calibration.js';

const { values } = parseArgs({ options: { file: { type: 'string' } } });
const tables = values.file
  ? parseCalibrationFile(JSON.parse(readFileSync(values.file, 'utf8')), values.file).tables
  : shippedCalibrations().tables;

const FARS = [1e-3, 1e-4];
const own = (modelId: string) => tables.find((t) => t.modelId === modelId && !t.probeModelId);
const cell = (t: CalibrationTable | undefined, far: number) => {
  if (!t) return '–';
  const c = tauForFar(t, far);
  return `${(100 * c.tar).toFixed(2)} % (τ ${c.threshold.toFixed(3)})`;
};
/** The TTA suffix of a model id, readable. */
const variant = (id: string) => {
  const crops = /\+crops([\d.,]+)/.exec(id)?.[1];
  const flip = id.endsWith('+flip');
  return [crops ? `crops ${crops}` : 'no crops', flip ? 'flip' : 'no flip'].join(', ');
};
const net = (id: string) => id.replace(/\+crops[\d.,]+/, '').replace(/\+flip$/, '');

const header = [
  'network',
  'templates (A)',
  'queries (B)',
  ...FARS.flatMap((f) => [`A×A TAR@${f}`, `A×B TAR@${f}`, `B×B TAR@${f}`]),
  'A×B FAR at A×A τ(1e-3)',
];
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map(() => '---').join('|')}|`);
for (const t of tables) {
  if (!t.probeModelId) continue;
  const [a, b] = [own(t.modelId), own(t.probeModelId)];
  const wrong = a ? farAtDistance(t, tauForFar(a, 1e-3).threshold).toExponential(2) : '–';
  const cells = FARS.flatMap((f) => [cell(a, f), cell(t, f), cell(b, f)]);
  console.log(`| ${[net(t.modelId), variant(t.modelId), variant(t.probeModelId), ...cells, wrong].join(' | ')} |`);
}
