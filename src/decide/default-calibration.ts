/**
 * The calibration shipped with the package (LFW View 1, pairsDevTrain.txt), so decisions are sane out of the box:
 * one file per pack under calibrations/, each table keyed by the model id of one TTA variant, or (cross tables,
 * format 2) by the variant of the stored templates and the variant of the queries. A gallery's own calibration
 * (`facenet calibrate`) takes precedence.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { FaceError } from '../errors.js';
import {
  calibrationKey,
  parseCalibrationTable,
  probeModelOf,
  tableFits,
  type CalibrationTable,
} from './calibration.js';
import dlib128 from './calibrations/dlib128.json' with { type: 'json' };
import dlib128Yunet from './calibrations/dlib128-yunet.json' with { type: 'json' };
import edgefaceXs from './calibrations/edgeface-xs.json' with { type: 'json' };
import edgefaceXsYunet from './calibrations/edgeface-xs-yunet.json' with { type: 'json' };
import edgefaceXs128 from './calibrations/edgeface-xs-128.json' with { type: 'json' };

/** Static imports, so that the build copies each file into dist/. */
const SHIPPED: Record<string, unknown> = {
  dlib128,
  'dlib128-yunet': dlib128Yunet,
  'edgeface-xs': edgefaceXs,
  'edgeface-xs-yunet': edgefaceXsYunet,
  'edgeface-xs-128': edgefaceXs128,
};

export interface CalibrationFile {
  readonly about?: string;
  readonly tables: readonly CalibrationTable[];
}

export function parseCalibrationFile(json: unknown, where: string): CalibrationFile {
  const f = json as { about?: unknown; tables?: unknown } | null;
  if (!f || !Array.isArray(f.tables))
    throw new FaceError('CALIBRATION_ERROR', `${where} is not a calibration file (expected { tables: [...] })`);
  return {
    about: typeof f.about === 'string' ? f.about : undefined,
    tables: f.tables.map((t, i) => parseCalibrationTable(t, `${where} table ${i}`)),
  };
}

/**
 * The table for `modelId` in a calibration JSON file (`facenet calibrate --out FILE`), or with `probeModelId` the
 * cross table for templates of `modelId` and queries of `probeModelId`; CALIBRATION_ERROR otherwise.
 */
export function calibrationFromFile(file: string, modelId: string, probeModelId = modelId): CalibrationTable {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FaceError('CALIBRATION_ERROR', `cannot read calibration ${file}: ${(e as Error).message}`);
  }
  const table = parseCalibrationFile(json, file).tables.find((t) => tableFits(t, modelId, probeModelId));
  if (!table)
    throw new FaceError(
      'CALIBRATION_ERROR',
      `${file} has no table for model ${modelId}${probeModelId === modelId ? '' : ` with queries of ${probeModelId}`}`,
    );
  return table;
}

const keyOf = (t: CalibrationTable) => calibrationKey(t.modelId, probeModelOf(t));

/** Insert or replace the table for the same (gallery model, probe model). */
export function withTable(file: CalibrationFile, table: CalibrationTable): CalibrationFile {
  return { ...file, tables: [...file.tables.filter((t) => keyOf(t) !== keyOf(table)), table] };
}

let parsed: CalibrationFile | undefined;

/** Every shipped table, of every pack. */
export function shippedCalibrations(): CalibrationFile {
  parsed ??= {
    about: 'FAR → τ tables shipped with facenet-ts (src/decide/calibrations/, one file per pack)',
    tables: Object.entries(SHIPPED).flatMap(
      ([pack, json]) => parseCalibrationFile(json, `src/decide/calibrations/${pack}.json`).tables,
    ),
  };
  return parsed;
}

/**
 * The shipped table for a model, or with `probeModelId` the cross table for templates of `modelId` and queries of
 * `probeModelId`; undefined when none was computed for it.
 */
export function defaultCalibration(modelId: string, probeModelId = modelId): CalibrationTable | undefined {
  return shippedCalibrations().tables.find((t) => tableFits(t, modelId, probeModelId));
}

/** The calibration an evaluation decides with: the file given (`--calibration`), else the shipped one, if any. */
export function evaluationCalibration(modelId: string, file?: string): CalibrationTable | undefined {
  return file ? calibrationFromFile(file, modelId) : defaultCalibration(modelId);
}

function readCalibrationFile(file: string): CalibrationFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { tables: [] };
  }
  try {
    return parseCalibrationFile(JSON.parse(text), file);
  } catch (e) {
    if (e instanceof FaceError) throw e;
    throw new FaceError('CALIBRATION_ERROR', `${file} is not JSON: ${(e as Error).message}`);
  }
}

/** Write `tables` into a calibration JSON file (`facenet calibrate --out`), replacing the tables of the same keys. */
export function mergeIntoCalibrationFile(path: string, tables: readonly CalibrationTable[]): void {
  let file = readCalibrationFile(path);
  if (!file.tables.length && !file.about)
    file = { about: `FAR → τ tables written by facenet calibrate --out ${path}, one per model variant`, tables: [] };
  for (const t of tables) file = withTable(file, t);
  writeFileSync(path, `${JSON.stringify(file, null, 1)}\n`);
}
