/**
 * The gallery: a store of enrolled people, the in-memory search index kept in step with it, and the calibrated
 * decisions (enroll, verify, identify) on top. Embeddings come from a GalleryRecognizer (the FaceRecognizer).
 */
import { calibrate, perComparisonFar, tauForFar, type CalibrationTable } from '../decide/calibration.js';
import { DEFAULT_IDENTIFY_FAR, DEFAULT_VERIFY_FAR, identifyDecision, openSetThreshold, verifyDecision, type Candidate, type VerifyDecision } from '../decide/decisions.js';
import { defaultCalibration } from '../decide/default-calibration.js';
import type { ScoredPair } from '../eval/roc.js';
import { FaceError } from '../errors.js';
import type { Box } from '../detect/types.js';
import type { ImageInput } from '../image/types.js';
import { boxArea, chipThumbnail, describeInput, faceSize, inputSha256, type FaceFindOptions, type GalleryFace, type GalleryRecognizer } from './face-source.js';
import { distanceFromDot, ExactIndex, type VectorIndex } from './search-index.js';
import { SqliteGalleryStore } from './sqlite-store.js';
import type { GalleryStore, Metadata, NewTemplate, Person, PersonSummary } from './store.js';
import { indexPerson, type TemplateCombination } from './templates.js';

export const DEFAULT_GALLERY_PATH = './facenet.db';
/**
 * Chosen by measurement on LFW (`facenet eval identify --templates`): with the calibrated threshold, `nearest` keeps the
 * open-set false-alarm rate at or below the target (0.66–0.93 % for F = 1 % with 2–5 photos), because every template is
 * a counted comparison; `centroid` ranks better at an equal measured false-alarm rate but, judged with thresholds
 * calibrated on single photos, raises false alarms to 1.9–3.3 % for F = 1 %. Use `centroid` with its own calibration.
 */
export const DEFAULT_COMBINATION: TemplateCombination = 'nearest';
/** Faces smaller than this (shorter box side, pixels) are enrolled with a warning: the chip is mostly upsampling. */
export const SMALL_FACE_PX = 40;
/** Detector scores below this are enrolled with a warning. */
export const LOW_SCORE = 0.7;

export interface GalleryOptions {
  /** SQLite file (default ./facenet.db); ignored when `store` is given. */
  path?: string;
  store?: GalleryStore;
  /**
   * Needed for enroll, verify, identify; people, forget and calibration storage work without. Wrap a FaceRecognizer
   * with `galleryRecognizer(fr, flip)` so the stored model id says whether flip TTA made the embeddings.
   */
  recognizer?: GalleryRecognizer;
  combination?: TemplateCombination;
  /** Override the calibration (else: the gallery's own, else the shipped default for the model). */
  calibration?: CalibrationTable;
  /** Build the search index (default: exact). */
  createIndex?: (dim: number) => VectorIndex;
}

export interface EnrollOptions extends FaceFindOptions {
  /** Take the largest face of a photo with several instead of rejecting it. */
  largest?: boolean;
  metadata?: Metadata;
  /** FAR of the threshold used to flag likely duplicates (default 1e-3). */
  far?: number;
}

export type EnrollWarningCode = 'DUPLICATE' | 'INCONSISTENT' | 'SMALL_FACE' | 'LOW_SCORE' | 'ALREADY_ENROLLED' | 'NO_CALIBRATION';

export interface EnrollWarning {
  readonly code: EnrollWarningCode;
  readonly message: string;
  readonly source?: string;
  /** DUPLICATE: the other person; INCONSISTENT: this person. */
  readonly person?: string;
  readonly distance?: number;
}

export interface EnrolledFace {
  readonly source: string;
  readonly sha256: string;
  readonly templateId: number;
  readonly box: Box;
  readonly detectionScore: number;
  readonly faceSize: number;
  readonly facesInImage: number;
}

export interface EnrollResult {
  readonly person: Person;
  readonly created: boolean;
  /** Templates added by this call (photos already enrolled for the person are skipped). */
  readonly added: readonly EnrolledFace[];
  /** The person's templates after this call. */
  readonly templates: number;
  readonly warnings: readonly EnrollWarning[];
}

export interface VerifyOptions extends FaceFindOptions {
  /** Target FAR (default 1e-3). */
  far?: number;
}

export interface VerifyResult extends VerifyDecision {
  readonly person: string;
  readonly source: string;
  readonly box: Box;
  readonly score: number;
  readonly facesInImage: number;
  /** Comparisons made (the person's index entries); the per-comparison FAR is adjusted for them. */
  readonly comparisons: number;
  readonly calibration: string;
}

export interface IdentifyOptions extends FaceFindOptions {
  /** Open-set false-alarm rate F: probability that a stranger is matched to anyone (default 1e-2). */
  far?: number;
  /** Candidates per face (default 5). */
  topK?: number;
}

export interface IdentifiedFace {
  readonly box: Box;
  readonly score: number;
  readonly person: string | 'unknown';
  readonly distance: number;
  readonly candidates: readonly Candidate[];
}

export interface OpenSetInfo {
  /** Accept the nearest person when distance < threshold. */
  readonly threshold: number;
  readonly openSetFar: number;
  readonly perComparisonFar: number;
  /** Measured FAR of the threshold on the calibration pairs. */
  readonly far: number;
  readonly people: number;
  readonly comparisons: number;
  readonly resolvable: boolean;
  readonly warning?: string;
  readonly calibration: string;
}

export interface IdentifyResult extends OpenSetInfo {
  readonly source: string;
  readonly faces: readonly IdentifiedFace[];
}

interface Loaded {
  modelId: string;
  index: VectorIndex | undefined;
  /** person id → their templates (embeddings kept for centroids and 1:1 distances) */
  templates: Map<number, { id: number; embedding: Float32Array; sha256: string }[]>;
  names: Map<number, string>;
}

function largestFirst(faces: readonly GalleryFace[]): GalleryFace[] {
  return [...faces].sort((a, b) => boxArea(b.box) - boxArea(a.box));
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export class Gallery {
  readonly store: GalleryStore;
  readonly combination: TemplateCombination;
  private readonly recognizer?: GalleryRecognizer;
  private readonly calibrationOverride?: CalibrationTable;
  private readonly createIndex: (dim: number) => VectorIndex;
  private loaded?: Loaded;

  private constructor(opts: GalleryOptions & { store: GalleryStore }) {
    this.store = opts.store;
    this.recognizer = opts.recognizer;
    this.combination = opts.combination ?? DEFAULT_COMBINATION;
    this.calibrationOverride = opts.calibration;
    this.createIndex = opts.createIndex ?? ((dim) => new ExactIndex(dim));
  }

  /** Open the store and, with a recognizer, load the index (MODEL_MISMATCH if the gallery holds another model). */
  static open(opts: GalleryOptions = {}): Gallery {
    const store = opts.store ?? SqliteGalleryStore.open(opts.path ?? DEFAULT_GALLERY_PATH);
    const g = new Gallery({ ...opts, store });
    try {
      if (opts.recognizer) g.load();
    } catch (e) {
      if (!opts.store) store.close();
      throw e;
    }
    return g;
  }

  close(): void {
    this.store.close();
  }

  private requireRecognizer(what: string): GalleryRecognizer {
    if (!this.recognizer) throw new FaceError('INVALID_INPUT', `${what} needs a recognizer: open the gallery with { recognizer }`);
    return this.recognizer;
  }

  /** The model id the gallery works with: the recognizer's. */
  get modelId(): string {
    return this.requireRecognizer('the gallery model id').modelId;
  }

  private load(): Loaded {
    const modelId = this.requireRecognizer('searching the gallery').modelId;
    if (this.loaded && this.loaded.modelId === modelId) return this.loaded;
    const rows = this.store.templates(modelId); // MODEL_MISMATCH when the gallery holds another model
    const names = new Map(this.store.people().map((p) => [p.id, p.name] as const));
    const templates = new Map<number, { id: number; embedding: Float32Array; sha256: string }[]>();
    for (const t of rows) {
      const list = templates.get(t.personId) ?? [];
      list.push({ id: t.id, embedding: t.embedding, sha256: t.sourceSha256 });
      templates.set(t.personId, list);
    }
    let index: VectorIndex | undefined;
    if (rows.length) {
      index = this.createIndex(rows[0].embedding.length);
      for (const [personId, list] of templates) indexPerson(index, this.combination, personId, list);
    }
    this.loaded = { modelId, index, templates, names };
    return this.loaded;
  }

  /** The calibration decisions use: explicit override, else the gallery's own, else the shipped default. */
  calibration(): { table: CalibrationTable; origin: 'override' | 'gallery' | 'default' } {
    const modelId = this.modelId;
    if (this.calibrationOverride) {
      if (this.calibrationOverride.modelId !== modelId)
        throw new FaceError('MODEL_MISMATCH', `calibration was computed for model ${this.calibrationOverride.modelId}, the recognizer is ${modelId}`);
      return { table: this.calibrationOverride, origin: 'override' };
    }
    const own = this.store.calibration(modelId);
    if (own) return { table: own, origin: 'gallery' };
    const shipped = defaultCalibration(modelId);
    if (shipped) return { table: shipped, origin: 'default' };
    throw new FaceError(
      'CALIBRATION_ERROR',
      `no calibration for model ${modelId}: run \`facenet calibrate --lfw DIR\` (or --pairs FILE) to compute thresholds for it`,
      { modelId },
    );
  }

  private calibrationLabel(c: { table: CalibrationTable; origin: string }): string {
    return `${c.origin}: ${c.table.source}`;
  }

  /** Number of people enrolled (for the current model). */
  get size(): number {
    return this.load().templates.size;
  }

  people(): PersonSummary[] {
    return this.store.people();
  }

  /**
   * One-shot enrollment: one or more photos of one person, stored in a single transaction (all or nothing).
   * Rejects a photo with no face (NO_FACE) or several (MULTIPLE_FACES, unless `largest`); nothing is stored then.
   */
  async enroll(name: string, images: ImageInput | readonly ImageInput[], opts: EnrollOptions = {}): Promise<EnrollResult> {
    const recognizer = this.requireRecognizer('enroll');
    const trimmed = name.trim();
    if (!trimmed) throw new FaceError('INVALID_INPUT', 'a person needs a non-empty name');
    if (trimmed.toLowerCase() === 'unknown') throw new FaceError('INVALID_INPUT', '"unknown" is reserved for unrecognised faces; choose another name');
    const list: readonly ImageInput[] = Array.isArray(images) ? images : [images as ImageInput];
    if (!list.length) throw new FaceError('INVALID_INPUT', `enrolling ${trimmed} needs at least one photo`);
    const state = this.load();
    const existing = this.store.findPerson(trimmed);
    const known = new Set((existing && state.templates.get(existing.id)?.map((t) => t.sha256)) ?? []);

    const warnings: EnrollWarning[] = [];
    const fresh: { source: string; sha256: string; face: GalleryFace; facesInImage: number }[] = [];
    for (const img of list) {
      const source = describeInput(img);
      const sha256 = await inputSha256(img);
      const faces = await recognizer.embed(img, { aligned: opts.aligned, detect: opts.detect });
      if (!faces.length) throw new FaceError('NO_FACE', `no face found in ${source}; nothing was enrolled`, { source });
      if (faces.length > 1 && !opts.largest)
        throw new FaceError('MULTIPLE_FACES', `${faces.length} faces in ${source}; pass --largest (largest: true) to enroll the largest, or crop the photo. Nothing was enrolled`, {
          source,
          faces: faces.length,
          boxes: faces.map((f) => f.box),
        });
      if (known.has(sha256) || fresh.some((f) => f.sha256 === sha256)) {
        warnings.push({ code: 'ALREADY_ENROLLED', message: `${source} is already enrolled for ${trimmed}; skipped`, source });
        continue;
      }
      fresh.push({ source, sha256, face: largestFirst(faces)[0], facesInImage: faces.length });
    }

    // quality and consistency checks (warnings, never refusals)
    let tau: number | undefined;
    try {
      tau = tauForFar(this.calibration().table, opts.far ?? DEFAULT_VERIFY_FAR).threshold;
    } catch (e) {
      if (!(e instanceof FaceError && e.code === 'CALIBRATION_ERROR')) throw e;
      warnings.push({ code: 'NO_CALIBRATION', message: `${e.message}; duplicate checks skipped` });
    }
    for (const f of fresh) {
      const size = faceSize(f.face.box);
      if (size < SMALL_FACE_PX)
        warnings.push({ code: 'SMALL_FACE', message: `face in ${f.source} is only ${Math.round(size)} px; a larger photo gives a better template`, source: f.source });
      if (f.face.score < LOW_SCORE)
        warnings.push({ code: 'LOW_SCORE', message: `detector score ${f.face.score.toFixed(2)} in ${f.source}; the face may be blurred, occluded or turned`, source: f.source });
      if (tau === undefined) continue;
      const [other] = state.index?.search(f.face.embedding, 1, { excludeLabel: existing?.id }) ?? [];
      if (other && other.distance < tau) {
        const who = state.names.get(other.label) ?? `#${other.label}`;
        warnings.push({
          code: 'DUPLICATE',
          message: `${f.source} matches already enrolled ${who} (distance ${other.distance.toFixed(3)} < τ ${tau.toFixed(3)}): likely the same person`,
          source: f.source,
          person: who,
          distance: other.distance,
        });
      }
      const mine = [...(existing ? (state.templates.get(existing.id) ?? []) : []).map((t) => t.embedding), ...fresh.filter((o) => o !== f).map((o) => o.face.embedding)];
      const nearestOwn = mine.length ? Math.min(...mine.map((e) => distanceFromDot(dot(e, f.face.embedding)))) : undefined;
      if (nearestOwn !== undefined && nearestOwn >= tau)
        warnings.push({
          code: 'INCONSISTENT',
          message: `${f.source} does not match ${trimmed}'s other photos (nearest distance ${nearestOwn.toFixed(3)} ≥ τ ${tau.toFixed(3)}): check it is the same person`,
          source: f.source,
          person: trimmed,
          distance: nearestOwn,
        });
    }

    if (!fresh.length) {
      const person = existing ?? this.store.findPerson(trimmed);
      if (!person) throw new FaceError('INVALID_INPUT', `nothing to enroll for ${trimmed}`);
      return { person, created: false, added: [], templates: state.templates.get(person.id)?.length ?? 0, warnings };
    }

    const records: NewTemplate[] = [];
    for (const f of fresh)
      records.push({
        modelId: recognizer.modelId,
        embedding: f.face.embedding,
        sourceSha256: f.sha256,
        detectionScore: f.face.score,
        faceSize: faceSize(f.face.box),
        thumbnail: f.face.chip ? await chipThumbnail(f.face.chip) : undefined,
      });
    const receipt = this.store.enroll({ name: trimmed, metadata: opts.metadata, templates: records });

    // keep the index in step (only after the transaction committed)
    const personTemplates = state.templates.get(receipt.person.id) ?? [];
    fresh.forEach((f, i) => personTemplates.push({ id: receipt.templateIds[i], embedding: f.face.embedding, sha256: f.sha256 }));
    state.templates.set(receipt.person.id, personTemplates);
    state.names.set(receipt.person.id, receipt.person.name);
    state.index ??= this.createIndex(fresh[0].face.embedding.length);
    indexPerson(state.index, this.combination, receipt.person.id, personTemplates);

    return {
      person: receipt.person,
      created: receipt.created,
      added: fresh.map((f, i) => ({
        source: f.source,
        sha256: f.sha256,
        templateId: receipt.templateIds[i],
        box: f.face.box,
        detectionScore: f.face.score,
        faceSize: faceSize(f.face.box),
        facesInImage: f.facesInImage,
      })),
      templates: personTemplates.length,
      warnings,
    };
  }

  /** Remove a person with every template and thumbnail; the index follows. */
  forget(name: string): { person: Person; templatesRemoved: number } {
    const result = this.store.forget(name);
    if (this.loaded) {
      this.loaded.index?.removeLabel(result.person.id);
      this.loaded.templates.delete(result.person.id);
      this.loaded.names.delete(result.person.id);
    }
    return result;
  }

  /** Distance from an embedding to a person under the gallery's template combination, and the comparisons it took. */
  personDistance(personId: number, embedding: Float32Array): { distance: number; comparisons: number } {
    const list = this.load().templates.get(personId) ?? [];
    if (!list.length) return { distance: Number.POSITIVE_INFINITY, comparisons: 0 };
    if (this.combination === 'centroid') {
      const c = new Float32Array(embedding.length);
      for (const t of list) for (let i = 0; i < c.length; i++) c[i] += t.embedding[i];
      const n = Math.sqrt(dot(c, c)) || 1;
      return { distance: distanceFromDot(dot(c, embedding) / n), comparisons: 1 };
    }
    let best = -Infinity;
    for (const t of list) best = Math.max(best, dot(t.embedding, embedding));
    return { distance: distanceFromDot(best), comparisons: list.length };
  }

  /** 1:1: is the (largest) face in `img` the enrolled person `name`? */
  async verify(img: ImageInput, name: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
    const recognizer = this.requireRecognizer('verify');
    this.load();
    const person = this.store.findPerson(name);
    if (!person) throw new FaceError('PERSON_NOT_FOUND', `nobody called "${name}" is enrolled`, { name });
    const cal = this.calibration();
    const source = describeInput(img);
    const faces = await recognizer.embed(img, { aligned: opts.aligned, detect: opts.detect });
    if (!faces.length) throw new FaceError('NO_FACE', `no face found in ${source}`, { source });
    const face = largestFirst(faces)[0];
    const { distance, comparisons } = this.personDistance(person.id, face.embedding);
    const targetFar = opts.far ?? DEFAULT_VERIFY_FAR;
    // several templates = several chances for a stranger: per-comparison FAR so the person-level FAR is the target
    const n = Math.max(1, comparisons);
    const decision = verifyDecision(distance, cal.table, perComparisonFar(targetFar, n));
    const personLevel = (f: number) => -Math.expm1(n * Math.log1p(-Math.min(f, 1 - 1e-16)));
    return {
      ...decision,
      targetFar,
      far: personLevel(decision.far),
      farAtDistance: personLevel(decision.farAtDistance),
      person: person.name,
      source,
      box: face.box,
      score: face.score,
      facesInImage: faces.length,
      comparisons,
      calibration: this.calibrationLabel(cal),
    };
  }

  /** The open-set threshold for the current gallery size. */
  openSet(openSetFar = DEFAULT_IDENTIFY_FAR): OpenSetInfo {
    const state = this.load();
    const cal = this.calibration();
    const comparisons = Math.max(1, state.index?.size ?? 0);
    const t = openSetThreshold(cal.table, openSetFar, comparisons);
    return {
      threshold: t.threshold,
      openSetFar,
      perComparisonFar: t.targetFar,
      far: t.far,
      people: state.templates.size,
      comparisons,
      resolvable: t.resolvable,
      ...(t.warning ? { warning: t.warning } : {}),
      calibration: this.calibrationLabel(cal),
    };
  }

  /** Decide one embedding against the gallery (no image work). */
  identifyEmbedding(embedding: Float32Array, threshold: number, topK = 5): { person: string | 'unknown'; distance: number; candidates: Candidate[] } {
    const state = this.load();
    const hits = state.index?.search(embedding, topK) ?? [];
    const candidates = hits.map((h) => ({ person: state.names.get(h.label) ?? `#${h.label}`, distance: h.distance }));
    return { ...identifyDecision(candidates, threshold), candidates };
  }

  /** 1:N open-set: every face in `img` → the person or 'unknown', with the top-k candidates. */
  async identify(img: ImageInput, opts: IdentifyOptions = {}): Promise<IdentifyResult> {
    const recognizer = this.requireRecognizer('identify');
    const info = this.openSet(opts.far ?? DEFAULT_IDENTIFY_FAR);
    const faces = await recognizer.embed(img, { aligned: opts.aligned, detect: opts.detect });
    return {
      ...info,
      source: describeInput(img),
      faces: faces.map((f) => ({ box: f.box, score: f.score, ...this.identifyEmbedding(f.embedding, info.threshold, opts.topK ?? 5) })),
    };
  }

  /** Compute a calibration from labelled distances of this gallery's model and store it with the gallery. */
  saveCalibration(pairs: readonly ScoredPair[], source: string): CalibrationTable {
    const table = calibrate(pairs, { modelId: this.modelId, source });
    this.store.saveCalibration(table);
    return table;
  }
}
