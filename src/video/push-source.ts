/**
 * Frames a program pushes itself (a WebSocket from a page's camera, a capture library): `push()` each frame,
 * `end()` when done, and hand the source to `watch()`. The queue is short and drops the oldest frame when the
 * consumer falls behind, so a live feed is answered about its newest frame, never minutes late; `dropped` counts them.
 */
import { FaceError } from '../errors.js';
import { isRgbImage, type RgbImage } from '../image/types.js';
import type { FrameSource, SourceInfo, VideoFrame } from './types.js';

export interface PushSourceOptions {
  /** Label for reports (default "pushed frames"). */
  name?: string;
  /** Frames waiting before the oldest is dropped (default 2). */
  capacity?: number;
}

export class PushFrameSource implements FrameSource {
  readonly info: SourceInfo;
  private readonly queue: VideoFrame[] = [];
  private readonly capacity: number;
  private ended = false;
  private failure?: Error;
  private wake?: () => void;
  private index = 0;
  private readonly t0 = performance.now();
  private lastTime = -Infinity;
  /** Frames dropped because the consumer was busy. */
  dropped = 0;

  constructor(opts: PushSourceOptions = {}) {
    this.info = { name: opts.name ?? 'pushed frames', kind: 'push', live: true };
    this.capacity = Math.max(1, opts.capacity ?? 2);
  }

  get warnings(): readonly string[] {
    return this.dropped ? [`${this.dropped} frames dropped while busy`] : [];
  }

  /**
   * Queue one frame. `time` (seconds) defaults to the time since the source was made; times must not go backwards.
   * Returns false when the source has ended. INVALID_INPUT for something that is not an RGB frame.
   */
  push(image: RgbImage, time?: number): boolean {
    if (this.ended) return false;
    if (
      !isRgbImage(image) ||
      image.data.length !== image.width * image.height * 3 ||
      !(image.width > 0 && image.height > 0)
    )
      throw new FaceError(
        'INVALID_INPUT',
        'a pushed frame must be { width, height, data } with 3 bytes (RGB) per pixel',
      );
    const t = time ?? (performance.now() - this.t0) / 1000;
    if (!Number.isFinite(t) || t < this.lastTime)
      throw new FaceError(
        'INVALID_INPUT',
        `frame times must be finite and never go backwards (got ${t} after ${this.lastTime})`,
      );
    this.lastTime = t;
    this.queue.push({ time: t, index: this.index++, image });
    while (this.queue.length > this.capacity) {
      this.queue.shift();
      this.dropped++;
    }
    this.notify();
    return true;
  }

  /** No more frames: the iteration ends after the queued ones. With an error, it ends by throwing it. */
  end(error?: Error): void {
    this.ended = true;
    this.failure = error;
    this.notify();
  }

  async close(): Promise<void> {
    this.queue.length = 0;
    this.end();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<VideoFrame> {
    for (;;) {
      const f = this.queue.shift();
      if (f) {
        yield f;
        continue;
      }
      if (this.ended) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
