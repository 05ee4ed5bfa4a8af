/**
 * The calibration shipped with the package (LFW View 1, pairsDevTrain.txt), so decisions are sane out of the box.
 * A gallery's own calibration (`facenet calibrate`) takes precedence.
 */
import { readFileSync } from 'node:fs';
import { FaceError } from '../errors.js';
import { parseCalibrationTable, type CalibrationTable } from './calibration.js';
import shipped from './default-calibration.json' with { type: 'json' };

export interface CalibrationFile {
  readonly about?: string;
  readonly tables: readonly CalibrationTable[];
}

export function parseCalibrationFile(json: unknown, where: string): CalibrationFile {
  const f = json as { about?: unknown; tables?: unknown } | null;
  if (!f || !Array.isArray(f.tables)) throw new FaceError('CALIBRATION_ERROR', `${where} is not a calibration file (expected { tables: [...] })`);
  return { about: typeof f.about === 'string' ? f.about : undefined, tables: f.tables.map((t, i) => parseCalibrationTable(t, `${where} table ${i}`)) };
}

/** The table for `modelId` in a calibration JSON file (`facenet calibrate --out FILE`); CALIBRATION_ERROR otherwise. */
export function calibrationFromFile(file: string, modelId: string): CalibrationTable {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FaceError('CALIBRATION_ERROR', `cannot read calibration ${file}: ${(e as Error).message}`);
  }
  const table = parseCalibrationFile(json, file).tables.find((t) => t.modelId === modelId);
  if (!table) throw new FaceError('CALIBRATION_ERROR', `${file} has no table for model ${modelId}`);
  return table;
}

/** Insert or replace the table for `table.modelId`. */
export function withTable(file: CalibrationFile, table: CalibrationTable): CalibrationFile {
  return { ...file, tables: [...file.tables.filter((t) => t.modelId !== table.modelId), table] };
}

let parsed: CalibrationFile | undefined;

export function shippedCalibrations(): CalibrationFile {
  parsed ??= parseCalibrationFile(shipped, 'src/decide/default-calibration.json');
  return parsed;
}

/** The shipped table for a model, or undefined when none was computed for it. */
export function defaultCalibration(modelId: string): CalibrationTable | undefined {
  return shippedCalibrations().tables.find((t) => t.modelId === modelId);
}
