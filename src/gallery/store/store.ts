/**
 * What a gallery persists, behind a small interface so another backend can replace SQLite.
 *
 * One gallery holds embeddings of one recognition model: every template carries its model id, and reading or
 * writing templates with another model id is a MODEL_MISMATCH error rather than a silent mix of incomparable vectors.
 */
import type { CalibrationTable } from '../../decide/calibration.js';
import type { SearchHit } from '../../search/search-index.js';

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

/**
 * How an enrollment treats the name: `create` a new person (PERSON_EXISTS if taken), `add` to an enrolled one
 * (PERSON_NOT_FOUND if absent), or `upsert` (either). Decided inside the store's transaction, so concurrent
 * enrollments of one name cannot both create it.
 */
export type EnrollMode = 'create' | 'add' | 'upsert';

export interface EnrollRecord {
  readonly name: string;
  /** Default `upsert`. */
  readonly mode?: EnrollMode;
  /** Merged into the person's metadata (new keys win). */
  readonly metadata?: Metadata;
  readonly templates: readonly NewTemplate[];
}

export interface EnrollReceipt {
  readonly person: Person;
  /** True when this enrollment created the person. */
  readonly created: boolean;
  /** Per record template: its id (an existing one when the person already had a template of that photo). */
  readonly templateIds: readonly number[];
  /** Indices of record templates not stored because the person already had that photo (same sourceSha256 and model). */
  readonly skipped?: readonly number[];
}

export interface ForgetReceipt {
  readonly person: Person;
  readonly templatesRemoved: number;
  /** False when the delete committed but the freed pages could not be scrubbed yet (e.g. disk full); retried later. */
  readonly scrubbed?: boolean;
}

/** A change committed by any writer of a shared store (another process or server replica). */
export interface StoreChange {
  readonly kind: 'enroll' | 'forget';
  readonly personId: number;
  /**
   * The person's name as it is now, read from the people table: the change log itself keeps no names (a forgotten
   * person's name must leave the store), so it is absent once the person is forgotten.
   */
  readonly name?: string;
}

/**
 * Every method is async so a networked backend (PostgreSQL) fits the same interface as the embedded SQLite file.
 * Writes are durable and atomic when their promise resolves.
 */
export interface GalleryStore {
  /** Where the gallery lives, for messages (a file path, or a URL without its password). */
  readonly location: string;
  /** Schema version of the open store (after migrations). */
  readonly schemaVersion: number;
  /** Create the person if new and add every template, atomically and durably: all or nothing. */
  enroll(record: EnrollRecord): Promise<EnrollReceipt>;
  findPerson(name: string): Promise<Person | undefined>;
  people(): Promise<PersonSummary[]>;
  /**
   * Remove the person with every template and thumbnail. PERSON_NOT_FOUND when absent. Resolves once the delete is
   * committed: steps after the commit (scrubbing freed pages) never turn a committed delete into an error.
   */
  forget(name: string): Promise<ForgetReceipt>;
  /**
   * Every template of `modelId` (embeddings, no thumbnails). MODEL_MISMATCH when the store holds another model's
   * templates.
   */
  templates(modelId: string): Promise<StoredTemplate[]>;
  /** One person's templates of `modelId` (empty when the person is unknown). */
  personTemplates(personId: number, modelId: string): Promise<StoredTemplate[]>;
  /** How many people have templates of `modelId`, and how many templates they have. */
  counts(modelId: string): Promise<{ people: number; templates: number }>;
  /** Distinct model ids of the stored templates. */
  modelIds(): Promise<string[]>;
  /**
   * Grows with every committed enroll and forget, by any writer. A derived structure (a persisted ANN index) built
   * at generation g is stale when the store reports another.
   */
  generation(): Promise<number>;
  /**
   * Changes committed by any writer after generation `since`, in order, and the generation they bring the reader to;
   * undefined when the log no longer reaches back that far (the reader must reload). Lets a reader catch up
   * before it answers, whatever process made the change.
   */
  changesSince?(since: number): Promise<{ generation: number; changes: StoreChange[] } | undefined>;
  thumbnail(templateId: number): Promise<Uint8Array | undefined>;
  /** Stored under calibrationKey(modelId, probeModelId): a cross table never replaces a variant's own. */
  saveCalibration(table: CalibrationTable): Promise<void>;
  /** The table for templates of `modelId` and queries of `probeModelId` (default: the same variant). */
  calibration(modelId: string, probeModelId?: string): Promise<CalibrationTable | undefined>;
  /**
   * Be told of changes committed by other writers (replicas sharing the store), when the backend can tell.
   * Resolves to an unsubscribe function.
   */
  watch?(onChange: (change: StoreChange) => void): Promise<() => Promise<void>>;
  /**
   * Nearest templates of `modelId` searched by the store itself (an index inside the database), for galleries
   * too large to hold in every process. Same contract as VectorIndex.search: one hit per person, nearest first.
   */
  nearest?(modelId: string, query: Float32Array, k: number, opts?: StoreSearchOptions): Promise<StoreHit[]>;
  close(): Promise<void>;
}

/** A store-side search hit: the person's name comes with it (the store holds it; the process may not). */
export interface StoreHit extends SearchHit {
  readonly name: string;
}

export interface StoreSearchOptions {
  readonly excludeLabel?: number;
  /** Candidate list size of the store's ANN search (pgvector hnsw.ef_search); higher = better recall, slower. */
  readonly ef?: number;
}
