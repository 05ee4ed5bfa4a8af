/**
 * What a gallery persists, behind a small interface so another backend can replace SQLite.
 *
 * One gallery holds embeddings of one recognition model: every template carries its model id, and reading or
 * writing templates with another model id is a MODEL_MISMATCH error rather than a silent mix of incomparable vectors.
 */
import type { CalibrationTable } from '../decide/calibration.js';

export type Metadata = Record<string, unknown>;

export interface Person {
  readonly id: number;
  readonly name: string;
  readonly metadata: Metadata;
  /** ISO date. */
  readonly created: string;
}

export interface PersonSummary extends Person {
  readonly templates: number;
  /** Model ids of this person's templates (one, in a consistent gallery). */
  readonly modelIds: readonly string[];
}

/** A face template about to be stored. */
export interface NewTemplate {
  readonly modelId: string;
  /** L2-normalised embedding. */
  readonly embedding: Float32Array;
  /** SHA-256 (hex) of the source image bytes (or of the raw pixels for raw input). */
  readonly sourceSha256: string;
  /** Detector score in [0, 1] (1 for a chip given as already aligned). */
  readonly detectionScore: number;
  /** Shorter side of the detected face box, source pixels. */
  readonly faceSize: number;
  /** Small JPEG of the aligned chip. */
  readonly thumbnail?: Uint8Array;
}

export interface StoredTemplate {
  readonly id: number;
  readonly personId: number;
  readonly modelId: string;
  readonly embedding: Float32Array;
  readonly sourceSha256: string;
  readonly detectionScore: number;
  readonly faceSize: number;
  readonly created: string;
}

export interface EnrollRecord {
  readonly name: string;
  /** Merged into the person's metadata (new keys win). */
  readonly metadata?: Metadata;
  readonly templates: readonly NewTemplate[];
}

export interface EnrollReceipt {
  readonly person: Person;
  /** True when this enrollment created the person. */
  readonly created: boolean;
  readonly templateIds: readonly number[];
}

export interface GalleryStore {
  /** Schema version of the open store (after migrations). */
  readonly schemaVersion: number;
  /** Create the person if new and add every template, atomically and durably: all or nothing. */
  enroll(record: EnrollRecord): EnrollReceipt;
  findPerson(name: string): Person | undefined;
  people(): PersonSummary[];
  /** Remove the person with every template and thumbnail. PERSON_NOT_FOUND when absent. */
  forget(name: string): { person: Person; templatesRemoved: number };
  /** Every template of `modelId` (embeddings, no thumbnails). MODEL_MISMATCH when the store holds another model's templates. */
  templates(modelId: string): StoredTemplate[];
  /** Distinct model ids of the stored templates. */
  modelIds(): string[];
  thumbnail(templateId: number): Uint8Array | undefined;
  saveCalibration(table: CalibrationTable): void;
  calibration(modelId: string): CalibrationTable | undefined;
  close(): void;
}
