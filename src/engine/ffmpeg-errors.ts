/**
 * ffmpeg's and ffprobe's failure messages as typed errors, and whether a live source should try again. Matched on
 * the messages ffmpeg 4–7 print (libavformat's error strings), never on exit codes, which do not tell causes apart.
 */
import { FaceError } from '../errors.js';

export interface FfmpegFailure {
  readonly error: FaceError;
  /** A network or device hiccup worth reconnecting for (a live source retries these, with backoff). */
  readonly transient: boolean;
}

const RULES: readonly {
  test: RegExp;
  code: FaceError['code'];
  transient: boolean;
  say: (input: string, line: string) => string;
}[] = [
  {
    test: /Device or resource busy/i,
    code: 'CAMERA_UNAVAILABLE',
    transient: false,
    say: (i) => `camera ${i} is busy: another program is using it`,
  },
  {
    test: /Inappropriate ioctl|Not a video capture device|Cannot find a proper format|VIDIOC_/i,
    code: 'CAMERA_UNAVAILABLE',
    transient: false,
    say: (i) => `${i} is not a camera ffmpeg can read`,
  },
  {
    test: /Server returned 404|HTTP error 404|404 Not Found|method DESCRIBE failed: 404/i,
    code: 'VIDEO_NOT_FOUND',
    transient: false,
    say: (i) => `${i}: not found (404)`,
  },
  {
    test: /No such file or directory/i,
    code: 'VIDEO_NOT_FOUND',
    transient: false,
    say: (i) => `${i} does not exist`,
  },
  {
    test: /Server returned 40[13]|401 Unauthorized|403 Forbidden/i,
    code: 'VIDEO_NOT_FOUND',
    transient: false,
    say: (i) => `${i}: access refused (401/403); check the URL's credentials`,
  },
  {
    test: /Connection refused|Connection reset|Connection timed out|timed out|Network is unreachable|No route to host|Broken pipe|Server returned 5\d\d|End of file|I\/O error|Immediate exit requested|Operation not permitted|Resource temporarily unavailable|Name or service not known|Temporary failure in name resolution/i,
    code: 'STREAM_LOST',
    transient: true,
    say: (i, line) => `${i}: ${line}`,
  },
  {
    test: /matches no streams|does not contain any stream|Output file #0 does not contain any stream|no video stream/i,
    code: 'VIDEO_UNSUPPORTED',
    transient: false,
    say: (i) => `${i} has no video stream`,
  },
  {
    test: /Invalid data found when processing input|could not find codec parameters|Unknown input format|moov atom not found|unsupported codec|Decoder .* not found|EBML header parsing failed|Format .* detected only with low score/i,
    code: 'VIDEO_CORRUPT',
    transient: false,
    say: (i, line) => `${i} is not a readable video (${line})`,
  },
];

/** The last line of ffmpeg's output that says something (its final verdict), without the "[demuxer @ 0x…]" prefix. */
function lastMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]*\]\s*/, '').trim())
    .filter((l) => l && !/^(Stream mapping|Press \[q\]|Input #|Output #|Metadata|Duration|Stream #|\s)/.test(l));
  return (lines.at(-1) ?? 'ffmpeg failed').slice(0, 300);
}

/**
 * The typed error for a failed ffmpeg/ffprobe run on `input`. For a URL, undecodable data means "not a video"
 * (a web page, say): VIDEO_UNSUPPORTED rather than VIDEO_CORRUPT.
 */
export function classifyFfmpegError(stderr: string, ctx: { input: string; frames: number }): FfmpegFailure {
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(ctx.input);
  for (const r of RULES) {
    const line = stderr
      .split('\n')
      .reverse()
      .find((l) => r.test.test(l));
    if (!line) continue;
    const clean = line.replace(/^\[[^\]]*\]\s*/, '').trim();
    let code = r.code;
    if (code === 'VIDEO_CORRUPT' && isUrl && ctx.frames === 0) code = 'VIDEO_UNSUPPORTED';
    if (code === 'STREAM_LOST' && !isUrl && !ctx.input.startsWith('/dev/')) code = 'VIDEO_CORRUPT';
    const message =
      code === 'VIDEO_UNSUPPORTED' && isUrl ? `${ctx.input} is not a video stream (${clean})` : r.say(ctx.input, clean);
    return {
      error: new FaceError(code, message, { source: ctx.input, framesDecoded: ctx.frames }),
      transient: r.transient && code === 'STREAM_LOST',
    };
  }
  const msg = lastMessage(stderr);
  return {
    error: new FaceError(isUrl ? 'STREAM_LOST' : 'VIDEO_CORRUPT', `${ctx.input}: ffmpeg failed: ${msg}`, {
      source: ctx.input,
      framesDecoded: ctx.frames,
    }),
    transient: isUrl,
  };
}
