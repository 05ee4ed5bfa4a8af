/**
 * Live sources: a stream URL (rtsp://, rtmp://, http(s) MJPEG, MPEG-TS or HLS, srt://, udp://) or a local camera
 * (v4l2 /dev/videoN), decoded by ffmpeg. A stream that stalls (no frame for `stallSeconds`) or disconnects is
 * reopened with exponential backoff; after `retries` failed attempts in a row it is STREAM_LOST. A first connection
 * that answers something that is not video (a web page, a 404, a busy camera) fails at once with its own error.
 * Times are seconds since the session started, continuing across reconnections (each connection's pts, offset).
 * A URL whose length ffmpeg knows (a file served over HTTP, a finished HLS playlist) ends normally at its end.
 */
import { existsSync } from 'node:fs';
import { decodeVideo, type FfmpegDecode } from '../engine/ffmpeg.js';
import { FaceError } from '../errors.js';
import { DEFAULT_MAX_SIDE, type FrameSource, type SourceInfo, type SourceOptions, type VideoFrame } from './types.js';

export const DEFAULT_STALL_SECONDS = 10;
export const DEFAULT_RETRIES = 5;
export const DEFAULT_BACKOFF_SECONDS = 0.5;
const MAX_BACKOFF_SECONDS = 8;

/** ffmpeg input options for a live input: TCP for RTSP, a read timeout for network protocols, v4l2 for a device. */
export function liveInputArgs(input: string, kind: 'url' | 'camera', stallSeconds: number): string[] {
  if (kind === 'camera') return ['-f', 'v4l2'];
  const args: string[] = []; // (-fflags nobuffer made ffmpeg 5.1 drop every frame of MPEG-TS over HTTP)
  if (/^rtsps?:/i.test(input)) args.push('-rtsp_transport', 'tcp');
  else if (/^(https?|rtmp|tcp):/i.test(input)) args.push('-rw_timeout', String(Math.round(stallSeconds * 1e6)));
  return args;
}

export class LiveSource implements FrameSource {
  readonly info: SourceInfo;
  private readonly notes: string[] = [];
  private decode?: FfmpegDecode;
  private closed = false;
  private wakeUp?: () => void;
  /** Connections opened after the first one. */
  reconnections = 0;

  constructor(
    input: string,
    kind: 'url' | 'camera',
    private readonly opts: SourceOptions = {},
  ) {
    if (kind === 'camera' && !existsSync(input))
      throw new FaceError('CAMERA_UNAVAILABLE', `no camera at ${input} (is it plugged in? \`ls /dev/video*\`)`, {
        source: input,
        reason: 'missing',
      });
    this.info = { name: input, kind, live: true };
  }

  get warnings(): readonly string[] {
    return this.notes;
  }

  private note(s: string): void {
    this.notes.push(s);
    if (this.notes.length > 50) this.notes.splice(0, this.notes.length - 50);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<VideoFrame> {
    const stall = this.opts.stallSeconds ?? DEFAULT_STALL_SECONDS;
    const retries = this.opts.retries ?? DEFAULT_RETRIES;
    const t0 = performance.now();
    let index = 0;
    let lastTime = -Infinity;
    let failures = 0;
    for (let connection = 0; !this.closed; connection++) {
      let got = 0;
      let firstPts = 0;
      let base = 0;
      let stalled = false;
      let reason = 'the stream ended';
      const decode = decodeVideo({
        input: this.info.name,
        inputArgs: liveInputArgs(this.info.name, this.info.kind as 'url' | 'camera', stall),
        fps: this.opts.fps,
        maxSide: this.opts.maxSide ?? DEFAULT_MAX_SIDE,
        loop: this.opts.loop,
        realtime: this.opts.realtime,
      });
      this.decode = decode;
      let watchdog = setTimeout(() => ((stalled = true), decode.close()), stall * 1000);
      try {
        for await (const f of decode) {
          clearTimeout(watchdog);
          watchdog = setTimeout(() => ((stalled = true), decode.close()), stall * 1000);
          if (got++ === 0) {
            firstPts = f.pts;
            // a reconnection continues the clock: never before the last frame, at least the time that passed
            base = Math.max((performance.now() - t0) / 1000, lastTime + 1e-3);
            if (index === 0) base = 0;
          }
          failures = 0;
          lastTime = base + (f.pts - firstPts);
          yield { time: lastTime, index: index++, image: { width: f.width, height: f.height, data: f.data } };
        }
        if (stalled) reason = `no frame for ${stall} s`;
        // a stream with a known length (a file or a finished HLS playlist served over HTTP) ends when it is done
        else if (decode.duration !== undefined && got > 0) return;
      } catch (e) {
        if (!(e instanceof FaceError)) throw e;
        // the first answer is not video at all (web page, 404, busy camera): retrying cannot help
        if (index === 0 && got === 0 && e.code !== 'STREAM_LOST') throw e;
        reason = e.message;
      } finally {
        clearTimeout(watchdog);
        decode.close();
      }
      if (this.closed) return;
      if (++failures > retries)
        throw new FaceError(
          'STREAM_LOST',
          `${this.info.name}: lost after ${retries} reconnection attempts (${reason})`,
          { source: this.info.name, retries, reason },
        );
      const delay = Math.min(
        MAX_BACKOFF_SECONDS,
        (this.opts.backoffSeconds ?? DEFAULT_BACKOFF_SECONDS) * 2 ** (failures - 1),
      );
      this.note(`${reason}; reconnecting in ${delay.toFixed(1)} s (attempt ${failures} of ${retries})`);
      this.reconnections++;
      await this.sleep(delay);
    }
  }

  private sleep(seconds: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, seconds * 1000);
      this.wakeUp = () => (clearTimeout(t), resolve());
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.decode?.close();
    this.wakeUp?.();
  }
}
