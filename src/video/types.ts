/** Frames in: what every video source yields, and the options they share. */
import type { RgbImage } from '../image/types.js';

export interface VideoFrame {
  /** Seconds from the start of the video (container pts) or of the live session. */
  readonly time: number;
  /** 0, 1, 2, … in the order the source delivered them (after sampling). */
  readonly index: number;
  readonly image: RgbImage;
}

/** What a source knows about itself before and while it delivers frames. */
export interface SourceInfo {
  /** The input as the user named it (path, URL, device), or a label for pushed frames. */
  readonly name: string;
  readonly kind: 'file' | 'frames' | 'url' | 'camera' | 'push';
  /** Live sources never end by themselves and may drop frames to keep up. */
  readonly live: boolean;
  /** Seconds, when known (files). */
  readonly duration?: number;
  /** The source's own frame rate, when known. */
  readonly fps?: number;
}

/**
 * A stream of frames. Iterate it once; `close()` stops it early (idempotent). Typed errors (FaceError) end the
 * iteration: VIDEO_CORRUPT, VIDEO_UNSUPPORTED, STREAM_LOST, CAMERA_UNAVAILABLE, TOOL_MISSING.
 */
export interface FrameSource extends AsyncIterable<VideoFrame> {
  readonly info: SourceInfo;
  /** Problems the source recovered from (a damaged stretch of a file, a reconnection), in order, bounded. */
  readonly warnings: readonly string[];
  close(): Promise<void>;
}

/** Options every source takes. */
export interface SourceOptions {
  /** Sample at most this many frames per second (default: every frame). */
  fps?: number;
  /** Skip to this time, seconds (files and frame folders). */
  start?: number;
  /** Stop at this time, seconds (files and frame folders). */
  end?: number;
  /** Shrink frames whose longer side is larger (default DEFAULT_MAX_SIDE; 0 keeps every frame's size). */
  maxSide?: number;
  /** Frame rate of a folder of numbered frames (default 25). */
  frameRate?: number;
  /** Live sources: seconds without a frame before the connection counts as stalled (default 10). */
  stallSeconds?: number;
  /** Live sources: reconnection attempts in a row before STREAM_LOST (default 5). */
  retries?: number;
  /** Live sources: first backoff delay, seconds, doubled each attempt up to 8 s (default 0.5). */
  backoffSeconds?: number;
  /** Files: loop forever and read at the file's own rate, as a live source would deliver it (soak tests). */
  loop?: boolean;
  realtime?: boolean;
}

/** Frames with a longer side above this are shrunk: 4K becomes 1280×720 (a 60 px face stays 20 px). */
export const DEFAULT_MAX_SIDE = 1280;
export const DEFAULT_FRAME_RATE = 25;

/** Extensions read as video files when a folder is given. */
export const VIDEO_EXT = /\.(mp4|m4v|mkv|webm|mov|avi|mpg|mpeg|ts|mts|m2ts|flv|wmv|ogv|3gp|y4m)$/i;
export const FRAME_EXT = /\.(jpe?g|png|webp|bmp|tiff?)$/i;
