/**
 * TTA variants in one gallery. A gallery's templates carry the model id of the test-time augmentation that made
 * them (`face-recognition-128@…+crops0.15,0.35+flip`); a query made with other TTA of the same network (`--no-flip`,
 * `--crops none`) gives slightly different embeddings, so it is decided against those templates only where a
 * cross-variant calibration (templates of one variant, queries of the other) measured the thresholds for exactly
 * that combination: the gallery's own (`facenet calibrate --cross`), else the shipped one. Enrollment never mixes
 * variants: the templates of one gallery stay comparable with each other.
 */
import { tableFits, type CalibrationTable } from '../decide/calibration.js';
import { defaultCalibration } from '../decide/default-calibration.js';
import type { GalleryRecognizer } from './face-source.js';
import type { GalleryStore } from './store/store.js';

export interface TtaVariant {
  /** The network (and pack) without TTA suffixes. */
  readonly net: string;
  /** Crop paddings as written in the model id, or 'none'. */
  readonly crops: string;
  readonly flip: boolean;
}

/** The TTA variant a gallery model id names (the inverse of galleryModelId for its suffixes). */
export function ttaVariantOf(modelId: string): TtaVariant {
  const m = /^(.*?)(?:\+crops([\d.,]+))?(\+flip)?$/.exec(modelId)!;
  return { net: m[1], crops: m[2] ?? 'none', flip: !!m[3] };
}

/** The command-line options that select a variant. */
export function variantFlags(v: TtaVariant): string {
  return `--crops ${v.crops} ${v.flip ? '--flip' : '--no-flip'}`;
}

/** Same network, other TTA. */
export function otherVariantOfSameNetwork(a: string, b: string): boolean {
  return a !== b && ttaVariantOf(a).net === ttaVariantOf(b).net;
}

export type CalibrationOrigin = 'override' | 'gallery' | 'model' | 'default';

export interface ChosenCalibration {
  readonly table: CalibrationTable;
  readonly origin: CalibrationOrigin;
}

/** Where a gallery finds its tables. */
export interface CalibrationSources {
  /** An explicit table (GalleryOptions.calibration): the only one considered when given. */
  readonly override?: CalibrationTable;
  readonly store: Pick<GalleryStore, 'calibration'>;
  /** Its `calibration` is the embedding model's own (`facenet train`), for its own variant only. */
  readonly recognizer?: Pick<GalleryRecognizer, 'calibration'>;
}

/**
 * The table for templates of `templateModel` and queries of `queryModel`: the override, else the gallery's own
 * (`facenet calibrate`), else the model's own (same variant only), else the shipped one; undefined when none fits.
 */
export async function findCalibration(
  src: CalibrationSources,
  templateModel: string,
  queryModel: string,
): Promise<ChosenCalibration | undefined> {
  if (src.override)
    return tableFits(src.override, templateModel, queryModel) ? { table: src.override, origin: 'override' } : undefined;
  const own = await src.store.calibration(templateModel, queryModel);
  if (own) return { table: own, origin: 'gallery' };
  const fromModel = src.recognizer?.calibration;
  if (fromModel && templateModel === queryModel && fromModel.modelId === queryModel)
    return { table: fromModel, origin: 'model' };
  const shipped = defaultCalibration(templateModel, queryModel);
  return shipped ? { table: shipped, origin: 'default' } : undefined;
}

/**
 * The templates a query of `queryModel` is compared with: its own variant's, or, when the gallery holds only another
 * variant of the same network and a cross-variant table is calibrated for the pair, that variant's. Otherwise the
 * query's own (the store answers MODEL_MISMATCH with advice when the gallery holds something else).
 */
export async function templateModelFor(
  store: Pick<GalleryStore, 'modelIds'>,
  queryModel: string,
  src: CalibrationSources,
): Promise<string> {
  const stored = await store.modelIds();
  if (stored.length !== 1 || !otherVariantOfSameNetwork(stored[0], queryModel)) return queryModel;
  return (await findCalibration(src, stored[0], queryModel)) ? stored[0] : queryModel;
}
