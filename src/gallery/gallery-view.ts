/**
 * What a Gallery searches: the enrolled templates of one model, seen either from memory (an index loaded once
 * and kept in step) or through the store itself (a database-side ANN index, for galleries too large to copy
 * into every process). Both answer the same questions, so the decisions above do not care which is in use.
 */
import { AdaptiveIndex } from '../search/adaptive-index.js';
import type { HnswMeta } from '../search/hnsw-index.js';
import type { SearchHit, VectorIndex } from '../search/search-index.js';
import type { GalleryStore, StoreSearchOptions } from './store/store.js';
import { indexPerson, type TemplateCombination } from './templates.js';

export interface ViewTemplate {
  readonly id: number;
  readonly embedding: Float32Array;
  readonly sha256: string;
}

export interface NamedHit extends SearchHit {
  readonly name: string;
}

export interface GalleryView {
  readonly kind: 'memory' | 'store';
  /** People with at least one template of the model. */
  people(): number;
  /** Index entries a probe is compared with (what the open-set threshold must account for). */
  comparisons(): number;
  search(query: Float32Array, k: number, opts?: StoreSearchOptions): Promise<NamedHit[]>;
  personTemplates(personId: number): Promise<ViewTemplate[]>;
  /** Apply a change this process committed (the store has it already). */
  applyEnroll(personId: number, name: string, added: readonly ViewTemplate[]): Promise<void>;
  applyForget(personId: number): void;
  /** Re-read one person from the store after another writer changed them. */
  refreshPerson(personId: number, name: string): Promise<void>;
}

/** Every template in memory: an exact (or in-process ANN) index, rebuilt only when the model changes. */
export class MemoryView implements GalleryView {
  readonly kind = 'memory';
  index: VectorIndex | undefined;
  private readonly templates = new Map<number, ViewTemplate[]>();
  private readonly names = new Map<number, string>();

  private constructor(
    private readonly store: GalleryStore,
    private readonly modelId: string,
    private readonly combination: TemplateCombination,
    private readonly createIndex: (dim: number) => VectorIndex,
  ) {}

  /**
   * Load every template of `modelId`. With `graph`, an AdaptiveIndex first tries the HNSW graph saved there (it
   * must be accepted by `graph.accept` and hold exactly the loaded entries) instead of building one.
   */
  static async load(
    store: GalleryStore,
    modelId: string,
    combination: TemplateCombination,
    createIndex: (dim: number) => VectorIndex,
    graph?: { file: string; accept: (meta: HnswMeta) => boolean },
  ): Promise<MemoryView> {
    const view = new MemoryView(store, modelId, combination, createIndex);
    const rows = await store.templates(modelId); // MODEL_MISMATCH when the gallery holds another model
    for (const p of await store.people()) view.names.set(p.id, p.name);
    for (const t of rows) {
      const list = view.templates.get(t.personId) ?? [];
      list.push({ id: t.id, embedding: t.embedding, sha256: t.sourceSha256 });
      view.templates.set(t.personId, list);
    }
    if (rows.length) {
      view.index = createIndex(rows[0].embedding.length);
      const adaptive = view.index instanceof AdaptiveIndex ? view.index : undefined;
      adaptive?.deferHnsw(true);
      for (const [personId, list] of view.templates) indexPerson(view.index, combination, personId, list);
      if (adaptive) {
        view.graphRestored = graph ? adaptive.restoreGraph(graph.file, graph.accept) : false;
        adaptive.deferHnsw(false);
      }
    }
    return view;
  }

  /** The HNSW graph came from the file saved beside the gallery rather than being built. */
  graphRestored = false;
  /**
   * Someone was forgotten since the view was loaded: the in-memory HNSW graph may still hold their vectors (removed
   * entries are only marked), so this graph is never saved; the next open builds a clean one.
   */
  forgotten = false;

  people(): number {
    return this.templates.size;
  }

  comparisons(): number {
    return this.index?.size ?? 0;
  }

  async search(query: Float32Array, k: number, opts: StoreSearchOptions = {}): Promise<NamedHit[]> {
    const hits = this.index?.search(query, k, { excludeLabel: opts.excludeLabel }) ?? [];
    return hits.map((h) => ({ ...h, name: this.names.get(h.label) ?? `#${h.label}` }));
  }

  async personTemplates(personId: number): Promise<ViewTemplate[]> {
    return this.templates.get(personId) ?? [];
  }

  async applyEnroll(personId: number, name: string, added: readonly ViewTemplate[]): Promise<void> {
    const list = [...(this.templates.get(personId) ?? [])];
    for (const t of added) if (!list.some((o) => o.id === t.id)) list.push(t);
    this.set(personId, name, list);
  }

  applyForget(personId: number): void {
    if (this.templates.has(personId)) this.forgotten = true;
    this.index?.removeLabel(personId);
    this.templates.delete(personId);
    this.names.delete(personId);
  }

  async refreshPerson(personId: number, name: string): Promise<void> {
    const rows = await this.store.personTemplates(personId, this.modelId);
    if (!rows.length) return this.applyForget(personId);
    this.set(
      personId,
      name,
      rows.map((t) => ({ id: t.id, embedding: t.embedding, sha256: t.sourceSha256 })),
    );
  }

  private set(personId: number, name: string, list: ViewTemplate[]): void {
    this.templates.set(personId, list);
    this.names.set(personId, name);
    this.index ??= this.createIndex(list[0].embedding.length);
    indexPerson(this.index, this.combination, personId, list);
  }
}

/** Nothing in memory but two counters: the store searches (pgvector's HNSW) and holds the templates. */
export class StoreView implements GalleryView {
  readonly kind = 'store';

  private constructor(
    private readonly store: GalleryStore & Required<Pick<GalleryStore, 'nearest'>>,
    private readonly modelId: string,
    private readonly ef: number | undefined,
    private counts: { people: number; templates: number },
  ) {}

  static async load(
    store: GalleryStore & Required<Pick<GalleryStore, 'nearest'>>,
    modelId: string,
    ef?: number,
  ): Promise<StoreView> {
    return new StoreView(store, modelId, ef, await store.counts(modelId));
  }

  people(): number {
    return this.counts.people;
  }

  comparisons(): number {
    return this.counts.templates;
  }

  search(query: Float32Array, k: number, opts: StoreSearchOptions = {}): Promise<NamedHit[]> {
    return this.store.nearest(this.modelId, query, k, { ef: this.ef, ...opts });
  }

  async personTemplates(personId: number): Promise<ViewTemplate[]> {
    return (await this.store.personTemplates(personId, this.modelId)).map((t) => ({
      id: t.id,
      embedding: t.embedding,
      sha256: t.sourceSha256,
    }));
  }

  async applyEnroll(): Promise<void> {
    this.counts = await this.store.counts(this.modelId);
  }

  applyForget(): void {
    // counters only: a failed refresh leaves them one change behind until the next one, never an unhandled rejection
    this.refreshPerson().catch(() => undefined);
  }

  async refreshPerson(): Promise<void> {
    this.counts = await this.store.counts(this.modelId);
  }
}
