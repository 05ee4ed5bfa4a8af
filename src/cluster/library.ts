/**
 * Clustering a photo library into a ClusterState: faces of photos → new faces join existing groups or form new
 * ones (extendClusters), applied in one transaction; naming a group enrolls its faces in a gallery; groups are
 * matched against the people a gallery already holds. Shared by the CLI and the server.
 */
import { createHash } from 'node:crypto';
import type { CalibrationTable } from '../decide/calibration.js';
import { DEFAULT_IDENTIFY_FAR } from '../decide/decisions.js';
import { calibrationFromFile, defaultCalibration } from '../decide/default-calibration.js';
import type { Box } from '../detect/types.js';
import { FaceError } from '../errors.js';
import type { Gallery } from '../gallery/gallery.js';
import { chipThumbnail, faceSize, type FaceFindOptions, type GalleryRecognizer } from '../gallery/face-source.js';
import type { NewTemplate } from '../gallery/store/store.js';
import { personName } from '../gallery/names.js';
import { readImageBytes } from '../image/decode.js';
import { DEFAULT_ALGORITHM, extendClusters, type ClusterOptions, type ClusterThreshold } from './cluster.js';
import type { ClusterState, GroupSummary, NewFace, StoredFace } from './state.js';

/** Every face of one photo, embedded, with a thumbnail of its chip. */
export async function facesOfPhoto(
  recognizer: GalleryRecognizer,
  input: string | Uint8Array,
  file: string,
  opts: FaceFindOptions = {},
): Promise<NewFace[]> {
  const bytes = await readImageBytes(typeof input === 'string' ? input : Buffer.from(input));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const faces = await recognizer.embed(bytes, opts);
  const out: NewFace[] = [];
  for (const f of faces)
    out.push({
      file,
      sha256,
      box: f.box,
      score: f.score,
      embedding: f.embedding,
      thumbnail: f.chip ? await chipThumbnail(f.chip) : undefined,
    });
  return out;
}

export interface ClusterRunResult {
  /** Faces added by this run. */
  readonly added: number;
  /** Faces of these photos the state held already (skipped). */
  readonly alreadyKnown: number;
  /** Faces that joined a group that existed before the run. */
  readonly joined: number;
  /** Ids of the groups this run created. */
  readonly newGroups: number[];
  readonly threshold: ClusterThreshold;
}

/** Add faces to the state: incremental, atomic. Faces already stored (same image and box) are skipped. */
export async function clusterIntoState(
  state: ClusterState,
  modelId: string,
  faces: readonly NewFace[],
  opts: ClusterOptions,
): Promise<ClusterRunResult> {
  const stored = state.modelId();
  if (stored !== undefined && stored !== modelId)
    throw new FaceError(
      'MODEL_MISMATCH',
      `cluster state ${state.location} holds faces of model ${stored}, not ${modelId}; use another --state file`,
      {
        state: state.location,
        stored,
        requested: modelId,
      },
    );
  const seen = new Set<string>();
  const fresh = faces.filter((f) => {
    const { x, y, width, height } = f.box;
    const key = `${f.sha256}:${[x, y, width, height].map(Math.round).join(',')}`;
    if (seen.has(key) || state.has(f.sha256, f.box)) return false;
    seen.add(key);
    return true;
  });
  const all = state.faces();
  const grouped = all
    .filter((f) => f.groupId !== null)
    .map((f) => ({ embedding: f.embedding, group: f.groupId!, image: f.sha256 }));
  const loose = all.filter((f) => f.groupId === null).map((f) => ({ ...f, image: f.sha256 }));
  const algorithm = opts.algorithm ?? DEFAULT_ALGORITHM;
  const ext = await extendClusters(
    grouped,
    fresh.map((f) => ({ ...f, image: f.sha256 })),
    loose,
    { ...opts, algorithm },
  );
  const pickFresh = (idx: number[]) => idx.filter((i) => i < fresh.length).map((i) => fresh[i]);
  const newGroups = state.apply({
    modelId,
    joined: ext.joined.map((j) => ({ face: j.face, groupId: j.group })),
    newGroups: ext.newGroups.map((g) => ({
      faces: pickFresh(g),
      looseIds: g.filter((i) => i >= fresh.length).map((i) => loose[i - fresh.length].id),
    })),
    unclustered: pickFresh(ext.unclustered),
    settings: {
      algorithm,
      threshold: ext.threshold.threshold,
      targetFar: ext.threshold.calibrated?.targetFar ?? null,
      source: ext.threshold.source,
    },
  });
  return {
    added: fresh.length,
    alreadyKnown: faces.length - fresh.length,
    joined: ext.joined.length,
    newGroups,
    threshold: ext.threshold,
  };
}

/**
 * The calibration a clustering run decides with: a calibration file (`--calibration`) when given; else the gallery's
 * when its templates are of the recognizer's variant; else, since faces are compared with each other, a table the
 * gallery holds for exactly that variant (a gallery of another TTA variant lends its own for such faces only), the
 * model's own, or the shipped one.
 */
export async function clusterCalibration(
  recognizer: GalleryRecognizer,
  from: { file?: string; gallery?: Gallery } = {},
): Promise<CalibrationTable | undefined> {
  const { file, gallery } = from;
  if (file) return calibrationFromFile(file, recognizer.modelId);
  if (gallery && gallery.templateModelId === recognizer.modelId) return (await gallery.calibration()).table;
  return (
    (await gallery?.store.calibration(recognizer.modelId)) ??
    recognizer.calibration ??
    defaultCalibration(recognizer.modelId)
  );
}

/** The gallery person a group looks like: most of its faces identified as them. */
export interface GroupMatch {
  readonly person: string;
  /** Faces of the group identified as `person`. */
  readonly faces: number;
  readonly of: number;
  /** Median distance of those faces to the person. */
  readonly distance: number;
}

/**
 * Which enrolled person each group matches: every face is identified open-set (τ for `far` at the gallery's size),
 * and a group matches the person most of its faces are identified as, when that is at least half of them.
 */
export async function matchGroups(
  state: ClusterState,
  gallery: Gallery,
  far = DEFAULT_IDENTIFY_FAR,
): Promise<Map<number, GroupMatch>> {
  const out = new Map<number, GroupMatch>();
  if ((await gallery.size()) === 0) return out;
  const info = await gallery.openSet(far);
  for (const g of state.groups()) {
    const faces = state.faces(g.id);
    const votes = new Map<string, number[]>();
    for (const f of faces) {
      const r = await gallery.identifyEmbedding(f.embedding, info.threshold, 1);
      if (r.person !== 'unknown') votes.set(r.person, [...(votes.get(r.person) ?? []), r.distance]);
    }
    let best: [string, number[]] | undefined;
    for (const v of votes) if (!best || v[1].length > best[1].length) best = v;
    if (best && 2 * best[1].length >= faces.length) {
      const d = best[1].sort((a, b) => a - b);
      out.set(g.id, { person: best[0], faces: d.length, of: faces.length, distance: d[Math.floor(d.length / 2)] });
    }
  }
  return out;
}

/** Namings in progress per state: one at a time, so each sees whom the one before enrolled the group as. */
const naming = new WeakMap<ClusterState, Promise<unknown>>();

export interface NamedGroup {
  readonly group: GroupSummary;
  readonly person: string;
  readonly created: boolean;
  readonly templatesAdded: number;
  readonly skipped: number;
}

/**
 * Name a group: enroll its faces in the gallery as templates of `person` (created if new, else added to), then
 * record the name on the group. A group's faces belong to one person: naming a group enrolled as someone else is
 * GROUP_ENROLLED (409); naming it again as the same person adds the faces that joined it since. The group is
 * claimed in the state before the gallery write (one transaction: two processes cannot both enroll it), released
 * when that write fails, and marked after it commits. A claim whose person is not in the gallery (forgotten, or a
 * crash between the two writes) is stale and is cleared.
 */
export function nameGroup(state: ClusterState, gallery: Gallery, groupId: number, person: string): Promise<NamedGroup> {
  const before = naming.get(state) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(() => nameGroupNow(state, gallery, groupId, person));
  naming.set(state, mine);
  void mine
    .catch(() => undefined)
    .then(() => {
      if (naming.get(state) === mine) naming.delete(state);
    });
  return mine;
}

async function nameGroupNow(
  state: ClusterState,
  gallery: Gallery,
  groupId: number,
  person: string,
): Promise<NamedGroup> {
  const group = state.group(groupId);
  if (typeof person !== 'string') throw new FaceError('INVALID_INPUT', 'a person is named by a string');
  // an enrolled person keeps the name they were stored under; a new one's name follows the rule
  const target = (await gallery.store.findPerson(person))?.name ?? personName(person);
  if (group.person !== null && group.person !== target && !(await gallery.store.findPerson(group.person)))
    state.forgetPerson(group.person); // stale: that person is no longer in the gallery
  const claimed = state.claim(groupId, target);
  try {
    return await enrollGroup(state, gallery, groupId, target);
  } catch (e) {
    if (claimed) state.release(groupId, target);
    throw e;
  }
}

async function enrollGroup(
  state: ClusterState,
  gallery: Gallery,
  groupId: number,
  person: string,
): Promise<NamedGroup> {
  const modelId = state.modelId();
  if (modelId !== gallery.modelId)
    throw new FaceError(
      'MODEL_MISMATCH',
      `group ${groupId} holds faces of model ${modelId}, the gallery works with ${gallery.modelId}: ` +
        `pass the same pipeline options (--pack, --crops, --no-flip) as to \`facenet cluster\``,
    );
  const faces = state.faces(groupId);
  const templates: NewTemplate[] = faces.map((f: StoredFace) => ({
    modelId,
    embedding: f.embedding,
    sourceSha256: f.sha256,
    detectionScore: f.score,
    faceSize: faceSize(f.box as Box),
    thumbnail: state.thumbnail(f.id),
  }));
  const r = await gallery.enrollTemplates(person, templates, { enrolledFrom: `cluster group ${groupId}` });
  const group = state.markEnrolled(groupId, r.person.name);
  return { group, person: r.person.name, created: r.created, templatesAdded: r.templateIds.length, skipped: r.skipped };
}

/**
 * Unname the groups enrolled as people the gallery no longer holds (forgotten by another process, or a naming that
 * crashed between its two writes). Returns the ids of the groups unnamed.
 */
export async function unnameForgottenGroups(state: ClusterState, gallery: Gallery): Promise<number[]> {
  if (naming.has(state)) return []; // a naming in progress has claimed a group for a person not enrolled yet
  const gone = new Set<string>();
  for (const g of state.groups())
    if (g.person !== null && !gone.has(g.person) && !(await gallery.store.findPerson(g.person))) gone.add(g.person);
  return [...gone].flatMap((p) => state.forgetPerson(p));
}
