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
import type { FaceRecognizer } from '../recognizer.js';
import { faceQuality, fivePointsOf68 } from '../track/quality.js';
import { Tracker, type Track, type TrackDetection, type TrackerOptions } from '../track/tracker.js';
import type { FrameFace, StageTimes, TrackSnapshot, TrackSummary, WatchEvent } from './events.js';
import { TrackRecord, type RecordOptions } from './track-record.js';
import type { VideoFrame } from './types.js';

/** The parts of FaceRecognizer video uses. */
export type VideoRecognizer = Pick<FaceRecognizer, 'detectBoxes' | 'locate' | 'faceChips' | 'embedder' | 'flip'>;

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
}

const snapshot = (r: TrackRecord): TrackSnapshot => ({
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

export class VideoSession {
  private readonly tracker: Tracker;
  private readonly records = new Map<Track, TrackRecord>();
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
      improvement: opts.improvement ?? 1.15,
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
    for (const t of step.confirmed) {
      const rec = new TrackRecord(t, this.recordOpts);
      rec.frames = t.hits - 1; // the detections before confirmation (this frame's is counted below)
      this.records.set(t, rec);
    }
    const wanted: { rec: TrackRecord; det: TrackDetection; quality: number }[] = [];
    for (const t of step.matched) {
      const rec = this.records.get(t);
      if (!rec || !t.detection) continue;
      rec.frames++;
      rec.end = f.time;
      rec.box = t.detection.box;
      const q = faceQuality(f.image, t.detection.box, t.detection.score, t.detection.points).quality;
      if (rec.wants(q, f.time)) wanted.push({ rec, det: t.detection, quality: q });
    }
    this.clock('track', t0, 0);
    if (wanted.length) await this.embedViews(f, wanted, events);
    for (const t of step.confirmed) events.push({ type: 'track-started', time: f.time, track: snapshot(this.records.get(t)!) });
    for (const t of step.ended) events.push(await this.endTrack(t));
    events.push({ type: 'frame', time: f.time, index: f.index, frame: f, faces: this.faces(), detected: detect });
    return events;
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
      });
    }
    return out;
  }

  /** Locate, align and embed the wanted views in one batch; update each track's decision. */
  private async embedViews(
    f: VideoFrame,
    wanted: readonly { rec: TrackRecord; det: TrackDetection; quality: number }[],
    events: WatchEvent[],
  ): Promise<void> {
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
      const quality = faceQuality(f.image, w.det.box, w.det.score, points).quality;
      w.rec.addView({ quality, embedding: embeddings[i], time: f.time }, sets[i][0], w.det.box);
      const before = w.rec.decision?.person;
      await this.decide(w.rec);
      if (w.rec.embedded === 1) continue; // reported by its track-started event
      const track = snapshot(w.rec);
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
    rec.decision = { person: r.person, distance: r.distance, threshold: this.openSet.threshold, ...(second ? { second } : {}) };
  }

  private async endTrack(t: Track): Promise<WatchEvent> {
    const rec = this.records.get(t)!;
    this.records.delete(t);
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
    for (const t of this.tracker.flush()) events.push(await this.endTrack(t));
    const tracks = [...this.ended].sort((a, b) => a.start - b.start || a.id - b.id);
    return { events, tracks };
  }
}
