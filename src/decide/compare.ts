/**
 * The same-person decision of `facenet compare`: two faces, one distance, one threshold. τ is the pack's measured
 * LFW threshold for its TTA, or, for a model from `facenet train`, the calibration it carries (at the default
 * verification FAR), used only with the TTA it was measured with.
 */
import { farAtDistance, tauForFar, type ThresholdChoice } from './calibration.js';
import { defaultCalibration } from './default-calibration.js';
import { DEFAULT_VERIFY_FAR } from './decisions.js';
import { FaceError } from '../errors.js';
import { ownCalibrationFor, ttaFlagsOf } from '../gallery/face-source.js';
import { readModelMeta, type StoredCalibration } from '../train/model-meta.js';
import type { PackDefinition } from '../pack/types.js';

/** What the threshold depends on: the recognizer's pack, model and TTA (a FaceRecognizer has these). */
export interface ComparedModel {
  readonly pack: PackDefinition;
  readonly modelId: string;
  readonly ttaPaddings: readonly number[];
  readonly flip: boolean;
  readonly modelCalibration?: StoredCalibration;
}

export interface CompareThreshold {
  readonly tau: number;
  /** The model's own calibration at the default verification FAR, when τ came from it. */
  readonly calibration?: ThresholdChoice;
}

/**
 * The TTA a `--model` from `facenet train` was calibrated with (plain chips, flip as recorded): when the user chose no
 * TTA, compare with that one, so the model's own table applies instead of one measured on other embeddings.
 */
export async function trainedModelTta(
  modelPath: string,
): Promise<{ ttaPaddings: number[]; flip: boolean } | undefined> {
  const stored = (await readModelMeta(modelPath)).calibration;
  return stored ? { ttaPaddings: [...stored.crops], flip: stored.flip } : undefined;
}

function trainedModelThreshold(fr: ComparedModel, modelPath: string): CompareThreshold {
  const stored = fr.modelCalibration;
  const table = ownCalibrationFor(stored, fr.modelId, fr.flip, fr.ttaPaddings);
  if (table) {
    const calibration = tauForFar(table, DEFAULT_VERIFY_FAR);
    return { tau: calibration.threshold, calibration };
  }
  throw new FaceError(
    'CALIBRATION_ERROR',
    stored
      ? `${modelPath} is calibrated for ${ttaFlagsOf(stored)} only: use those options, or pass --threshold`
      : `${modelPath} carries no calibration: ` +
          'retrain it with `facenet train` (which stores one), or pass --threshold',
    { model: fr.modelId },
  );
}

/** τ for compare: a trained model's own calibration (`modelPath` given), else the pack's measured threshold. */
export function compareThreshold(fr: ComparedModel, modelPath?: string): CompareThreshold {
  if (modelPath) return trainedModelThreshold(fr, modelPath);
  const crops = fr.ttaPaddings.join(',');
  const measured = fr.pack.compareThreshold;
  if (!measured)
    throw new FaceError('INVALID_INPUT', `pack ${fr.pack.name} has no measured compare threshold: pass --threshold`);
  const table = crops === fr.pack.tta.crops.join(',') ? measured : crops === '' ? measured.singleCrop : undefined;
  if (!table)
    throw new FaceError(
      'INVALID_INPUT',
      `--crops ${crops} has no calibrated threshold: pass --threshold (or use the default crops, or none)`,
    );
  return { tau: fr.flip ? table.flip : table.plain };
}

/** Where compare's τ came from, and the false-accept rate it lets through (as `facenet compare` explains it). */
export interface CompareOrigin {
  /** 'pack': the pack's LFW accuracy-maximising τ (no target FAR); 'model': a trained model's own; 'user'. */
  readonly from: 'pack' | 'model' | 'user';
  /** The model's own measurement at τ, else the shipped calibration's for this model, when there is one. */
  readonly farAtThreshold?: number;
}

export function compareOrigin(modelId: string, tau: number, chosen: CompareThreshold | undefined): CompareOrigin {
  const from = chosen === undefined ? 'user' : chosen.calibration ? 'model' : 'pack';
  const shipped = defaultCalibration(modelId);
  const farAtThreshold = chosen?.calibration
    ? chosen.calibration.far
    : shipped
      ? farAtDistance(shipped, tau)
      : undefined;
  return { from, ...(farAtThreshold !== undefined ? { farAtThreshold } : {}) };
}
