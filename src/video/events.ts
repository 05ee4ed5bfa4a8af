/** What `watch()` reports: typed events while the video plays, and the result at the end. */
import type { Box } from '../detect/types.js';
import type { OpenSetInfo } from '../gallery/decision-results.js';
import type { SourceInfo, VideoFrame } from './types.js';

/** A track as it stands at an event. */
export interface TrackSnapshot {
  readonly id: number;
  /** The current decision: an enrolled person, or 'unknown' (also before a view is embedded, and without a gallery). */
  readonly person: string | 'unknown';
  /** Distance of the track's embedding to the nearest enrolled person; absent without a gallery or a view. */
  readonly distance?: number;
  /** The open-set threshold τ the decision was made at. */
  readonly threshold?: number;
  /** First and last time the face was detected, seconds. */
  readonly start: number;
  readonly end: number;
  /** The intervals it was on screen: more than one when it left (or was hidden) and was re-identified on return. */
  readonly segments: readonly { readonly start: number; readonly end: number }[];
  readonly box: Box;
  /** Frames the face was detected in. */
  readonly frames: number;
  /** Views embedded (the best few frames, not every one). */
  readonly views: number;
  /** Quality of the best view, in [0, 1]. */
  readonly quality: number;
}

/** One face in one frame: what a live overlay draws. */
export interface FrameFace {
  readonly track: number;
  readonly box: Box;
  readonly person: string | 'unknown';
  readonly distance?: number;
  /** The box is the tracker's prediction (no detection ran or found this face in this frame). */
  readonly predicted: boolean;
  /** When the face was last detected, seconds (a prediction long after it is a guess). */
  readonly seen: number;
}

/** A track at the end of the run, with its label and thumbnail. */
export interface TrackSummary extends TrackSnapshot {
  /** The person, or `unknown N` with N the unknown group (one stranger is one group across their tracks). */
  readonly label: string;
  /** The unknown group (a cluster state group id: `facenet name N PERSON` enrolls it); absent for known people. */
  readonly group?: number;
  /** JPEG of the best view's aligned chip. */
  readonly thumbnail?: Uint8Array;
  /** Time of the best view, seconds. */
  readonly bestTime?: number;
  /** The track's embedding (quality-weighted mean of its views). */
  readonly embedding?: Float32Array;
}

/** Seconds spent per stage over the run (where the time goes). */
export interface StageTimes {
  decode: number;
  detect: number;
  /** Tracking and per-view quality. */
  track: number;
  /** Landmarks and alignment of the views embedded. */
  align: number;
  embed: number;
  decide: number;
}

export interface WatchResult {
  readonly source: SourceInfo;
  readonly frames: number;
  /** Frames the detector ran on. */
  readonly detections: number;
  /** Time of the last frame, seconds. */
  readonly duration: number;
  /** Wall-clock seconds of the run. */
  readonly seconds: number;
  readonly tracks: readonly TrackSummary[];
  /** Tracks dropped from `tracks` past `maxTracks` (endless streams), oldest first. */
  readonly tracksDropped: number;
  readonly openSet?: OpenSetInfo;
  readonly warnings: readonly string[];
  readonly times: StageTimes;
}

export type WatchEvent =
  | { readonly type: 'track-started'; readonly time: number; readonly track: TrackSnapshot }
  | { readonly type: 'track-updated'; readonly time: number; readonly track: TrackSnapshot }
  | {
      readonly type: 'track-identified';
      readonly time: number;
      readonly track: TrackSnapshot;
      readonly previous: string | 'unknown';
    }
  | { readonly type: 'track-ended'; readonly time: number; readonly track: TrackSnapshot }
  | {
      readonly type: 'frame';
      readonly time: number;
      readonly index: number;
      /** The frame itself (not copied): for drawing; do not keep it. */
      readonly frame: VideoFrame;
      readonly faces: readonly FrameFace[];
      /** Whether the detector ran on this frame. */
      readonly detected: boolean;
    }
  | { readonly type: 'progress'; readonly time: number; readonly frames: number; readonly duration?: number }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'done'; readonly result: WatchResult };
