/**
 * A folder of numbered frames (frame_0001.jpg, 2.png, …), read in numeric order with the image decoder; a folder has
 * no container, so frame i is at i / frameRate seconds (default 25 fps). A frame that cannot be decoded is skipped
 * and reported in `warnings`; none at all is VIDEO_CORRUPT.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { FaceError } from '../errors.js';
import { decodeImage } from '../image/decode.js';
import { shrinkArea } from '../image/transform.js';
import type { RgbImage } from '../image/types.js';
import { checkRange } from './file-source.js';
import {
  DEFAULT_FRAME_RATE,
  DEFAULT_MAX_SIDE,
  FRAME_EXT,
  type FrameSource,
  type SourceInfo,
  type SourceOptions,
  type VideoFrame,
} from './types.js';

const collator = new Intl.Collator('en', { numeric: true });

/** Image files of a folder in numeric order (frame2 before frame10); hidden files ignored. */
export function numberedFrames(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.') && FRAME_EXT.test(e.name))
    .map((e) => e.name)
    .sort(collator.compare)
    .map((n) => path.join(dir, n));
}

/** Shrink so the longer side is at most maxSide (area average); smaller images are returned as they are. */
export function fitInside(img: RgbImage, maxSide: number): RgbImage {
  const long = Math.max(img.width, img.height);
  if (!maxSide || long <= maxSide) return img;
  const k = maxSide / long;
  return shrinkArea(img, Math.max(1, Math.round(img.width * k)), Math.max(1, Math.round(img.height * k)));
}

export class FrameFolderSource implements FrameSource {
  readonly info: SourceInfo;
  private readonly notes: string[] = [];
  private closed = false;

  constructor(
    private readonly files: readonly string[],
    dir: string,
    private readonly opts: SourceOptions = {},
  ) {
    checkRange(opts);
    const rate = opts.frameRate ?? DEFAULT_FRAME_RATE;
    if (!(rate > 0)) throw new FaceError('INVALID_INPUT', `frame rate must be > 0, got ${rate}`);
    const end = Math.min(opts.end ?? Infinity, files.length / rate);
    this.info = { name: dir, kind: 'frames', live: false, duration: end - (opts.start ?? 0), fps: rate };
  }

  get warnings(): readonly string[] {
    return this.notes;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<VideoFrame> {
    const rate = this.info.fps!;
    const { start = 0, end = Infinity, fps } = this.opts;
    let index = 0;
    let lastSlot = -1;
    for (let i = Math.ceil(start * rate - 1e-9); i < this.files.length && !this.closed; i++) {
      const time = i / rate;
      if (time >= end) break;
      if (fps) {
        const slot = Math.floor(time * fps);
        if (slot === lastSlot) continue;
        lastSlot = slot;
      }
      let image: RgbImage;
      try {
        image = await decodeImage(this.files[i]);
      } catch (e) {
        if (!(e instanceof FaceError)) throw e;
        if (this.notes.length < 20) this.notes.push(`${this.files[i]}: ${e.message}; skipped`);
        continue;
      }
      yield { time, index: index++, image: fitInside(image, this.opts.maxSide ?? DEFAULT_MAX_SIDE) };
    }
    if (index === 0 && !this.closed)
      throw new FaceError('VIDEO_CORRUPT', `${this.info.name}: no frame could be decoded`, { source: this.info.name });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
