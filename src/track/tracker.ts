/**
 * Multi-face tracking by detection: each face is a track with a constant-velocity Kalman filter on its box; every
 * detection frame, detections are assigned to the tracks' predicted boxes by the Hungarian algorithm (munkres) on
 * a cost of box overlap and centre distance, gated so that far or differently sized boxes never pair. A track is
 * confirmed (and gets its id) after `minHits` detections in a row, survives `maxMissSeconds` without one (an
 * occlusion, a missed detection) on its prediction, then ends. Ids are dense and never reused. Between detection
 * frames the tracks only move along their prediction. Memory: the live tracks only; ended ones are handed back.
 */
import { munkres } from 'munkres';
import type { Box, Point } from '../detect/types.js';
import { centreDistance, iou } from './box.js';
import { BoxFilter } from './kalman.js';

export interface TrackDetection {
  readonly box: Box;
  readonly score: number;
  readonly points?: readonly Point[];
}

export interface TrackerOptions {
  /** Least overlap (IoU) of a detection with a track's predicted box to pair them (default 0.1)… */
  minIou?: number;
  /** …or a centre within this many face sizes of the prediction, for fast motion (default 0.6). */
  maxCentreDistance?: number;
  /** How long a track lives on its prediction without a detection, seconds (default 1). */
  maxMissSeconds?: number;
  /** Detections in a row before a track is confirmed and reported (default 2). */
  minHits?: number;
}

export class Track {
  /** 0 while tentative; the public id from confirmation on. */
  id = 0;
  readonly filter: BoxFilter;
  hits = 1;
  /** Consecutive detection frames this track was not detected in. */
  misses = 0;
  readonly firstTime: number;
  /** Time of the last detection. */
  lastTime: number;
  /** The detection of the current frame, when it had one. */
  detection?: TrackDetection;

  constructor(d: TrackDetection, time: number) {
    this.filter = new BoxFilter(d.box);
    this.firstTime = time;
    this.lastTime = time;
    this.detection = d;
  }

  get confirmed(): boolean {
    return this.id > 0;
  }

  /** The box now: the detection's when there is one this frame, else the prediction. */
  get box(): Box {
    return this.detection?.box ?? this.filter.box;
  }
}

export interface TrackStep {
  /** Tracks (confirmed or not) with a detection in this frame. */
  readonly matched: readonly Track[];
  /** Tracks confirmed in this frame (their id was just given). */
  readonly confirmed: readonly Track[];
  /** Confirmed tracks that ended in this frame. */
  readonly ended: readonly Track[];
}

const FORBIDDEN = 1e6;

export class Tracker {
  private tracks: Track[] = [];
  private nextId = 1;
  private time?: number;
  private readonly minIou: number;
  private readonly maxCentre: number;
  private readonly maxMiss: number;
  private readonly minHits: number;

  constructor(opts: TrackerOptions = {}) {
    this.minIou = opts.minIou ?? 0.1;
    this.maxCentre = opts.maxCentreDistance ?? 0.6;
    this.maxMiss = opts.maxMissSeconds ?? 1;
    this.minHits = Math.max(1, opts.minHits ?? 2);
  }

  /** Live tracks, confirmed and tentative. */
  get active(): readonly Track[] {
    return this.tracks;
  }

  private advance(time: number): void {
    const dt = this.time === undefined ? 0 : time - this.time;
    this.time = time;
    for (const t of this.tracks) {
      t.detection = undefined;
      t.filter.predict(dt);
    }
  }

  /** The association cost of a track's prediction and a detection; FORBIDDEN outside the gates. */
  private cost(t: Track, d: TrackDetection): number {
    const p = t.filter.box;
    const ratio = Math.max(p.width, d.box.width) / Math.max(1, Math.min(p.width, d.box.width));
    if (ratio > 2) return FORBIDDEN;
    const overlap = iou(p, d.box);
    const dist = centreDistance(p, d.box);
    if (overlap < this.minIou && dist > this.maxCentre) return FORBIDDEN;
    return 1 - overlap + 0.5 * dist;
  }

  /** A frame without detection: tracks move on their prediction; those missing too long end. */
  predict(time: number): TrackStep {
    this.advance(time);
    return { matched: [], confirmed: [], ended: this.expire(time) };
  }

  /** A detection frame: pair, update, confirm, start and end tracks. */
  update(detections: readonly TrackDetection[], time: number): TrackStep {
    this.advance(time);
    const tracks = this.tracks;
    const pairs =
      tracks.length && detections.length
        ? munkres(tracks.map((t) => detections.map((d) => this.cost(t, d)))).filter(
            ([i, j]) => this.cost(tracks[i], detections[j]) < FORBIDDEN,
          )
        : [];
    const used = new Set<number>();
    const matched: Track[] = [];
    const confirmed: Track[] = [];
    for (const [i, j] of pairs) {
      const t = tracks[i];
      const d = detections[j];
      used.add(j);
      t.filter.update(d.box);
      t.detection = d;
      t.lastTime = time;
      t.hits++;
      t.misses = 0;
      matched.push(t);
      if (!t.confirmed && t.hits >= this.minHits) {
        t.id = this.nextId++;
        confirmed.push(t);
      }
    }
    for (const t of tracks) if (!t.detection) t.misses++;
    // a tentative track that misses a detection was noise
    this.tracks = tracks.filter((t) => t.confirmed || t.misses === 0);
    detections.forEach((d, j) => {
      if (used.has(j)) return;
      const t = new Track(d, time);
      if (this.minHits <= 1) {
        t.id = this.nextId++;
        confirmed.push(t);
      }
      this.tracks.push(t);
      matched.push(t);
    });
    return { matched, confirmed, ended: this.expire(time) };
  }

  private expire(time: number): Track[] {
    const ended = this.tracks.filter((t) => t.confirmed && !t.detection && time - t.lastTime > this.maxMiss);
    if (ended.length) this.tracks = this.tracks.filter((t) => !ended.includes(t));
    return ended;
  }

  /** End every track (the source ended): the confirmed ones are returned. */
  flush(): Track[] {
    const ended = this.tracks.filter((t) => t.confirmed);
    this.tracks = [];
    return ended;
  }
}
