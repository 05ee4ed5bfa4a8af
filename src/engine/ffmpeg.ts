/**
 * ffmpeg behind a small interface: the only module that starts ffmpeg or ffprobe. Video is decoded by an ffmpeg child
 * process into raw RGB frames on its stdout; each frame's container timestamp (pts) comes from the `showinfo` filter
 * on its stderr, so times are the video's own, never frame counts. Encoding (annotated output) is the reverse pipe.
 * A missing ffmpeg is TOOL_MISSING with how to install it; nothing is ever downloaded.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { FaceError } from '../errors.js';
import { FrameReader, type RawFrame } from './ffmpeg-frames.js';
import { classifyFfmpegError } from './ffmpeg-errors.js';

export { classifyFfmpegError, type FfmpegFailure } from './ffmpeg-errors.js';
export type { RawFrame } from './ffmpeg-frames.js';

export const INSTALL_HINT =
  'install it with `apt-get install ffmpeg` (Debian, Ubuntu), `brew install ffmpeg` (macOS) or `choco install ffmpeg`' +
  ' (Windows), or set FACENET_FFMPEG to the ffmpeg binary';

interface Tool {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  readonly major: number;
}
let tool: Tool | undefined;

/** ffmpeg and ffprobe, checked once per process; TOOL_MISSING when absent. */
export function ffmpegTool(): Tool {
  if (tool) return tool;
  const ffmpeg = process.env.FACENET_FFMPEG || 'ffmpeg';
  const ffprobe =
    process.env.FACENET_FFPROBE || (ffmpeg === 'ffmpeg' ? 'ffprobe' : ffmpeg.replace(/ffmpeg$/, 'ffprobe'));
  const run = (bin: string) => spawnSync(bin, ['-version'], { encoding: 'utf8', timeout: 10_000 });
  const v = run(ffmpeg);
  if (v.error || v.status !== 0)
    throw new FaceError('TOOL_MISSING', `video needs ffmpeg, which was not found (${ffmpeg}): ${INSTALL_HINT}`, {
      tool: 'ffmpeg',
    });
  const p = run(ffprobe);
  if (p.error || p.status !== 0)
    throw new FaceError(
      'TOOL_MISSING',
      `video needs ffprobe (part of ffmpeg), not found (${ffprobe}): ${INSTALL_HINT}`,
      {
        tool: 'ffprobe',
      },
    );
  const major = Number(/version n?(\d+)/.exec(v.stdout)?.[1] ?? 5);
  tool = { ffmpeg, ffprobe, major };
  return tool;
}

/**
 * The input as ffmpeg must read it: a URL or device as it is; a local path as `file:` + its absolute path, so that
 * a file named "-x.mp4" is not an option and one named "concat:a|b" or "subfile,,…" is not a protocol.
 */
export function ffmpegInput(input: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input) || /^\/dev\//.test(input)) return input;
  return `file:${path.resolve(input)}`;
}

/** What ffprobe says of a file's first video stream. */
export interface VideoProbe {
  readonly width: number;
  readonly height: number;
  /** Seconds, when the container says. */
  readonly duration?: number;
  /** Average frame rate, when known. */
  readonly fps?: number;
  readonly codec: string;
  readonly format: string;
}

const rate = (r: string | undefined) => {
  const [a, b] = (r ?? '').split('/').map(Number);
  return a > 0 && b > 0 ? a / b : undefined;
};

/** Probe a video file or URL: VIDEO_UNSUPPORTED when it has no video stream, VIDEO_CORRUPT when unreadable. */
export async function probeVideo(input: string, timeoutMs = 30_000): Promise<VideoProbe> {
  const label = input;
  input = ffmpegInput(input);
  const { ffprobe } = ffmpegTool();
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-select_streams', 'v:0'];
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(ffprobe, [...args, input], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  if (out.code !== 0) throw classifyFfmpegError(out.stderr, { input: label, frames: 0 }).error;
  const json = JSON.parse(out.stdout || '{}') as {
    streams?: { width?: number; height?: number; codec_name?: string; avg_frame_rate?: string; duration?: string }[];
    format?: { duration?: string; format_name?: string };
  };
  const s = json.streams?.[0];
  if (!s || !s.width || !s.height)
    throw new FaceError('VIDEO_UNSUPPORTED', `${label} has no video stream`, { source: label });
  const duration = Number(json.format?.duration ?? s.duration);
  return {
    width: s.width,
    height: s.height,
    duration: Number.isFinite(duration) && duration > 0 ? duration : undefined,
    fps: rate(s.avg_frame_rate),
    codec: s.codec_name ?? 'unknown',
    format: json.format?.format_name ?? 'unknown',
  };
}

/** What to decode and how. */
export interface DecodeSpec {
  /** A file path, URL, or device path. */
  readonly input: string;
  /** Options placed before `-i` (demuxer choice, network settings). */
  readonly inputArgs?: readonly string[];
  /** Seek to this many seconds first (times stay those of the video). */
  readonly start?: number;
  /** Stop at this many seconds. */
  readonly end?: number;
  /** Keep at most this many frames per second (a frame is kept when it starts a new 1/fps slot: no duplicates). */
  readonly fps?: number;
  /** Shrink frames whose longer side exceeds this (never enlarge). */
  readonly maxSide?: number;
  /** Loop the input forever (tests and soak runs of a "live" source). */
  readonly loop?: boolean;
  /** Read the input at its own frame rate, as a live source would deliver it. */
  readonly realtime?: boolean;
}

/** The filter chain: sample, shrink, convert to RGB, and report each frame's pts and size. */
export function filterChain(spec: Pick<DecodeSpec, 'fps' | 'maxSide'>, major = ffmpegTool().major): string {
  const f: string[] = [];
  if (spec.fps) f.push(`select='isnan(prev_selected_t)+gt(floor(t*${spec.fps}),floor(prev_selected_t*${spec.fps}))'`);
  if (spec.maxSide) {
    const m = Math.round(spec.maxSide);
    f.push(`scale=w='if(gte(iw,ih),min(iw,${m}),-2)':h='if(gte(iw,ih),-2,min(ih,${m}))':flags=area`);
  }
  f.push('format=rgb24', major >= 5 ? 'showinfo=checksum=0' : 'showinfo');
  return f.join(',');
}

export function decodeArgs(spec: DecodeSpec, major = ffmpegTool().major): string[] {
  const a = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info'];
  if (spec.realtime) a.push('-re');
  if (spec.loop) a.push('-stream_loop', '-1');
  a.push(...(spec.inputArgs ?? []));
  if (spec.start) a.push('-ss', String(spec.start));
  if (spec.end !== undefined) a.push('-t', String(Math.max(0, spec.end - (spec.start ?? 0))));
  a.push('-i', ffmpegInput(spec.input), '-map', '0:v:0', '-an', '-sn', '-dn', '-vf', filterChain(spec, major));
  a.push(...(major >= 5 ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough']));
  a.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  return a;
}

/** A running decode: frames in order with their pts (seconds), and the process's fate. */
export interface FfmpegDecode extends AsyncIterable<RawFrame> {
  /** Stop ffmpeg (idempotent). */
  close(): void;
  /** Distinct decoder complaints seen so far (a damaged stretch of the file), at most 20. */
  readonly warnings: readonly string[];
  /** The input's duration as ffmpeg announced it (seconds); undefined for a live stream ("Duration: N/A"). */
  readonly duration: number | undefined;
}

/**
 * Start ffmpeg on `spec`. Iterating yields frames until the input ends; a failed input throws the typed error that
 * ffmpeg's messages point to (classifyFfmpegError), after every frame decoded before the failure.
 */
export function decodeVideo(spec: DecodeSpec): FfmpegDecode {
  const { ffmpeg, major } = ffmpegTool();
  const proc: ChildProcessWithoutNullStreams = spawn(ffmpeg, decodeArgs(spec, major), {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  proc.stdin.end();
  const reader = new FrameReader(proc.stdout);
  const tail: string[] = [];
  const warnings = new Set<string>();
  let killed = false;
  const lines = createInterface({ input: proc.stderr });
  lines.on('close', () => reader.endInfo());
  let duration: number | undefined;
  lines.on('line', (line) => {
    if (reader.onInfoLine(line)) return;
    const d = /^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(line);
    if (d && duration === undefined) duration = 3600 * Number(d[1]) + 60 * Number(d[2]) + Number(d[3]);
    tail.push(line);
    if (tail.length > 40) tail.shift();
    const w = /error|invalid|corrupt|truncat|missing|partial/i.test(line) ? line.replace(/^\[[^\]]*\]\s*/, '') : '';
    if (w && warnings.size < 20) warnings.add(w.slice(0, 200));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal }));
    proc.on('error', () => resolve({ code: -1, signal: null }));
  });
  const close = () => {
    if (killed) return;
    killed = true;
    proc.stdout.destroy();
    if (proc.exitCode === null) proc.kill('SIGKILL');
  };
  return {
    get warnings() {
      return [...warnings];
    },
    get duration() {
      return duration;
    },
    close,
    async *[Symbol.asyncIterator]() {
      let frames = 0;
      try {
        for (;;) {
          const f = await reader.next();
          if (!f) break;
          frames++;
          yield f;
        }
        const { code } = await exited;
        if (killed || code === 0) return;
        const failure = classifyFfmpegError(tail.join('\n'), { input: spec.input, frames });
        throw failure.error;
      } finally {
        close();
      }
    },
  };
}

/** Where and how to encode frames (annotated output). */
export interface EncodeSpec {
  readonly output: string;
  readonly width: number;
  readonly height: number;
  /** Frame rate of the frames written. */
  readonly fps: number;
}

export interface FfmpegEncode {
  /** Write one RGB frame of the spec's size; resolves when ffmpeg has taken it (back-pressure). */
  write(rgb: Uint8Array): Promise<void>;
  /** Finish the file; rejects with ffmpeg's message when it failed. */
  end(): Promise<void>;
}

/** Encode raw RGB frames to a video file (H.264 in MP4 by the output's extension; yuv420p for players). */
export function encodeVideo(spec: EncodeSpec): FfmpegEncode {
  const { ffmpeg } = ffmpegTool();
  const w = spec.width - (spec.width % 2);
  const h = spec.height - (spec.height % 2);
  const args = [
    ...['-hide_banner', '-nostats', '-loglevel', 'error', '-y'],
    ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${spec.width}x${spec.height}`, '-r', String(spec.fps)],
    ...['-i', 'pipe:0', '-vf', `crop=${w}:${h}:0:0`, '-pix_fmt', 'yuv420p', spec.output],
  ];
  const proc = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => proc.on('close', resolve));
  let broken: Error | undefined;
  proc.stdin.on('error', (e) => (broken = e));
  const failed = () =>
    new FaceError('INVALID_INPUT', `ffmpeg could not write ${spec.output}: ${stderr.trim() || broken?.message}`, {
      output: spec.output,
    });
  return {
    write: (rgb) =>
      new Promise<void>((resolve, reject) => {
        if (broken || proc.exitCode !== null) return reject(failed());
        proc.stdin.write(rgb, (e) => (e ? reject(failed()) : resolve()));
      }),
    async end() {
      proc.stdin.end();
      const code = await exited;
      if (code !== 0) throw failed();
    },
  };
}
