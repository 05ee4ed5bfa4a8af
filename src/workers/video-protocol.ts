/** Messages between the server and its video worker thread (./video-worker.ts, ./video-client.ts). */
import type { Box } from '../detect/types.js';
import type { TrackSummary } from '../video/events.js';

/** One slice of a video job: watch `input` from `start` for at most `sliceSeconds` of wall-clock time. */
export interface SliceRequest {
  readonly video: string;
  readonly input: string;
  readonly kind: 'file' | 'url';
  /** A URL whose length is known (replayed and skipped to `start` on resume) or a live one (times go on). */
  readonly finite: boolean;
  /** Seconds: frames up to here were decided by earlier slices. */
  readonly start: number;
  readonly sliceSeconds: number;
  readonly far?: number;
  readonly detectEvery?: number;
  readonly fps?: number;
}

export interface SliceResult {
  /** Every track of the slice, ended at its end; ids from 1 (the runner offsets them). */
  readonly tracks: TrackSummary[];
  /** Time of the slice's last frame. */
  readonly time: number;
  readonly frames: number;
  /** The source ended (rather than the slice's time running out). */
  readonly finished: boolean;
  readonly duration?: number;
}

/** A face of one live frame, as the WebSocket sends it. */
export interface LiveFace {
  readonly track: number;
  readonly box: Box;
  readonly person: string;
  readonly distance?: number;
  readonly predicted: boolean;
}

/** A track arriving, changing its name, or leaving. */
export interface LiveEvent {
  readonly event: 'started' | 'identified' | 'ended';
  readonly time: number;
  readonly track: {
    readonly id: number;
    readonly person: string;
    readonly distance?: number;
    readonly threshold?: number;
    readonly start: number;
    readonly end: number;
    readonly box: Box;
  };
}

export interface LiveFrameResult {
  readonly time: number;
  readonly faces: readonly LiveFace[];
  readonly events: readonly LiveEvent[];
}

export type VideoWorkerRequest =
  | { id: number; op: 'stream-start'; session: number; far: number; detectEvery: number }
  | { id: number; op: 'stream-frame'; session: number; jpeg: Uint8Array }
  | { id: number; op: 'stream-end'; session: number }
  | { id: number; op: 'slice'; slice: SliceRequest }
  | { id: number; op: 'slice-stop'; video: string }
  | { id: number; op: 'close' };

export type VideoWorkerMessage =
  | { ready: { modelId: string } }
  | { failed: { code?: string; message: string } }
  | { progress: { video: string; time: number; frames: number; duration?: number } }
  /** Track events of a live session that came after its frame's answer (a view embedded later). */
  | { live: { session: number; events: LiveEvent[] } }
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code?: string; message: string; details?: Record<string, unknown> } };
