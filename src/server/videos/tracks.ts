/**
 * A video job's tracks as stored (JSON): the timeline fields of `facenet watch --json` plus what grouping strangers
 * and thumbnails need (the embedding, the best view's JPEG), and the job's result built from them.
 */
import type { ClusterState } from '../../cluster/state.js';
import type { CalibrationTable } from '../../decide/calibration.js';
import type { TrackSummary } from '../../video/events.js';
import { peopleJson, trackJson, type TimelineTrack } from '../../video/report.js';
import { groupUnknowns, trackKey } from '../../video/unknowns.js';

export interface TrackJson extends ReturnType<typeof trackJson> {
  /** Fields trackJson leaves out, kept for grouping and thumbnails. */
  readonly embedding?: string;
  readonly thumbnail?: string;
  readonly box: { x: number; y: number; width: number; height: number };
  readonly label: string;
  readonly rawPerson: string;
}

const b64 = (a: Uint8Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

/** A slice's track as stored, its id moved past the ids already used. */
export function storeTrack(t: TrackSummary, source: string, idOffset: number): TrackJson {
  const tl: TimelineTrack = { ...t, id: t.id + idOffset, source };
  return {
    ...trackJson(tl),
    box: { x: t.box.x, y: t.box.y, width: t.box.width, height: t.box.height },
    label: t.label,
    rawPerson: t.person,
    ...(t.embedding ? { embedding: b64(t.embedding) } : {}),
    ...(t.thumbnail ? { thumbnail: b64(t.thumbnail) } : {}),
  };
}

/** Back to the summary the grouping and report code take. */
export function summaryOf(j: TrackJson): TimelineTrack {
  const emb = j.embedding ? Buffer.from(j.embedding, 'base64') : undefined;
  return {
    id: j.id,
    source: j.source,
    person: j.rawPerson,
    label: j.label,
    ...(j.group !== undefined ? { group: j.group } : {}),
    ...(j.distance !== null ? { distance: j.distance } : {}),
    ...(j.threshold !== null ? { threshold: j.threshold } : {}),
    start: j.start,
    end: j.end,
    segments: j.segments,
    box: j.box,
    frames: j.frames,
    views: j.views,
    quality: j.quality ?? 0,
    ...(j.bestTime !== undefined ? { bestTime: j.bestTime } : {}),
    ...(emb ? { embedding: new Float32Array(emb.buffer.slice(emb.byteOffset, emb.byteOffset + emb.byteLength)) } : {}),
    ...(j.thumbnail ? { thumbnail: new Uint8Array(Buffer.from(j.thumbnail, 'base64')) } : {}),
  };
}

export interface Grouping {
  state: ClusterState;
  modelId: string;
  calibration: CalibrationTable;
}

/** Strangers grouped ("unknown N"), then the timeline as `facenet watch --json` gives it (one source). */
export async function finalTracks(
  tracks: readonly TrackJson[],
  source: string,
  grouping?: Grouping,
): Promise<TrackJson[]> {
  if (!grouping || !tracks.some((t) => t.rawPerson === 'unknown')) return [...tracks];
  const summaries = tracks.map(summaryOf);
  const labelled = await groupUnknowns(summaries, { ...grouping, source });
  return tracks.map((t, i) => ({
    ...t,
    person: labelled[i].label,
    label: labelled[i].label,
    ...(labelled[i].group !== undefined ? { group: labelled[i].group } : {}),
  }));
}

/** The public timeline: tracks without their embedding and thumbnail, and the people with their appearances. */
export function timeline(tracks: readonly TrackJson[]) {
  const publicTracks = tracks.map(({ embedding: _e, thumbnail, box: _b, label: _l, rawPerson: _r, ...t }) => ({
    ...t,
    thumbnail: !!thumbnail,
  }));
  return { tracks: publicTracks, people: peopleJson(tracks.map(summaryOf)) };
}

/** The cluster-state faces a job's strangers became (removed with the job). */
export function clusterKeys(tracks: readonly TrackJson[], source: string): string[] {
  return tracks.filter((t) => t.group !== undefined).map((t) => trackKey(source, summaryOf(t)));
}
