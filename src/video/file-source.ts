/**
 * A video file decoded by ffmpeg (src/engine/ffmpeg.ts): probed first (no video stream, unreadable → typed error
 * before any work), then read frame by frame. A file damaged part-way is read up to the damage and ends cleanly,
 * the damage reported in `warnings`; a file with no decodable frame at all is VIDEO_CORRUPT.
 */
import { existsSync, statSync } from 'node:fs';
import { decodeVideo, probeVideo, type FfmpegDecode } from '../engine/ffmpeg.js';
import { FaceError } from '../errors.js';
import { DEFAULT_MAX_SIDE, type FrameSource, type SourceInfo, type SourceOptions, type VideoFrame } from './types.js';

export class FileSource implements FrameSource {
  private decode?: FfmpegDecode;
  private closed = false;
  private readonly notes: string[] = [];

  private constructor(
    readonly info: SourceInfo,
    private readonly opts: SourceOptions,
  ) {}

  /** Probe `file`: VIDEO_NOT_FOUND, VIDEO_UNSUPPORTED, VIDEO_CORRUPT or TOOL_MISSING before any frame is read. */
  static async open(file: string, opts: SourceOptions = {}): Promise<FileSource> {
    if (!existsSync(file)) throw new FaceError('VIDEO_NOT_FOUND', `${file} does not exist`, { source: file });
    const st = statSync(file);
    if (!st.isFile()) throw new FaceError('VIDEO_UNSUPPORTED', `${file} is not a file`, { source: file });
    if (st.size === 0) throw new FaceError('VIDEO_CORRUPT', `${file} is empty`, { source: file });
    const probe = await probeVideo(file);
    checkRange(opts, probe.duration);
    const end = Math.min(opts.end ?? Infinity, probe.duration ?? Infinity);
    const duration = Number.isFinite(end) ? end - (opts.start ?? 0) : undefined;
    return new FileSource({ name: file, kind: 'file', live: false, duration, fps: probe.fps }, opts);
  }

  get warnings(): readonly string[] {
    return [...this.notes, ...(this.decode?.warnings ?? [])];
  }

  async *[Symbol.asyncIterator](): AsyncIterator<VideoFrame> {
    if (this.closed) return;
    const o = this.opts;
    this.decode = decodeVideo({
      input: this.info.name,
      start: o.start,
      end: o.end,
      fps: o.fps,
      maxSide: o.maxSide ?? DEFAULT_MAX_SIDE,
      loop: o.loop,
      realtime: o.realtime,
    });
    let index = 0;
    try {
      for await (const f of this.decode) {
        yield {
          time: f.pts + (o.start ?? 0),
          index: index++,
          image: { width: f.width, height: f.height, data: f.data },
        };
      }
    } catch (e) {
      // damage after some frames: what was read stands, the rest is reported (nothing is lost)
      if (!(e instanceof FaceError) || index === 0 || e.code === 'TOOL_MISSING') throw e;
      this.notes.push(`stopped after ${index} frames: ${e.message}`);
    } finally {
      this.decode.close();
    }
    if (index === 0 && !this.closed && this.decode.warnings.length)
      throw new FaceError(
        'VIDEO_CORRUPT',
        `${this.info.name}: no frame could be decoded (${this.decode.warnings[0]})`,
        {
          source: this.info.name,
        },
      );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.decode?.close();
  }
}

/** --start/--end: numbers, start < end, start inside the video. */
export function checkRange(opts: Pick<SourceOptions, 'start' | 'end'>, duration?: number): void {
  const { start, end } = opts;
  if (start !== undefined && !(start >= 0))
    throw new FaceError('INVALID_INPUT', `start must be a time ≥ 0 s, got ${start}`);
  if (end !== undefined && !(end > (start ?? 0)))
    throw new FaceError('INVALID_INPUT', `end (${end} s) must be after start (${start ?? 0} s)`);
  if (start !== undefined && duration !== undefined && start >= duration)
    throw new FaceError('INVALID_INPUT', `start ${start} s is past the end of the video (${duration.toFixed(2)} s)`);
}
