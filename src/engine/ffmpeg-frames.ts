/**
 * Pairs ffmpeg's raw RGB output (stdout) with the `showinfo` lines (stderr) that give each frame's pts and size.
 * showinfo logs a frame before the muxer writes its bytes, so frame n's line always comes before its last byte.
 * At most a few frames are buffered: stdout is paused beyond that and ffmpeg waits (bounded memory).
 */
import type { Readable } from 'node:stream';

export interface RawFrame {
  /** Presentation time in seconds, from the container. */
  readonly pts: number;
  readonly width: number;
  readonly height: number;
  /** width × height × 3 bytes, RGB. */
  readonly data: Uint8Array;
}

interface FrameInfo {
  readonly pts: number;
  readonly width: number;
  readonly height: number;
}

const SHOWINFO = /\bn:\s*\d+\s+pts:\s*(\S+)\s+pts_time:\s*(\S+).*?\bs:(\d+)x(\d+)/;

/** The pts (seconds) and size a showinfo line reports, or undefined for any other line. */
export function parseShowinfo(line: string): FrameInfo | undefined {
  if (!line.includes('Parsed_showinfo')) return undefined;
  const m = SHOWINFO.exec(line);
  if (!m) return undefined;
  const t = Number(m[2]);
  return { pts: Number.isFinite(t) ? t : NaN, width: Number(m[3]), height: Number(m[4]) };
}

export class FrameReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private readonly infos: FrameInfo[] = [];
  private ended = false;
  private infoEnded = false;
  /** Bytes of the frame being waited for (a 4K frame is more than highWater). */
  private need = 0;
  private wake?: () => void;
  private lastPts = -Infinity;

  constructor(
    private readonly stdout: Readable,
    /** Bytes buffered before stdout is paused. */
    private readonly highWater = 8 << 20,
  ) {
    stdout.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.buffered += d.length;
      if (this.buffered > Math.max(this.highWater, this.need)) stdout.pause();
      this.notify();
    });
    const end = () => {
      this.ended = true;
      this.notify();
    };
    stdout.on('end', end);
    stdout.on('close', end);
    stdout.on('error', end);
  }

  /** Feed a stderr line; true when it was a showinfo line (consumed). */
  onInfoLine(line: string): boolean {
    const info = parseShowinfo(line);
    if (!info) return false;
    this.infos.push(info);
    this.notify();
    return true;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** Call when stderr has closed: no more showinfo lines will come. */
  endInfo(): void {
    this.infoEnded = true;
    this.notify();
  }

  /** The next whole frame, or undefined at the end (a partial last frame is dropped). */
  async next(): Promise<RawFrame | undefined> {
    for (;;) {
      const info = this.infos[0];
      this.need = info ? info.width * info.height * 3 : 0;
      if (info) {
        const need = this.need;
        if (this.buffered >= need) {
          this.infos.shift();
          return { ...info, pts: this.monotonic(info.pts), data: this.take(need) };
        }
        if (this.ended) return undefined;
      } else if (this.ended && this.infoEnded) return undefined;
      // bytes may run ahead of their info line (stderr is read separately): wait for either
      if (this.stdout.isPaused() && this.buffered <= Math.max(this.highWater, this.need)) this.stdout.resume();
      await this.wait();
    }
  }

  /** A missing pts (NOPTS) continues from the last one; pts never go backwards. */
  private monotonic(pts: number): number {
    const t = Number.isFinite(pts) ? Math.max(pts, this.lastPts) : this.lastPts === -Infinity ? 0 : this.lastPts;
    this.lastPts = t;
    return t;
  }

  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    if (this.stdout.isPaused() && this.buffered <= this.highWater) this.stdout.resume();
    return out;
  }
}
