/**
 * What every GalleryStore backend (SQLite, PostgreSQL) checks and records the same way, so the two cannot drift:
 * one model per enrollment and per gallery, metadata as a JSON object, how long the change log reaches back.
 */
import { FaceError } from '../../errors.js';
import { modelMismatchAdvice } from '../model-advice.js';
import type { Metadata } from './store.js';

/** Change-log generations kept; a reader further behind reloads the whole gallery. */
export const CHANGE_LOG_KEEP = 10_000;

/**
 * After a write that brought the store to generation `g`: drop log entries at or below this (every 100th write), else
 * undefined.
 */
export function changeLogPruneTo(g: number): number | undefined {
  return g % 100 === 0 ? g - CHANGE_LOG_KEEP : undefined;
}

/** The one model id of an enrollment's templates; MODEL_MISMATCH when they mix models. */
export function singleModelId(templates: readonly { readonly modelId: string }[]): string {
  const modelIds = [...new Set(templates.map((t) => t.modelId))];
  if (modelIds.length !== 1)
    throw new FaceError('MODEL_MISMATCH', `one enrollment mixes templates of models ${modelIds.join(', ')}`, {
      modelIds,
    });
  return modelIds[0];
}

/** A gallery holding templates of other models (`others`: model id and template count) cannot serve `modelId`. */
export function modelMismatchError(
  location: string,
  verb: string,
  modelId: string,
  others: readonly { model_id: string; n: number }[],
): FaceError {
  return new FaceError(
    'MODEL_MISMATCH',
    `cannot ${verb} gallery ${location} with model ${modelId}: ` +
      `it holds ${others.map((o) => `${o.n} template(s) of model ${o.model_id}`).join(', ')}. ` +
      modelMismatchAdvice(
        modelId,
        others.map((o) => o.model_id),
        verb === 'enroll into' ? 'enroll' : 'query',
      ),
    { gallery: location, requested: modelId, stored: others.map((o) => o.model_id) },
  );
}

/** Stored metadata as an object: anything else (an array, a scalar, null) reads as none. */
export function metadataObject(m: unknown): Metadata {
  return m && typeof m === 'object' && !Array.isArray(m) ? (m as Metadata) : {};
}
