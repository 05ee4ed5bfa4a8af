/**
 * The calibration shipped with the package (LFW View 1, pairsDevTrain.txt), so decisions are sane out of the box.
 * A gallery's own calibration (`facenet calibrate`) takes precedence.
 */
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
