/**
 * Change-following: the gallery's loaded view kept in step with enrollments and forgets that other writers (another
 * process on the same SQLite file, a replica on the same PostgreSQL database) commit, from the store's change log
 * (catchUp, before answering) or its notifications (onStoreChange). Whenever a change cannot be applied, the view is
 * dropped and the next search loads the gallery whole.
 */
import type { GalleryView } from './gallery-view.js';
import type { GalleryStore, StoreChange } from './store/store.js';

export interface LoadedView {
  /** The model id of the loaded templates. */
  readonly modelId: string;
  /**
   * The model id of the queries searched against them (another TTA variant only where a cross-variant table exists).
   */
  readonly queryModelId: string;
  readonly view: GalleryView;
  /** The store generation the view reflects. */
  generation: number;
}

export class ViewFollower {
  /** The loaded view; undefined before the first load and whenever it must be loaded whole again. */
  current?: LoadedView;
  /** Enrollments and forgets this process committed since the view was loaded (for the saved graph's staleness). */
  ownChanges = 0;
  /** Refreshes from other writers, applied one at a time and in order. */
  private refreshes: Promise<void> = Promise.resolve();

  constructor(private readonly store: Pick<GalleryStore, 'changesSince'>) {}

  /** A freshly loaded view. */
  loaded(view: LoadedView): void {
    this.current = view;
    this.ownChanges = 0;
  }

  /** The refreshes queued so far, done. */
  idle(): Promise<void> {
    return this.refreshes;
  }

  /** A change another writer announced (GalleryStore.watch): applied after those before it. */
  onStoreChange(change: StoreChange): void {
    this.refreshes = this.refreshes
      .then(async () => {
        const v = this.current?.view;
        if (!v) return;
        if (change.kind === 'forget' || change.name === undefined) v.applyForget(change.personId);
        else await v.refreshPerson(change.personId, change.name);
      })
      .catch(() => {
        // a failed refresh must not stop later ones; drop the view so the next search reloads it whole
        this.current = undefined;
      });
  }

  /** Wait until changes announced by other writers so far are applied. */
  async settled(): Promise<void> {
    await this.catchUp();
    await this.refreshes;
  }

  /**
   * Bring the loaded view up to the store's generation from its change log, whichever process committed the
   * changes (the CLI forgetting while `facenet serve` runs). One cheap read when nothing changed; a whole reload
   * when the log no longer reaches back. Stores without a change log (PostgreSQL replicas use watch()) skip it.
   */
  catchUp(): Promise<void> {
    if (!this.store.changesSince) return Promise.resolve();
    const run = async () => {
      const loaded = this.current;
      if (!loaded) return;
      const log = await this.store.changesSince!(loaded.generation);
      if (this.current !== loaded) return;
      if (!log) {
        this.current = undefined; // too far behind: the next search loads the gallery whole
        return;
      }
      if (log.generation === loaded.generation) return;
      for (const c of log.changes) {
        if (c.kind === 'forget' || c.name === undefined) loaded.view.applyForget(c.personId);
        else await loaded.view.refreshPerson(c.personId, c.name);
      }
      loaded.generation = log.generation;
      this.ownChanges = 0;
    };
    this.refreshes = this.refreshes.then(run).catch(() => {
      this.current = undefined;
    });
    return this.refreshes;
  }
}
