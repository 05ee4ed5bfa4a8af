/**
 * Unknown tracks grouped into people with the clustering code: each unknown track's embedding is a face in a cluster
 * state (src/cluster), so one stranger seen in thirty tracks is one group, "unknown N", N the group id. A state file
 * shared between runs makes the same stranger the same N in every video, and `facenet name N PERSON` enrolls the
 * group (its tracks' embeddings and thumbnails) like any cluster group.
 */
import { createHash } from 'node:crypto';
import { clusterIntoState } from '../cluster/library.js';
import type { ClusterState, NewFace } from '../cluster/state.js';
import type { CalibrationTable } from '../decide/calibration.js';
import { DEFAULT_VERIFY_FAR } from '../decide/decisions.js';
import type { TrackSummary } from './events.js';

/** The stable key of a track in the state: the same video watched again finds its tracks already grouped. */
export function trackKey(source: string, t: TrackSummary): string {
  return createHash('sha256')
    .update(`facenet-watch\0${source}\0${t.id}\0${t.start.toFixed(3)}`)
    .digest('hex');
}

/**
 * Add the unknown tracks to the state (joining existing groups or forming new ones, one group per stranger) and
 * label every track: the person, or `unknown N`. Tracks without an embedding stay plain "unknown".
 */
export async function groupUnknowns(
  tracks: readonly TrackSummary[],
  ctx: { state: ClusterState; modelId: string; calibration: CalibrationTable; source: string },
): Promise<TrackSummary[]> {
  const unknown = tracks.filter((t) => t.person === 'unknown' && t.embedding);
  if (!unknown.length) return [...tracks];
  const faces: NewFace[] = unknown.map((t) => ({
    file: `${ctx.source}#track-${t.id}@${t.start.toFixed(2)}s`,
    sha256: trackKey(ctx.source, t),
    box: t.box,
    score: t.quality,
    embedding: t.embedding!,
    thumbnail: t.thumbnail,
  }));
  // τ at the verification FAR for each pair: the library default (a per-face rate spread over N − 1 pairs) is loose
  // for the few tracks of one video, and merged two people of the 6-face test clip
  await clusterIntoState(ctx.state, ctx.modelId, faces, {
    calibration: ctx.calibration,
    targetFar: DEFAULT_VERIFY_FAR,
    minSize: 1,
  });
  const groupOf = new Map(ctx.state.faces().map((f) => [f.sha256, f.groupId]));
  return tracks.map((t) => {
    if (t.person !== 'unknown' || !t.embedding) return t;
    const group = groupOf.get(trackKey(ctx.source, t));
    return group ? { ...t, group, label: `unknown ${group}` } : t;
  });
}
