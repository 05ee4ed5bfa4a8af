/**
 * The gallery: a store of enrolled people, the in-memory search index kept in step with it, and the calibrated
 * decisions (enroll, verify, identify) on top. Embeddings come from a GalleryRecognizer (the FaceRecognizer).
 */
import { calibrate, perComparisonFar, tauForFar, type CalibrationTable } from '../decide/calibration.js';
import {
  DEFAULT_IDENTIFY_FAR,
  DEFAULT_VERIFY_FAR,
  identifyDecision,
  openSetThreshold,
  verifyDecision,
  type Candidate,
} from '../decide/decisions.js';
import type { ScoredPair } from '../eval/roc.js';
import { FaceError } from '../errors.js';
import type { ImageInput } from '../image/types.js';
import { modelMismatchAdvice } from './model-advice.js';
import { findCalibration, templateModelFor, type CalibrationSources, type ChosenCalibration } from './tta-variants.js';
import {
  asGalleryRecognizer,
  chipThumbnail,
  describeInput,
  faceSize,
  type GalleryRecognizer,
  type RecognizerForGallery,
} from './face-source.js';
import type {
  IdentifiedFace,
  IdentifyOptions,
  IdentifyResult,
  OpenSetInfo,
  VerifyOptions,
  VerifyResult,
} from './decision-results.js';
import {
  enrollmentWarnings,
  largestFirst,
  photosToEnroll,
  pickFace,
  type EnrollOptions,
  type EnrollResult,
} from './enrollment.js';
import { AdaptiveIndex } from '../search/adaptive-index.js';
import type { VectorIndex } from '../search/search-index.js';
import { distanceFromDot, dot, normalisedMean } from '../embed/vector.js';
import { MemoryView, StoreView, type GalleryView } from './gallery-view.js';
import { ViewFollower, type LoadedView } from './view-follower.js';
import { isPostgresUrl } from './store/location.js';
import { openStore } from './store/open-store.js';
import type { HnswMeta } from '../search/hnsw-index.js';
import { removeIndexFiles } from '../search/hnsw-file.js';
import type { ForgetReceipt, GalleryStore, Metadata, NewTemplate, Person, PersonSummary } from './store/store.js';
import { canonicalName, personName } from './names.js';
import type { TemplateCombination } from './templates.js';

export const DEFAULT_GALLERY_PATH = './facenet.db';
/**
 * Chosen by measurement on LFW (`facenet eval identify --templates`): with the calibrated threshold, `nearest` keeps
 * the open-set false-alarm rate at or below the target (0.66–0.93 % for F = 1 % with 2–5 photos), because every
 * template is a counted comparison; `centroid` ranks better at an equal measured false-alarm rate but, judged with
 * thresholds calibrated on single photos, raises false alarms to 1.9–3.3 % for F = 1 %. Use `centroid` with its own
 * calibration.
 */
export const DEFAULT_COMBINATION: TemplateCombination = 'nearest';
export type {
  IdentifiedFace,
  IdentifyOptions,
  IdentifyResult,
  OpenSetInfo,
  VerifyOptions,
  VerifyResult,
} from './decision-results.js';
export {
  LOW_SCORE,
  SMALL_FACE_PX,
  type EnrolledFace,
  type EnrollOptions,
  type EnrollResult,
  type EnrollWarning,
  type EnrollWarningCode,
} from './enrollment.js';

export interface GalleryOptions {
  /** SQLite file or postgres:// URL (default ./facenet.db); ignored when `store` is given. */
  location?: string;
  store?: GalleryStore;
  /**
   * Needed for enroll, verify, identify; people, forget and calibration storage work without. A FaceRecognizer is
   * used with its own test-time augmentation (the pack's unless loaded with other `flip` / `ttaPaddings`), which the
   * stored model id records: the same galleries the CLI and the server make and read.
   */
  recognizer?: RecognizerForGallery;
  combination?: TemplateCombination;
  /** Override the calibration (else: the gallery's own, else the shipped default for the model). */
  calibration?: CalibrationTable;
  /** Build the in-memory search index (default: AdaptiveIndex, exact up to 50,000 entries, HNSW above). */
  createIndex?: (dim: number) => VectorIndex;
  /**
   * Above this many templates, a store that can search itself (PostgreSQL + pgvector) is searched in the
   * database instead of being copied into this process. Default DEFAULT_IN_MEMORY_LIMIT.
   */
  inMemoryLimit?: number;
  /** Candidate list size for store-side ANN search (pgvector hnsw.ef_search); default: the store's. */
  storeEf?: number;
  /**
   * Create the gallery if it does not exist (default true). Read-only callers pass false: GALLERY_NOT_FOUND instead.
   */
  create?: boolean;
}

/** 500k templates = 256 MB of float32 per process: beyond that, let the database search. */
export const DEFAULT_IN_MEMORY_LIMIT = 500_000;

export class Gallery {
  readonly store: GalleryStore;
  readonly combination: TemplateCombination;
  private readonly recognizer?: GalleryRecognizer;
  private readonly calibrationOverride?: CalibrationTable;
  private readonly createIndex: (dim: number) => VectorIndex;
  private readonly inMemoryLimit: number;
  private readonly storeEf?: number;
  /** The loaded view, kept in step with other writers' changes. */
  private readonly follower: ViewFollower;
  private unwatch?: () => Promise<void>;
  /** Enrollments in progress per canonical name: one at a time per name, so their duplicate checks see each other. */
  private readonly enrolling = new Map<string, Promise<unknown>>();

  private constructor(opts: GalleryOptions & { store: GalleryStore }) {
    this.store = opts.store;
    this.follower = new ViewFollower(opts.store);
    this.recognizer = opts.recognizer && asGalleryRecognizer(opts.recognizer);
    this.combination = opts.combination ?? DEFAULT_COMBINATION;
    this.calibrationOverride = opts.calibration;
    this.createIndex = opts.createIndex ?? ((dim) => new AdaptiveIndex(dim));
    this.inMemoryLimit = opts.inMemoryLimit ?? DEFAULT_IN_MEMORY_LIMIT;
    this.storeEf = opts.storeEf;
  }

  /**
   * Open the store and, with a recognizer, load what searching needs (MODEL_MISMATCH if the gallery holds
   * another model). A store shared with other writers is watched, so their enrollments show up here.
   */
  static async open(opts: GalleryOptions = {}): Promise<Gallery> {
    const store: GalleryStore =
      opts.store ?? (await openStore(opts.location ?? DEFAULT_GALLERY_PATH, { create: opts.create }));
    const g = new Gallery({ ...opts, store });
    try {
      if (opts.recognizer) {
        await g.load();
        if (store.watch) g.unwatch = await store.watch((c) => g.follower.onStoreChange(c));
      }
    } catch (e) {
      if (!opts.store) await store.close();
      throw e;
    }
    return g;
  }

  async close(): Promise<void> {
    await this.unwatch?.();
    await this.follower.idle();
    try {
      await this.saveGraph(false);
    } catch (e) {
      // the graph is a cache of the gallery: failing to save it costs a rebuild at the next open, nothing else
      process.emitWarning(`facenet: ${(e as Error).message}`);
    } finally {
      await this.store.close();
    }
  }

  /** The HNSW graph file kept beside a SQLite gallery file (none for servers and :memory:). */
  private get graphFile(): string | undefined {
    const loc = this.store.location;
    return isPostgresUrl(loc) || loc === ':memory:' || loc === '' ? undefined : `${loc}.hnsw`;
  }

  /**
   * Save the in-memory HNSW graph beside the gallery file so the next open skips building it. Only when no other
   * writer changed the gallery since it was loaded (the graph would miss their changes). With `build`, finish the
   * graph first (minutes at 1e6 entries); without, save only a graph that is already complete.
   */
  async saveGraph(build = true): Promise<boolean> {
    const file = this.graphFile;
    const loaded = this.view;
    if (!file || !loaded || !(loaded.view instanceof MemoryView) || !(loaded.view.index instanceof AdaptiveIndex))
      return false;
    const index = loaded.view.index;
    if (index.mode === 'exact' || (!build && index.mode !== 'hnsw') || loaded.view.forgotten) return false;
    await this.follower.catchUp();
    const generation = await this.store.generation();
    if (generation !== loaded.generation + this.follower.ownChanges) return false;
    return index.saveGraph(file, { generation, modelId: loaded.modelId, combination: this.combination });
  }

  /** How the gallery searches now, for `facenet index` and diagnostics. */
  indexInfo(): {
    search: 'memory' | 'store' | 'not loaded';
    mode?: string;
    entries?: number;
    graphRestored?: boolean;
    graphFile?: string;
  } {
    const v = this.view?.view;
    if (!v) return { search: 'not loaded' };
    if (!(v instanceof MemoryView)) return { search: 'store', entries: v.comparisons() };
    const mode = v.index instanceof AdaptiveIndex ? v.index.mode : v.index ? 'exact' : 'empty';
    return {
      search: 'memory',
      mode,
      entries: v.comparisons(),
      graphRestored: v.graphRestored,
      graphFile: this.graphFile,
    };
  }

  /**
   * Wait until changes announced by other writers so far are applied (tests, and callers who need read-your-writes
   * across replicas).
   */
  settled(): Promise<void> {
    return this.follower.settled();
  }

  private get view(): LoadedView | undefined {
    return this.follower.current;
  }

  private requireRecognizer(what: string): GalleryRecognizer {
    if (!this.recognizer)
      throw new FaceError('INVALID_INPUT', `${what} needs a recognizer: open the gallery with { recognizer }`);
    return this.recognizer;
  }

  /** The model id the gallery works with: the recognizer's. */
  get modelId(): string {
    return this.requireRecognizer('the gallery model id').modelId;
  }

  /**
   * The model id of the templates queries are compared with: the recognizer's, or another TTA variant of its network
   * when the gallery holds that and a cross-variant calibration exists. Undefined until the gallery is loaded.
   */
  get templateModelId(): string | undefined {
    return this.view?.modelId;
  }

  /** How the gallery is searched: 'memory' (index in this process) or 'store' (inside the database). */
  get searchMode(): 'memory' | 'store' | undefined {
    return this.view?.view.kind;
  }

  private get calibrationSources(): CalibrationSources {
    return { override: this.calibrationOverride, store: this.store, recognizer: this.recognizer };
  }

  private async load(): Promise<GalleryView> {
    const queryModelId = this.requireRecognizer('searching the gallery').modelId;
    if (this.view && this.view.queryModelId === queryModelId) {
      await this.follower.catchUp();
      if (this.view && this.view.queryModelId === queryModelId) return this.view.view;
    }
    const store = this.store;
    // read before the templates: a change committed in between makes the saved graph look stale, never current
    const generation = await store.generation();
    const modelId = await templateModelFor(store, queryModelId, this.calibrationSources);
    let view: GalleryView;
    if (
      store.nearest &&
      this.combination === 'nearest' &&
      (await store.counts(modelId)).templates > this.inMemoryLimit
    ) {
      const others = (await store.modelIds()).filter((m) => m !== modelId);
      if (others.length)
        throw new FaceError(
          'MODEL_MISMATCH',
          `gallery ${store.location} holds templates of model(s) ${others.join(', ')}, ` +
            `not ${modelId}. ${modelMismatchAdvice(modelId, others)}`,
          {
            gallery: store.location,
            requested: modelId,
            stored: others,
          },
        );
      view = await StoreView.load(
        store as GalleryStore & Required<Pick<GalleryStore, 'nearest'>>,
        modelId,
        this.storeEf,
      );
    } else {
      const file = this.graphFile;
      const graph = file
        ? {
            file,
            accept: (meta: HnswMeta) =>
              meta.generation === generation && meta.modelId === modelId && meta.combination === this.combination,
          }
        : undefined;
      view = await MemoryView.load(store, modelId, this.combination, this.createIndex, graph);
    }
    this.follower.loaded({ modelId, queryModelId, view, generation });
    return view;
  }

  /**
   * The calibration decisions use: explicit override, else the gallery's own (`facenet calibrate`), else the one the
   * embedding model carries (`facenet train`, when measured with this TTA), else the shipped default. For queries of
   * another TTA variant than the templates (see tta-variants.ts), the cross-variant table of that pair.
   */
  async calibration(): Promise<ChosenCalibration> {
    const modelId = this.modelId;
    const loaded = this.view?.queryModelId === modelId ? this.view.modelId : undefined;
    const templateModel = loaded ?? (await templateModelFor(this.store, modelId, this.calibrationSources));
    const found = await findCalibration(this.calibrationSources, templateModel, modelId);
    if (found) return found;
    const override = this.calibrationOverride;
    if (override)
      throw new FaceError(
        'MODEL_MISMATCH',
        `calibration was computed for model ${override.modelId}` +
          (override.probeModelId ? ` with queries of ${override.probeModelId}` : '') +
          `, the recognizer is ${modelId}`,
      );
    const note = this.recognizer?.calibrationNote;
    throw new FaceError(
      'CALIBRATION_ERROR',
      `no calibration for model ${modelId}: run \`facenet calibrate --lfw DIR\` (or --pairs FILE) ` +
        'with the same options to compute thresholds for it' +
        (note ? ` (${note}; use those options to decide with it)` : ''),
      { modelId },
    );
  }

  private calibrationLabel(c: ChosenCalibration): string {
    const cross = c.table.probeModelId ? ` (templates ${c.table.modelId}, queries ${c.table.probeModelId})` : '';
    return `${c.origin}: ${c.table.source}${cross}`;
  }

  /**
   * The view, for enrolling: templates of another TTA variant than the gallery's would mix two kinds of embeddings that
   * no single calibration describes, so a query-only cross-variant match is refused here (MODEL_MISMATCH).
   */
  private async loadForEnroll(): Promise<GalleryView> {
    const view = await this.load();
    const loaded = this.view!;
    if (loaded.modelId !== loaded.queryModelId && !(await this.store.modelIds()).length) {
      this.follower.current = undefined; // everyone was forgotten since: the gallery takes the enroller's variant
      return this.load();
    }
    if (loaded.modelId !== loaded.queryModelId)
      throw new FaceError(
        'MODEL_MISMATCH',
        `gallery ${this.store.location} holds templates of ${loaded.modelId}: queries of ${loaded.queryModelId} ` +
          'are decided against them with a cross-variant calibration, but enrolling them would mix two variants ' +
          `in one gallery. ${modelMismatchAdvice(loaded.queryModelId, [loaded.modelId], 'enroll')}`,
        { gallery: this.store.location, requested: loaded.queryModelId, stored: [loaded.modelId] },
      );
    return view;
  }

  /** Number of people enrolled (for the current model). */
  async size(): Promise<number> {
    return (await this.load()).people();
  }

  people(): Promise<PersonSummary[]> {
    return this.store.people();
  }

  /**
   * One-shot enrollment: one or more photos of one person, stored in a single transaction (all or nothing).
   * Rejects a photo with no face (NO_FACE) or several (MULTIPLE_FACES, unless `largest`); nothing is stored then.
   */
  async enroll(
    name: string,
    images: ImageInput | readonly ImageInput[],
    opts: EnrollOptions = {},
  ): Promise<EnrollResult> {
    const key = canonicalName(name);
    const before = this.enrolling.get(key) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(() => this.enrollOne(name, images, opts));
    this.enrolling.set(key, mine);
    try {
      return await mine;
    } finally {
      if (this.enrolling.get(key) === mine) this.enrolling.delete(key);
    }
  }

  private async enrollOne(
    name: string,
    images: ImageInput | readonly ImageInput[],
    opts: EnrollOptions,
  ): Promise<EnrollResult> {
    const recognizer = this.requireRecognizer('enroll');
    const mode = opts.mode ?? 'upsert';
    const existing = await this.store.findPerson(name);
    if (existing && mode === 'create')
      throw new FaceError('PERSON_EXISTS', `${existing.name} is already enrolled: add photos to them instead`, {
        name: existing.name,
      });
    if (!existing && mode === 'add')
      throw new FaceError('PERSON_NOT_FOUND', `nobody called "${canonicalName(name)}" is enrolled`, {
        name: canonicalName(name),
      });
    // a new person's name must follow the rule; an enrolled person keeps the name they were stored under
    const trimmed = existing?.name ?? personName(name);
    const list: readonly ImageInput[] = Array.isArray(images) ? images : [images as ImageInput];
    if (!list.length) throw new FaceError('INVALID_INPUT', `enrolling ${trimmed} needs at least one photo`);
    const view = await this.loadForEnroll();
    const own = existing ? await view.personTemplates(existing.id) : [];
    const known = new Set(own.map((t) => t.sha256));

    const { fresh, warnings } = await photosToEnroll(recognizer, list, opts, trimmed, known);

    // quality and consistency checks (warnings, never refusals)
    let tau: number | undefined;
    try {
      tau = tauForFar((await this.calibration()).table, opts.far ?? DEFAULT_VERIFY_FAR).threshold;
    } catch (e) {
      if (!(e instanceof FaceError && e.code === 'CALIBRATION_ERROR')) throw e;
      warnings.push({ code: 'NO_CALIBRATION', message: `${e.message}; duplicate checks skipped` });
    }
    warnings.push(...(await enrollmentWarnings(fresh, { tau, view, own, personId: existing?.id, name: trimmed })));

    if (!fresh.length) {
      const person = existing ?? (await this.store.findPerson(trimmed));
      if (!person) throw new FaceError('INVALID_INPUT', `nothing to enroll for ${trimmed}`);
      return { person, created: false, added: [], templates: own.length, warnings };
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
    const receipt = await this.store.enroll({ name: trimmed, mode, metadata: opts.metadata, templates: records });
    this.follower.ownChanges++;
    // another process may have stored some of these photos for the person since we looked: the store skipped them
    const skipped = new Set(receipt.skipped ?? []);
    const stored = fresh.flatMap((f, i) => (skipped.has(i) ? [] : [{ f, id: receipt.templateIds[i] }]));
    for (const f of fresh)
      if (!stored.some((s) => s.f === f))
        warnings.push({
          code: 'ALREADY_ENROLLED',
          message: `${f.source} is already enrolled for ${trimmed}; skipped`,
          source: f.source,
        });

    // keep the view in step (only after the transaction committed)
    await view.applyEnroll(
      receipt.person.id,
      receipt.person.name,
      stored.map(({ f, id }) => ({ id, embedding: f.face.embedding, sha256: f.sha256 })),
    );

    return {
      person: receipt.person,
      created: receipt.created,
      added: stored.map(({ f, id }) => ({
        source: f.source,
        sha256: f.sha256,
        templateId: id,
        box: f.face.box,
        detectionScore: f.face.score,
        faceSize: faceSize(f.face.box),
        facesInImage: f.facesInImage,
      })),
      templates: own.length + stored.length,
      warnings,
    };
  }

  /**
   * Enroll faces already embedded (e.g. a named cluster group): templates of this gallery's model, stored in one
   * transaction. Photos (by sha256) the person already has are skipped; MODEL_MISMATCH for another model's vectors.
   */
  async enrollTemplates(
    name: string,
    templates: readonly NewTemplate[],
    metadata?: Metadata,
  ): Promise<{ person: Person; created: boolean; templateIds: readonly number[]; skipped: number }> {
    const existing = await this.store.findPerson(name);
    // a new person's name must follow the rule; an enrolled person keeps the name they were stored under
    const trimmed = existing?.name ?? personName(name);
    if (!templates.length) throw new FaceError('INVALID_INPUT', `enrolling ${trimmed} needs at least one face`);
    const modelId = this.modelId;
    const other = templates.find((t) => t.modelId !== modelId);
    if (other)
      throw new FaceError(
        'MODEL_MISMATCH',
        `faces of model ${other.modelId} cannot be enrolled in a gallery of ${modelId}`,
        { requested: other.modelId, gallery: modelId },
      );
    const view = await this.loadForEnroll();
    const known = new Set((existing ? await view.personTemplates(existing.id) : []).map((t) => t.sha256));
    const fresh = templates.filter((t) => !known.has(t.sourceSha256) && (known.add(t.sourceSha256), true));
    if (!fresh.length) return { person: existing!, created: false, templateIds: [], skipped: templates.length };
    const receipt = await this.store.enroll({ name: trimmed, mode: 'upsert', metadata, templates: fresh });
    this.follower.ownChanges++;
    // another process may have stored some of these photos for the person since we looked: the store skipped them
    const skipped = new Set(receipt.skipped ?? []);
    const stored = fresh.flatMap((t, i) => (skipped.has(i) ? [] : [{ t, id: receipt.templateIds[i] }]));
    await view.applyEnroll(
      receipt.person.id,
      receipt.person.name,
      stored.map(({ t, id }) => ({ id, embedding: t.embedding, sha256: t.sourceSha256 })),
    );
    return {
      person: receipt.person,
      created: receipt.created,
      templateIds: stored.map((s) => s.id),
      skipped: templates.length - stored.length,
    };
  }

  /**
   * Remove a person with every template and thumbnail; the index follows. Once the store has committed, the person
   * is out of this process's index whatever happens next; and every other process drops them before it next
   * answers (catchUp), so a delete that failed after its commit is still a delete everywhere.
   */
  async forget(name: string): Promise<ForgetReceipt> {
    let result: ForgetReceipt;
    try {
      result = await this.store.forget(name);
    } catch (e) {
      // the store may have committed before failing: let the change log decide what the index holds
      await this.follower.catchUp();
      throw e;
    }
    this.follower.ownChanges++;
    this.view?.view.applyForget(result.person.id);
    // the saved graph holds the person's vectors: it goes (the next open builds a clean one)
    if (this.graphFile) removeIndexFiles(this.graphFile);
    return result;
  }

  /** Distance from an embedding to a person under the gallery's template combination, and the comparisons it took. */
  async personDistance(personId: number, embedding: Float32Array): Promise<{ distance: number; comparisons: number }> {
    const list = await (await this.load()).personTemplates(personId);
    if (!list.length) return { distance: Number.POSITIVE_INFINITY, comparisons: 0 };
    if (this.combination === 'centroid') {
      const centroid = normalisedMean(list.map((t) => t.embedding));
      return { distance: distanceFromDot(dot(centroid, embedding)), comparisons: 1 };
    }
    let best = -Infinity;
    for (const t of list) best = Math.max(best, dot(t.embedding, embedding));
    return { distance: distanceFromDot(best), comparisons: list.length };
  }

  /** 1:1: is the (largest) face in `img` the enrolled person `name`? The person first, as in enroll(name, images). */
  async verify(name: string, img: ImageInput, opts: VerifyOptions = {}): Promise<VerifyResult> {
    const recognizer = this.requireRecognizer('verify');
    await this.load();
    const person = await this.store.findPerson(name);
    if (!person) throw new FaceError('PERSON_NOT_FOUND', `nobody called "${name}" is enrolled`, { name });
    const cal = await this.calibration();
    const source = describeInput(img);
    const faces = await recognizer.embed(img, { aligned: opts.aligned, detect: opts.detect });
    if (!faces.length) throw new FaceError('NO_FACE', `no face found in ${source}`, { source });
    const face = opts.face ? pickFace(faces, opts.face, source, 'nothing was verified') : largestFirst(faces)[0];
    const { distance, comparisons } = await this.personDistance(person.id, face.embedding);
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
  async openSet(openSetFar = DEFAULT_IDENTIFY_FAR): Promise<OpenSetInfo> {
    const view = await this.load();
    const cal = await this.calibration();
    const comparisons = Math.max(1, view.comparisons());
    const t = openSetThreshold(cal.table, openSetFar, comparisons);
    return {
      threshold: t.threshold,
      openSetFar,
      perComparisonFar: t.targetFar,
      far: t.far,
      people: view.people(),
      comparisons,
      resolvable: t.resolvable,
      ...(t.warning ? { warning: t.warning } : {}),
      calibration: this.calibrationLabel(cal),
    };
  }

  /** Decide one embedding against the gallery (no image work). */
  async identifyEmbedding(
    embedding: Float32Array,
    threshold: number,
    topK = 5,
  ): Promise<{ person: string | 'unknown'; distance: number; candidates: Candidate[] }> {
    const hits = await (await this.load()).search(embedding, topK);
    const candidates = hits.map((h) => ({ person: h.name, distance: h.distance }));
    return { ...identifyDecision(candidates, threshold), candidates };
  }

  /** 1:N open-set: every face in `img` → the person or 'unknown', with the top-k candidates. */
  async identify(img: ImageInput, opts: IdentifyOptions = {}): Promise<IdentifyResult> {
    const recognizer = this.requireRecognizer('identify');
    const info = await this.openSet(opts.far ?? DEFAULT_IDENTIFY_FAR);
    const found = await recognizer.embed(img, { aligned: opts.aligned, detect: opts.detect });
    const source = describeInput(img);
    const faces = opts.face && found.length ? [pickFace(found, opts.face, source, 'nothing was identified')] : found;
    const identified: IdentifiedFace[] = [];
    for (const f of faces)
      identified.push({
        box: f.box,
        score: f.score,
        ...(await this.identifyEmbedding(f.embedding, info.threshold, opts.topK ?? 5)),
      });
    return { ...info, source, faces: identified };
  }

  /** Compute a calibration from labelled distances of this gallery's model and store it with the gallery. */
  async saveCalibration(pairs: readonly ScoredPair[], source: string): Promise<CalibrationTable> {
    const table = calibrate(pairs, { modelId: this.modelId, source });
    await this.store.saveCalibration(table);
    return table;
  }
}
