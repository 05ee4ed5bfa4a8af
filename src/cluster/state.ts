/**
 * Persisted cluster state: the groups found in a photo library, with stable ids, so a group can be named
 * (enrolled), renamed, corrected and deleted, and new photos can join existing groups later.
 *
 * One SQLite file (default ./facenet-clusters.db, or beside a gallery), behind the small `ClusterState` interface.
 * Group and face ids are never reused (AUTOINCREMENT). Every change is one transaction: a failed run or a bad
 * request changes nothing. The file holds one model's embeddings; adding another model's is MODEL_MISMATCH.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Box } from '../detect/types.js';
import { FaceError } from '../errors.js';
import { personName } from '../gallery/names.js';

export const DEFAULT_CLUSTER_STATE = './facenet-clusters.db';

export interface StoredFace {
  readonly id: number;
  /** null: unclustered. */
  readonly groupId: number | null;
  readonly file: string;
  readonly sha256: string;
  readonly box: Box;
  readonly score: number;
  readonly embedding: Float32Array;
}

export interface GroupSummary {
  readonly id: number;
  /** A label given with rename, or the gallery person the group was enrolled as; null when unnamed. */
  readonly name: string | null;
  /** The gallery person this group was enrolled as (by `name`), null when not enrolled. */
  readonly person: string | null;
  readonly faces: number;
  readonly created: string;
}

/** A face about to be stored. */
export interface NewFace {
  readonly file: string;
  readonly sha256: string;
  readonly box: Box;
  readonly score: number;
  readonly embedding: Float32Array;
  readonly thumbnail?: Uint8Array;
}

/** One clustering run's changes, applied atomically. */
export interface ClusterChanges {
  readonly modelId: string;
  /** New faces that joined existing groups. */
  readonly joined: readonly { readonly face: NewFace; readonly groupId: number }[];
  /** New groups: new faces and ids of stored unclustered faces. */
  readonly newGroups: readonly { readonly faces: readonly NewFace[]; readonly looseIds: readonly number[] }[];
  /** New faces in no group. */
  readonly unclustered: readonly NewFace[];
  /** What the run used, recorded for `groups` listings. */
  readonly settings: Record<string, unknown>;
}

const faceKey = (sha: string, b: Box) =>
  `${sha}:${Math.round(b.x)},${Math.round(b.y)},${Math.round(b.width)},${Math.round(b.height)}`;

interface FaceRow {
  id: number;
  group_id: number | null;
  file: string;
  image_sha256: string;
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
  embedding: Buffer;
}

const toFace = (r: FaceRow): StoredFace => ({
  id: r.id,
  groupId: r.group_id,
  file: r.file,
  sha256: r.image_sha256,
  box: { x: r.x, y: r.y, width: r.w, height: r.h },
  score: r.score,
  embedding: new Float32Array(
    r.embedding.buffer.slice(r.embedding.byteOffset, r.embedding.byteOffset + r.embedding.byteLength),
  ),
});

export class ClusterState {
  private constructor(
    private readonly db: Database.Database,
    readonly location: string,
  ) {}

  /** Open (creating it unless `mustExist`) a state file. A file that is not a cluster state is an error, untouched. */
  static open(file: string = DEFAULT_CLUSTER_STATE, opts: { mustExist?: boolean } = {}): ClusterState {
    if (opts.mustExist && file !== ':memory:' && !existsSync(file))
      throw new FaceError(
        'NOT_FOUND',
        `no cluster state at ${file}: run \`facenet cluster DIR…\` first (or pass --state FILE)`,
        { state: file },
      );
    let db: Database.Database | undefined;
    try {
      if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      // a forgotten person's name, cleared from a group, must not stay in the file's free space
      db.pragma('secure_delete = ON');
      db.exec(`
        CREATE TABLE IF NOT EXISTS cluster_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS cluster_groups (
          id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, person TEXT, created TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS cluster_faces (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          group_id INTEGER REFERENCES cluster_groups(id) ON DELETE CASCADE,
          file TEXT NOT NULL, image_sha256 TEXT NOT NULL, face_key TEXT NOT NULL UNIQUE,
          x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL, score REAL NOT NULL,
          embedding BLOB NOT NULL, thumbnail BLOB, created TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS cluster_faces_group ON cluster_faces(group_id);
      `);
      return new ClusterState(db, file);
    } catch (e) {
      db?.close();
      if (e instanceof FaceError) throw e;
      throw new FaceError(
        'GALLERY_ERROR',
        `cannot open cluster state ${file}: ${(e as Error).message}`,
        { state: file },
        { cause: e },
      );
    }
  }

  close(): void {
    this.db.close();
  }

  private meta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM cluster_meta WHERE key = ?').get(key) as { value: string } | undefined)
      ?.value;
  }

  /** The model every stored embedding came from (undefined while empty). */
  modelId(): string | undefined {
    return this.meta('model_id');
  }

  /** The settings of the last run (algorithm, τ, …). */
  settings(): Record<string, unknown> {
    const s = this.meta('settings');
    return s ? (JSON.parse(s) as Record<string, unknown>) : {};
  }

  /** Faces with embeddings: all, or one group's (`groupId`), or the unclustered ones (null). */
  faces(groupId?: number | null): StoredFace[] {
    const cols = 'id, group_id, file, image_sha256, x, y, w, h, score, embedding';
    const rows =
      groupId === undefined
        ? this.db.prepare(`SELECT ${cols} FROM cluster_faces ORDER BY id`).all()
        : groupId === null
          ? this.db.prepare(`SELECT ${cols} FROM cluster_faces WHERE group_id IS NULL ORDER BY id`).all()
          : this.db.prepare(`SELECT ${cols} FROM cluster_faces WHERE group_id = ? ORDER BY id`).all(groupId);
    return (rows as FaceRow[]).map(toFace);
  }

  face(id: number): StoredFace {
    const r = this.db
      .prepare('SELECT id, group_id, file, image_sha256, x, y, w, h, score, embedding FROM cluster_faces WHERE id = ?')
      .get(id) as FaceRow | undefined;
    if (!r) throw new FaceError('NOT_FOUND', `no face ${id} in ${this.location}`, { face: id });
    return toFace(r);
  }

  /** Whether this face of this image (sha256 + box, rounded to pixels) is stored already. */
  has(sha256: string, box: Box): boolean {
    return !!this.db.prepare('SELECT 1 FROM cluster_faces WHERE face_key = ?').get(faceKey(sha256, box));
  }

  /** Images (by sha256) with at least one stored face, with the file recorded for them. */
  knownImages(): Map<string, string> {
    const rows = this.db.prepare('SELECT DISTINCT image_sha256, file FROM cluster_faces').all() as {
      image_sha256: string;
      file: string;
    }[];
    return new Map(rows.map((r) => [r.image_sha256, r.file]));
  }

  thumbnail(faceId: number): Uint8Array | undefined {
    const r = this.db.prepare('SELECT thumbnail FROM cluster_faces WHERE id = ?').get(faceId) as
      { thumbnail: Buffer | null } | undefined;
    return r?.thumbnail ?? undefined;
  }

  groups(): GroupSummary[] {
    const rows = this.db
      .prepare(
        `SELECT g.id, g.name, g.person, g.created, COUNT(f.id) AS faces FROM cluster_groups g
         LEFT JOIN cluster_faces f ON f.group_id = g.id GROUP BY g.id ORDER BY faces DESC, g.id`,
      )
      .all() as GroupSummary[];
    return rows;
  }

  group(id: number): GroupSummary {
    const g = this.groups().find((x) => x.id === id);
    if (!g) throw new FaceError('NOT_FOUND', `no group ${id} in ${this.location}`, { group: id });
    return g;
  }

  /** Apply one run: all or nothing. Returns the ids of the new groups, in order. */
  apply(changes: ClusterChanges): number[] {
    const run = this.db.transaction((): number[] => {
      const model = this.modelId();
      if (model !== undefined && model !== changes.modelId)
        throw new FaceError(
          'MODEL_MISMATCH',
          `cluster state ${this.location} holds faces of model ${model}, ` +
            `not ${changes.modelId}; use another --state file`,
          {
            state: this.location,
            stored: model,
            requested: changes.modelId,
          },
        );
      const setMeta = this.db.prepare('INSERT OR REPLACE INTO cluster_meta (key, value) VALUES (?, ?)');
      setMeta.run('model_id', changes.modelId);
      setMeta.run('settings', JSON.stringify(changes.settings));
      const now = new Date().toISOString();
      const insertFace = this.db.prepare(
        `INSERT INTO cluster_faces
           (group_id, file, image_sha256, face_key, x, y, w, h, score, embedding, thumbnail, created)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (face_key) DO UPDATE SET file = excluded.file`,
      );
      const add = (f: NewFace, group: number | null) =>
        insertFace.run(
          group,
          f.file,
          f.sha256,
          faceKey(f.sha256, f.box),
          f.box.x,
          f.box.y,
          f.box.width,
          f.box.height,
          f.score,
          Buffer.from(f.embedding.buffer, f.embedding.byteOffset, f.embedding.byteLength),
          f.thumbnail ? Buffer.from(f.thumbnail) : null,
          now,
        );
      for (const j of changes.joined) {
        this.group(j.groupId);
        add(j.face, j.groupId);
      }
      const ids: number[] = [];
      const newGroup = this.db.prepare('INSERT INTO cluster_groups (created) VALUES (?)');
      const claim = this.db.prepare('UPDATE cluster_faces SET group_id = ? WHERE id = ? AND group_id IS NULL');
      for (const g of changes.newGroups) {
        const id = Number(newGroup.run(now).lastInsertRowid);
        ids.push(id);
        for (const f of g.faces) add(f, id);
        for (const l of g.looseIds)
          if (claim.run(id, l).changes !== 1)
            throw new FaceError('INVALID_INPUT', `face ${l} is not an unclustered face of ${this.location}`);
      }
      for (const f of changes.unclustered) add(f, null);
      return ids;
    });
    return this.write(run);
  }

  /** Give a group a name (a label, under the gallery's name rule), or clear it with null. */
  rename(id: number, name: string | null): GroupSummary {
    if (name !== null && typeof name !== 'string') throw new FaceError('INVALID_INPUT', 'a group name is a string');
    if (name !== null && name.trim() === '')
      throw new FaceError('INVALID_INPUT', 'a group name cannot be empty (pass null / --clear to remove it)');
    const clean = name === null ? null : personName(name);
    return this.write(() => {
      this.group(id);
      this.db.prepare('UPDATE cluster_groups SET name = ? WHERE id = ?').run(clean, id);
      return this.group(id);
    });
  }

  /**
   * Reserve a group for being enrolled as `person` (a name under the rule), before the gallery write: false when it
   * already is that person's (naming it again adds its new faces), GROUP_ENROLLED when it is another person's. One
   * transaction, so two processes naming one group cannot both enroll it.
   */
  claim(id: number, person: string): boolean {
    return this.write(
      this.db.transaction(() => {
        const g = this.group(id);
        if (g.person === person) return false;
        if (g.person !== null) throw groupEnrolled(g);
        this.db.prepare('UPDATE cluster_groups SET person = ? WHERE id = ? AND person IS NULL').run(person, id);
        return true;
      }).immediate,
    );
  }

  /** Undo a claim whose enrollment failed. */
  release(id: number, person: string): void {
    this.write(() =>
      this.db.prepare('UPDATE cluster_groups SET person = NULL WHERE id = ? AND person = ?').run(id, person),
    );
  }

  /** Record that a group was enrolled in the gallery as `person` (its name becomes that person's). */
  markEnrolled(id: number, person: string): GroupSummary {
    return this.write(() => {
      this.group(id);
      this.db.prepare('UPDATE cluster_groups SET name = ?, person = ? WHERE id = ?').run(person, person, id);
      return this.group(id);
    });
  }

  /**
   * A person was forgotten from the gallery: every group enrolled as them, or labelled with their name, is unnamed
   * again, and the name is scrubbed from the file (secure_delete, then the WAL is checkpointed and emptied). The
   * groups and their faces stay: they index the photo library (`deleteGroup` removes them). The ids changed.
   */
  forgetPerson(name: string): number[] {
    const ids = this.write(() =>
      (
        this.db
          .prepare('UPDATE cluster_groups SET name = NULL, person = NULL WHERE person = ? OR name = ? RETURNING id')
          .all(name, name) as { id: number }[]
      ).map((r) => r.id),
    );
    if (ids.length && this.location !== ':memory:') {
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch (e) {
        process.emitWarning(
          `facenet: cluster state ${this.location}: scrubbing its WAL failed (${(e as Error).message})`,
        );
      }
    }
    return ids;
  }

  /** Delete a group with every face in it (gone: a later run over the same photos finds them as new faces). */
  deleteGroup(id: number): { group: GroupSummary; facesRemoved: number } {
    return this.write(
      this.db.transaction(() => {
        const group = this.group(id);
        const facesRemoved = this.db.prepare('DELETE FROM cluster_faces WHERE group_id = ?').run(id).changes;
        this.db.prepare('DELETE FROM cluster_groups WHERE id = ?').run(id);
        return { group, facesRemoved };
      }),
    );
  }

  /** Move a face to another group, or out of every group (null). A group left empty is deleted. */
  moveFace(faceId: number, groupId: number | null): StoredFace {
    return this.write(
      this.db.transaction(() => {
        const before = this.face(faceId);
        if (groupId !== null) this.group(groupId);
        this.db.prepare('UPDATE cluster_faces SET group_id = ? WHERE id = ?').run(groupId, faceId);
        this.dropIfEmpty(before.groupId);
        return this.face(faceId);
      }),
    );
  }

  /** Delete one face (gone). A group left empty is deleted. */
  deleteFace(faceId: number): StoredFace {
    return this.write(
      this.db.transaction(() => {
        const before = this.face(faceId);
        this.db.prepare('DELETE FROM cluster_faces WHERE id = ?').run(faceId);
        this.dropIfEmpty(before.groupId);
        return before;
      }),
    );
  }

  private dropIfEmpty(groupId: number | null): void {
    if (groupId === null) return;
    const n = (
      this.db.prepare('SELECT COUNT(*) AS n FROM cluster_faces WHERE group_id = ?').get(groupId) as { n: number }
    ).n;
    if (n === 0) this.db.prepare('DELETE FROM cluster_groups WHERE id = ?').run(groupId);
  }

  /** Run a write; SQLite failures (disk full, read-only file, locked) become GALLERY_ERROR, typed errors pass. */
  private write<R>(fn: () => R): R {
    try {
      return fn();
    } catch (e) {
      if (e instanceof FaceError) throw e;
      throw new FaceError(
        'GALLERY_ERROR',
        `cluster state ${this.location}: ${(e as Error).message}`,
        { state: this.location },
        { cause: e },
      );
    }
  }
}

/** Naming a group that is already another person's. */
function groupEnrolled(g: GroupSummary): FaceError {
  return new FaceError(
    'GROUP_ENROLLED',
    `group ${g.id} is already enrolled as ${g.person}: a group's faces belong to one person ` +
      `(forget ${g.person} first to name it again)`,
    { group: g.id, person: g.person },
  );
}
