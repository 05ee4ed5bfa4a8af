/**
 * The per-frame engine behind `watch()`: detect (every frame or every k-th), track, rate each view, embed a track's
 * best views only, and decide the track open-set against the gallery with its calibrated τ (Gallery.openSet and
 * identifyEmbedding: the same decisions as for photos). `frame()` answers one frame's events, boxes and current
 * names included, so a program feeding frames one by one (a WebSocket) gets each answer before the next frame.
 * Memory is bounded: live tracks hold K embeddings and one chip; ended tracks keep a summary (capped by maxTracks).
 */
import type { DetectOptions } from '../detect/types.js';
import type { Gallery } from '../gallery/gallery.js';
import type { OpenSetInfo } from '../gallery/decision-results.js';
import { chipThumbnail } from '../gallery/face-source.js';
import { DEFAULT_IDENTIFY_FAR } from '../decide/decisions.js';
import { distance } from '../embed/vector.js';
import type { PipelineStages } from '../pipeline-stages.js';
import { faceQuality, fivePointsOf68 } from '../track/quality.js';
import { Tracker, type Track, type TrackDetection, type TrackerOptions } from '../track/tracker.js';
import type { FrameFace, StageTimes, TrackSnapshot, TrackSummary, WatchEvent } from './events.js';
import { TrackRecord, type RecordOptions } from './track-record.js';
import type { VideoFrame } from './types.js';

/** The parts of FaceRecognizer video uses. */
/** The pipeline stages a session runs (`stagesOf(fr)`: it detects every frame but aligns and embeds only a few). */
export type VideoRecognizer = Pick<PipelineStages, 'detectBoxes' | 'locate' | 'faceChips' | 'embedder' | 'flip'>;

export interface SessionOptions extends TrackerOptions, Partial<RecordOptions> {
  recognizer: VideoRecognizer;
  /** Decide tracks against this gallery (opened with the same recognizer); without it every track is unknown. */
  gallery?: Gallery;
  /** Open-set false-alarm rate (default DEFAULT_IDENTIFY_FAR, as `identify`). */
  far?: number;
  /** Run the detector on every k-th frame; the tracker predicts in between (default 1: every frame). */
  detectEvery?: number;
  /** Detection settings (score threshold, smallest face). */
  detect?: DetectOptions;
  /** Ended tracks kept for the result; older ones are dropped (default 5000), so endless streams stay bounded. */
  maxTracks?: number;
  /** Flip test-time augmentation of embeddings (default: the recognizer's, which the gallery's model id names). */
  flip?: boolean;
  /**
   * Re-identification: a new track whose embedding is within `threshold` of a track lost less than `seconds` ago
   * continues it (same id; a face that was hidden or left and came back). Without a threshold, off.
   */
  reid?: { threshold: number; seconds?: number };
  /**
   * Hard cuts: a view farther than `threshold` from every view of its track (and their mean) is another person; the
   * track's record ends at its last view and a new one (new id, own decision) starts here. Without it, off.
   */
  split?: { threshold: number };
  /**
   * Live answers: frame() returns after detection and tracking, and the views it wants embedded wait for
   * embedPending() (call it before the next frame). Boxes never wait for the embedding net; a name follows a frame
   * later (as a track-identified event and in the next frame's faces).
   */
  deferViews?: boolean;
}

/** How long a lost track waits to be re-identified, seconds: its track-ended event comes this much later. */
export const DEFAULT_REID_SECONDS = 5;

const snapshot = (r: TrackRecord): TrackSnapshot => ({
  segments: r.segments.map((x) => ({ ...x })),
  id: r.id,
  person: r.decision?.person ?? 'unknown',
  ...(r.decision ? { distance: r.decision.distance, threshold: r.decision.threshold } : {}),
  start: r.start,
  end: r.end,
  box: r.box,
  frames: r.frames,
  views: r.embedded,
  quality: r.best?.quality ?? 0,
});

interface Wanted {
  readonly rec: TrackRecord;
  readonly det: TrackDetection;
}

export class VideoSession {
  private readonly tracker: Tracker;
  private readonly records = new Map<Track, TrackRecord>();
  /** Lost tracks waiting to be re-identified (bounded by the re-identification window). */
  private dormant: { rec: TrackRecord; since: number }[] = [];
  private nextId = 1;
  private readonly ended: TrackSummary[] = [];
  private readonly recordOpts: RecordOptions;
  private readonly detectEvery: number;
  private readonly maxTracks: number;
  /** Ended tracks dropped past maxTracks. */
  dropped = 0;
  frames = 0;
  detections = 0;
  lastTime = 0;
  readonly times: StageTimes = { decode: 0, detect: 0, track: 0, align: 0, embed: 0, decide: 0 };
  /** The views the last frame wanted, waiting for embedPending() (deferViews). */
  private pendingViews?: { f: VideoFrame; wanted: Wanted[] };

  private constructor(
    private readonly opts: SessionOptions,
    readonly openSet: OpenSetInfo | undefined,
  ) {
    this.tracker = new Tracker(opts);
    this.detectEvery = Math.max(1, Math.floor(opts.detectEvery ?? 1));
    this.maxTracks = opts.maxTracks ?? 5000;
    this.recordOpts = {
      views: Math.max(1, opts.views ?? 5),
      gapSeconds: opts.gapSeconds ?? 0.2,
      checkSeconds: opts.checkSeconds ?? 1,
    };
  }

  /** A session; with a gallery, its open-set threshold for `far` is fixed now (the gallery's size and calibration). */
  static async start(opts: SessionOptions): Promise<VideoSession> {
    const openSet = opts.gallery ? await opts.gallery.openSet(opts.far ?? DEFAULT_IDENTIFY_FAR) : undefined;
    return new VideoSession(opts, openSet);
  }

  private clock<T>(stage: keyof StageTimes, t0: number, v: T): T {
    this.times[stage] += (performance.now() - t0) / 1000;
    return v;
  }

  /** One frame in, its events out: track starts, identifications, ends, and the frame's faces. */
  async frame(f: VideoFrame): Promise<WatchEvent[]> {
    const events: WatchEvent[] = [];
    const detect = this.frames++ % this.detectEvery === 0;
    this.lastTime = f.time;
    let t0 = performance.now();
    let dets: TrackDetection[] = [];
    if (detect) {
      dets = this.clock('detect', t0, await this.opts.recognizer.detectBoxes(f.image, this.opts.detect));
      this.detections++;
      t0 = performance.now();
    }
    const step = detect ? this.tracker.update(dets, f.time) : this.tracker.predict(f.time);
    const fresh = new Set<TrackRecord>();
    for (const t of step.confirmed) {
      const rec = new TrackRecord(0, t, this.recordOpts);
      rec.frames = t.hits - 1; // the detections before confirmation (this frame's is counted below)
      this.records.set(t, rec);
      fresh.add(rec);
    }
    const wanted: Wanted[] = [];
    for (const t of step.matched) {
      const rec = this.records.get(t);
      if (!rec || !t.detection) continue;
      rec.seen(f.time, t.detection.box);
      if (rec.wants(f.time)) wanted.push({ rec, det: t.detection });
    }
    this.clock('track', t0, 0);
    if (wanted.length && this.opts.deferViews) this.pendingViews = { f, wanted };
    else if (wanted.length) await this.embedViews(f, wanted, events);
    // a fresh track that resumed a lost one was reported by embedViews (track-updated or -identified)
    for (const rec of fresh)
      if (this.records.get(rec.track) === rec) {
        rec.id = this.nextId++;
        events.push({ type: 'track-started', time: f.time, track: snapshot(rec) });
      }
    for (const t of step.ended) this.lose(t, f.time);
    for (const e of await this.expireDormant(f.time)) events.push(e);
    events.push({ type: 'frame', time: f.time, index: f.index, frame: f, faces: this.faces(), detected: detect });
    return events;
  }

  /** deferViews: embed the views the last frame wanted; the track updates and identifications that follow. */
  async embedPending(): Promise<WatchEvent[]> {
    const p = this.pendingViews;
    this.pendingViews = undefined;
    const live = new Set(this.records.values());
    const wanted = p?.wanted.filter((w) => live.has(w.rec)) ?? []; // tracks lost meanwhile are left out
    const events: WatchEvent[] = [];
    if (p && wanted.length) await this.embedViews(p.f, wanted, events);
    return events;
  }

  /** A track the tracker ended: wait for it to come back (re-identification), else end it. */
  private lose(t: Track, time: number): void {
    const rec = this.records.get(t)!;
    this.records.delete(t);
    if (this.opts.reid && rec.views.length) this.dormant.push({ rec, since: time });
    else this.dormant.push({ rec, since: -Infinity });
  }

  private async expireDormant(time: number): Promise<WatchEvent[]> {
    const window = this.opts.reid?.seconds ?? DEFAULT_REID_SECONDS;
    const out: WatchEvent[] = [];
    while (this.dormant.length && time - this.dormant[0].since > window)
      out.push(await this.endTrack(this.dormant.shift()!.rec));
    // not in time order when re-identification is off (since = -Infinity): those end at once
    for (const d of this.dormant.filter((x) => x.since === -Infinity)) out.push(await this.endTrack(d.rec));
    this.dormant = this.dormant.filter((x) => x.since !== -Infinity);
    return out;
  }

  /** A new track's first view is near a lost track's embedding: the lost track continues (same id). */
  private relink(rec: TrackRecord): TrackRecord | undefined {
    const reid = this.opts.reid;
    const e = rec.embedding();
    if (!reid || !e || !this.dormant.length) return undefined;
    let best: { i: number; d: number } | undefined;
    this.dormant.forEach((x, i) => {
      const o = x.rec.embedding();
      if (!o) return;
      const d = distance(e, o);
      if (d < reid.threshold && (!best || d < best.d)) best = { i, d };
    });
    if (!best) return undefined;
    const [{ rec: old }] = this.dormant.splice(best.i, 1);
    old.resume(rec.track);
    old.frames += rec.frames;
    for (const v of rec.views) old.addView(v, rec.best!.chip, rec.best!.box);
    this.records.set(rec.track, old);
    return old;
  }

  /**
   * A hard cut: this view is another person than the record's. The record ends at its last view (and waits to be
   * re-identified like a lost track); a new record follows the tracker's track from this detection on.
   */
  private splitOff(rec: TrackRecord, e: Float32Array, time: number): TrackRecord | undefined {
    const split = this.opts.split;
    if (!split || !rec.views.length || rec.distanceTo(e) <= split.threshold) return undefined;
    const next = new TrackRecord(0, rec.track, this.recordOpts, time);
    next.frames = 1;
    rec.endAtLastView();
    this.records.set(rec.track, next);
    this.dormant.push({ rec, since: this.opts.reid ? time : -Infinity });
    return next;
  }

  /** The confirmed tracks' boxes and current names. */
  private faces(): FrameFace[] {
    const out: FrameFace[] = [];
    for (const t of this.tracker.active) {
      const r = this.records.get(t);
      if (!r) continue;
      out.push({
        track: r.id,
        box: t.box,
        person: r.decision?.person ?? 'unknown',
        ...(r.decision ? { distance: r.decision.distance } : {}),
        predicted: !t.detection,
        seen: t.lastTime,
      });
    }
    return out;
  }

  /** Locate, align and embed the wanted views in one batch; update each track's decision. */
  private async embedViews(f: VideoFrame, wanted: readonly Wanted[], events: WatchEvent[]): Promise<void> {
    const fr = this.opts.recognizer;
    let t0 = performance.now();
    const faces = await fr.locate(
      f.image,
      wanted.map((w) => w.det),
    );
    const sets = faces.map((face) => fr.faceChips(f.image, face));
    t0 = this.clock('align', t0, performance.now());
    const embeddings = await fr.embedder.embedChipSets(sets, { flip: this.opts.flip ?? fr.flip });
    t0 = this.clock('embed', t0, performance.now());
    for (const [i, w] of wanted.entries()) {
      const face = faces[i];
      const points = face.points ?? (face.landmarks ? fivePointsOf68(face.landmarks) : undefined);
      const fq = faceQuality(f.image, w.det.box, w.det.score, points);
      const split = this.splitOff(w.rec, embeddings[i], f.time);
      const cur = split ?? w.rec;
      cur.frontality = fq.frontality;
      cur.addView({ quality: fq.quality, embedding: embeddings[i], time: f.time }, sets[i][0], w.det.box);
      const rec = cur.embedded === 1 ? (this.relink(cur) ?? cur) : cur;
      // deferred: the new track was announced already (a split-off one was not)
      const announced = !!this.opts.deferViews && !split;
      // announced: now it continues a lost one under that one's id
      if (announced && rec !== cur) events.push({ type: 'track-ended', time: f.time, track: snapshot(cur) });
      const before = rec.decision?.person ?? (announced ? 'unknown' : undefined);
      await this.decide(rec);
      if (split && rec === cur) {
        rec.id = this.nextId++;
        events.push({ type: 'track-started', time: f.time, track: snapshot(rec) });
      }
      if (!announced && rec === cur && rec.embedded === 1) continue; // reported by its track-started event
      const track = snapshot(rec);
      events.push(
        before !== undefined && before !== track.person
          ? { type: 'track-identified', time: f.time, track, previous: before }
          : { type: 'track-updated', time: f.time, track },
      );
    }
    this.clock('decide', t0, 0);
  }

  private async decide(rec: TrackRecord): Promise<void> {
    const { gallery } = this.opts;
    const embedding = rec.embedding();
    if (!gallery || !this.openSet || !embedding) return;
    const r = await gallery.identifyEmbedding(embedding, this.openSet.threshold, 5);
    const second = r.candidates.find((c) => c.person !== r.person);
    rec.decision = {
      person: r.person,
      distance: r.distance,
      threshold: this.openSet.threshold,
      ...(second ? { second } : {}),
    };
  }

  private async endTrack(rec: TrackRecord): Promise<WatchEvent> {
    const track = snapshot(rec);
    const thumbnail = rec.best ? await chipThumbnail(rec.best.chip) : undefined;
    this.ended.push({
      ...track,
      label: track.person,
      ...(thumbnail ? { thumbnail } : {}),
      ...(rec.best ? { bestTime: rec.best.time } : {}),
      embedding: rec.embedding(),
    });
    if (this.ended.length > this.maxTracks) {
      this.ended.shift();
      this.dropped++;
    }
    return { type: 'track-ended', time: this.lastTime, track };
  }

  /** The source ended: end every track; the ended tracks in start order. */
  async finish(): Promise<{ events: WatchEvent[]; tracks: TrackSummary[] }> {
    const events: WatchEvent[] = [];
    for (const t of this.tracker.flush()) this.lose(t, -Infinity);
    for (const d of this.dormant.splice(0)) events.push(await this.endTrack(d.rec));
    const tracks = [...this.ended].sort((a, b) => a.start - b.start || a.id - b.id);
    return { events, tracks };
  }
}
