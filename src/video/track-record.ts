/**
 * What a track remembers for recognition: its few best views (top-K by quality), each embedded once, their
 * quality-weighted mean (the track's embedding), the current decision and the best chip for the thumbnail.
 * Bounded: K embeddings and one chip per track, whatever the track's length. Once full, a view is still embedded
 * every checkSeconds (kept only if better): a check that the face is still the same person (a hard cut).
 */
import type { Box } from '../detect/types.js';
import { distance } from '../embed/vector.js';
import type { RgbImage } from '../image/types.js';
import type { Track } from '../track/tracker.js';

export interface TrackView {
  readonly quality: number;
  readonly embedding: Float32Array;
  readonly time: number;
}

export interface TrackDecision {
  readonly person: string | 'unknown';
  /** Distance of the track's embedding to the nearest enrolled person (Infinity for an empty gallery). */
  readonly distance: number;
  readonly threshold: number;
  /** The nearest other candidate, for reports. */
  readonly second?: { readonly person: string; readonly distance: number };
}

export interface RecordOptions {
  /** Views embedded and kept per track (default 5). */
  views: number;
  /** Seconds between two embeddings of one track (default 0.2): views spread over time, not 5 neighbours. */
  gapSeconds: number;
  /** Once the views are full, seconds between two more (default 0.5): kept if better, else a same-person check. */
  checkSeconds: number;
}

/** Most on-screen intervals kept per track; older ones merge (a face that comes and goes all day). */
const MAX_SEGMENTS = 50;

export class TrackRecord {
  readonly views: TrackView[] = [];
  /** Intervals the face was on screen: one, plus one per return after leaving (re-identified). */
  readonly segments: { start: number; end: number }[] = [];
  decision?: TrackDecision;
  /** Detections of this track. */
  frames = 0;
  start: number;
  end: number;
  box: Box;
  best?: { quality: number; chip: RgbImage; time: number; box: Box };
  private lastEmbed = -Infinity;
  /** The last embedded view and the detections until then: the last moment known to be this face. */
  private lastView = { time: -Infinity, frames: 0 };
  /** Embeddings computed for this track (≥ views.length: replaced views count too). */
  embedded = 0;
  /** Frontality of the last view embedded (for packs whose detector gives no points, known only after aligning). */
  frontality = 1;

  constructor(
    /** The public id (the session's, dense, never reused; given when the track is reported). */
    public id: number,
    /** The tracker's track it follows now (another one after a re-identification). */
    public track: Track,
    private readonly opts: RecordOptions,
    /** When it starts: the track's first detection, or a later one (a split-off record). */
    start = track.firstTime,
  ) {
    this.start = start;
    this.end = track.lastTime;
    this.box = track.box;
    this.segments.push({ start: this.start, end: this.end });
  }

  /** The face was detected at `time` in `box`. */
  seen(time: number, box: Box): void {
    this.frames++;
    this.end = time;
    this.box = box;
    this.segments[this.segments.length - 1].end = time;
  }

  /** The face came back as `track` (re-identified by its embedding): a new on-screen interval. */
  resume(track: Track): void {
    this.track = track;
    this.segments.push({ start: track.firstTime, end: track.lastTime });
    if (this.segments.length > MAX_SEGMENTS)
      this.segments.splice(0, 2, { start: this.segments[0].start, end: this.segments[1].end });
  }

  /** Whether a view at this time is worth embedding. */
  wants(time: number): boolean {
    if (!this.views.length) return true;
    const full = this.views.length >= this.opts.views;
    return time - this.lastEmbed >= (full ? this.opts.checkSeconds : this.opts.gapSeconds);
  }

  /** The face now is someone else (a hard cut): the record ends at its last view, the last moment known to be it. */
  endAtLastView(): void {
    this.frames = this.lastView.frames;
    this.end = this.lastView.time;
    this.segments[this.segments.length - 1].end = this.end;
  }

  /**
   * How far an embedding is from this face: from the nearest of the kept views and their mean (a pose seen before
   * counts as the same face). Infinity before the first view.
   */
  distanceTo(e: Float32Array): number {
    const mean = this.embedding();
    let d = mean ? distance(e, mean) : Infinity;
    for (const v of this.views) d = Math.min(d, distance(e, v.embedding));
    return d;
  }

  /** Keep a view (the K best, best first) and remember the best chip. */
  addView(view: TrackView, chip: RgbImage, box: Box): void {
    this.lastEmbed = view.time;
    this.lastView = { time: view.time, frames: this.frames };
    this.embedded++;
    this.views.push(view);
    this.views.sort((a, b) => b.quality - a.quality);
    if (this.views.length > this.opts.views) this.views.length = this.opts.views;
    if (!this.best || view.quality > this.best.quality)
      this.best = { quality: view.quality, chip, time: view.time, box };
  }

  /** Quality-weighted mean of the kept views' embeddings, L2-normalised (undefined before the first view). */
  embedding(): Float32Array | undefined {
    if (!this.views.length) return undefined;
    const out = new Float32Array(this.views[0].embedding.length);
    for (const v of this.views) {
      const w = Math.max(1e-6, v.quality);
      for (let i = 0; i < out.length; i++) out[i] += w * v.embedding[i];
    }
    let n = 0;
    for (const x of out) n += x * x;
    n = Math.sqrt(n) || 1;
    for (let i = 0; i < out.length; i++) out[i] /= n;
    return out;
  }
}
