/**
 * Every error a user can trigger is a FaceError with a stable `code`.
 * Scripts, the CLI exit code and the HTTP status all key off `code`, never off the message.
 */
export type FaceErrorCode =
  | 'IMAGE_EMPTY'
  | 'IMAGE_CORRUPT'
  | 'IMAGE_UNSUPPORTED'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_NOT_FOUND'
  | 'INVALID_INPUT'
  | 'NO_FACE'
  | 'MULTIPLE_FACES'
  | 'MODEL_LOAD_FAILED'
  | 'MODEL_MISMATCH'
  // a pack's model file is not in the models folder / does not match its pinned SHA-256
  | 'MODEL_NOT_INSTALLED'
  | 'MODEL_CHECKSUM'
  // a pack whose weights are not permissively licensed, used without opting in
  | 'LICENSE_NOT_ACCEPTED'
  | 'DATASET_MISSING'
  | 'PERSON_NOT_FOUND'
  | 'PERSON_EXISTS'
  /** A cluster group named (enrolled) as another person than the one asked for. */
  | 'GROUP_ENROLLED'
  | 'GALLERY_ERROR'
  /** The gallery file is damaged (SQLite reports corruption). */
  | 'GALLERY_CORRUPT'
  /** A read-only command named a gallery that does not exist (it is not created). */
  | 'GALLERY_NOT_FOUND'
  | 'CALIBRATION_ERROR'
  /** Under a `require` liveness policy: a face looked like a printed photo or a screen, not a live person. */
  | 'SPOOF_SUSPECTED'
  // the HTTP service (src/server)
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'QUEUE_FULL'
  | 'TIMEOUT'
  // a recognizer (worker pool) used after close()
  | 'CLOSED'
  // video (src/video, src/engine/ffmpeg.ts)
  /** An external tool the command needs (ffmpeg, ffprobe) is not installed; the message says how to install it. */
  | 'TOOL_MISSING'
  | 'VIDEO_NOT_FOUND'
  /** The file or stream holds no decodable video (damaged, or no frame at all). */
  | 'VIDEO_CORRUPT'
  /** Not a video: no video stream (a web page, a text file, audio only). */
  | 'VIDEO_UNSUPPORTED'
  /** A live source stalled or disconnected and did not come back after the reconnection attempts. */
  | 'STREAM_LOST'
  /** A camera device that is missing, busy (used by another program) or not a camera. */
  | 'CAMERA_UNAVAILABLE'
  /** A video URL the server will not read (another scheme, or a loopback/private address: SSRF guard). */
  | 'URL_NOT_ALLOWED'
  // the active liveness check (src/liveness-challenge): a challenge, its answer and the token it earns
  /** No open challenge has this id: never issued, already answered (a challenge is single-use) or forgotten. */
  | 'CHALLENGE_NOT_FOUND'
  /** The challenge's frames arrived after its deadline, or span longer than it allowed. */
  | 'CHALLENGE_EXPIRED'
  /** The frames' timestamps do not strictly increase. */
  | 'FRAMES_OUT_OF_ORDER'
  /** The server requires a liveness token (`serve --require-liveness`) and the request carried none. */
  | 'LIVENESS_TOKEN_REQUIRED'
  /** Not a token this server issued (forged, mistyped, or issued before a restart). */
  | 'LIVENESS_TOKEN_INVALID'
  | 'LIVENESS_TOKEN_EXPIRED'
  /** The token was already spent: each one admits a single verify or enroll. */
  | 'LIVENESS_TOKEN_USED'
  /** The photo's face is not the face that answered the challenge the token was earned with. */
  | 'LIVENESS_FACE_MISMATCH'
  /**
   * A bug, not bad input: an internal check failed (invariant) or something untyped was thrown. HTTP 500, CLI exit 3,
   * never a stack trace for the user (FACENET_DEBUG=1 prints it on the CLI).
   */
  | 'INTERNAL';

export class FaceError extends Error {
  readonly code: FaceErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: FaceErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaceError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: FaceErrorCode; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export class ImageError extends FaceError {
  constructor(
    code: Extract<FaceErrorCode, `IMAGE_${string}`>,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(code, message, details, options);
    this.name = 'ImageError';
  }
}

export class ModelError extends FaceError {
  constructor(
    code: Extract<FaceErrorCode, `MODEL_${string}`>,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(code, message, details, options);
    this.name = 'ModelError';
  }
}

/** A non-permissive pack used without `--accept-license` / FACENET_ACCEPT_LICENSE=1 / `acceptLicense: true`. */
export class LicenseError extends FaceError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('LICENSE_NOT_ACCEPTED', message, details);
    this.name = 'LicenseError';
  }
}

export function isFaceError(e: unknown): e is FaceError {
  return e instanceof FaceError;
}

/** A typed refusal of this input (one file of many may fail with it); INTERNAL is a bug, never one of those. */
export function isInputError(e: unknown): e is FaceError {
  return e instanceof FaceError && e.code !== 'INTERNAL';
}

/**
 * An internal check: `cond` must hold whatever the input (a violation is a bug in facenet-ts, never bad input). Throws
 * FaceError INTERNAL, which every surface maps once (HTTP 500, CLI exit 3).
 */
export function invariant(cond: unknown, message: string, details?: Record<string, unknown>): asserts cond {
  if (!cond) throw new FaceError('INTERNAL', message, details);
}

/** Any thrown value as a FaceError: typed errors as they are, anything else INTERNAL (the original as its cause). */
export function asFaceError(e: unknown): FaceError {
  if (e instanceof FaceError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new FaceError('INTERNAL', message, undefined, { cause: e });
}
