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

const embeddingOf = (t: TrackJson) => (t.embedding ? summaryOf(t).embedding : undefined);
function distance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return Math.sqrt(Math.max(0, 2 - 2 * dot));
}

/**
 * A slice ends every track at its last frame; a face on screen across the cut comes back as a new track of the next
 * slice. Join them: a new track that starts within `gap` seconds after the cut continues a track that ended within
 * `gap` before it, when their embeddings are within `tau` (re-identification at the verification FAR) and their
 * decisions agree (or the new one names a track that was unknown: a better view). The joined track keeps the old id.
 */
export function joinAtCut(
  before: readonly TrackJson[],
  after: readonly TrackJson[],
  cut: number,
  tau: number,
  gap = 1,
): TrackJson[] {
  const open = before.filter((t) => t.end >= cut - gap);
  const out = [...before];
  const taken = new Set<TrackJson>();
  for (const t of after) {
    const e = embeddingOf(t);
    let best: { p: TrackJson; d: number } | undefined;
    if (e && t.start <= cut + gap)
      for (const p of open) {
        const pe = embeddingOf(p);
        const agree = p.rawPerson === t.rawPerson || p.rawPerson === 'unknown';
        if (!pe || taken.has(p) || !agree) continue;
        const d = distance(e, pe);
        if (d < tau && (!best || d < best.d)) best = { p, d };
      }
    if (!best) {
      out.push(t);
      continue;
    }
    taken.add(best.p);
    const p = best.p;
    const better = (t.quality ?? 0) > (p.quality ?? 0) ? t : p;
    const last = p.segments[p.segments.length - 1];
    const segments =
      last && t.segments[0] && t.segments[0].start - last.end <= gap
        ? [...p.segments.slice(0, -1), { start: last.start, end: t.segments[0].end }, ...t.segments.slice(1)]
        : [...p.segments, ...t.segments];
    const joined: TrackJson = {
      ...p,
      person: t.rawPerson === 'unknown' ? p.person : t.person,
      rawPerson: t.rawPerson === 'unknown' ? p.rawPerson : t.rawPerson,
      label: t.rawPerson === 'unknown' ? p.label : t.label,
      distance: t.rawPerson === 'unknown' ? p.distance : t.distance,
      threshold: t.threshold ?? p.threshold,
      known: p.known || t.known,
      end: t.end,
      segments,
      frames: p.frames + t.frames,
      views: p.views + t.views,
      quality: better.quality,
      box: t.box,
      ...(better.bestTime !== undefined ? { bestTime: better.bestTime } : {}),
      ...(better.embedding ? { embedding: better.embedding } : {}),
      ...(better.thumbnail ? { thumbnail: better.thumbnail } : {}),
    };
    out[out.indexOf(p)] = joined;
  }
  return out;
}
