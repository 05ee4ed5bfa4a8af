/**
 * Calibration tables for the test-time-augmentation variants of one network (flip on/off, crops on/off), from the
 * embeddings of one pass per crop setting (each pass yields the plain and the flipped embedding of every image).
 * Same-variant tables for every variant; cross tables (templates of one variant, queries of another) for a chosen
 * template variant against every other, so that a gallery of that variant can be queried with the cheaper ones.
 */
import type { CalibrationPlan } from './calibration-pairs.js';
import { scorePlan } from './calibration-pairs.js';
import { FaceError } from '../errors.js';
import { calibrate, type CalibrationTable } from './calibration.js';

export interface VariantEmbeddings {
  /** The gallery model id of the variant (galleryModelId: network + crops + flip). */
  readonly modelId: string;
  readonly embeddingOf: (file: string) => Float32Array;
}

/**
 * One table per variant, then (with `templateModelId`, one of the variants) one cross table per other variant:
 * gallery side `templateModelId`, probe side the other, over the same pairs as the same-variant tables.
 */
export function variantCalibrations(
  plan: CalibrationPlan,
  variants: readonly VariantEmbeddings[],
  templateModelId?: string,
): CalibrationTable[] {
  const tables = variants.map((v) =>
    calibrate(scorePlan(plan, v.embeddingOf), { modelId: v.modelId, source: plan.source }),
  );
  if (templateModelId === undefined) return tables;
  const gallery = variants.find((v) => v.modelId === templateModelId);
  if (!gallery)
    throw new FaceError('CALIBRATION_ERROR', `template variant ${templateModelId} is not among the embedded variants`);
  for (const probe of variants)
    if (probe !== gallery)
      tables.push(
        calibrate(scorePlan(plan, gallery.embeddingOf, probe.embeddingOf), {
          modelId: gallery.modelId,
          probeModelId: probe.modelId,
          source: plan.source,
        }),
      );
  return tables;
}
