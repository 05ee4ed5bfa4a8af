/**
 * The one error mapper: every error becomes JSON `{ error: { code, message, details? } }` with an HTTP status keyed off
 * the code.
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { FaceError, type FaceErrorCode } from '../errors.js';
import type { ServerContext } from './context.js';

const STATUS: Partial<Record<FaceErrorCode, number>> = {
  IMAGE_EMPTY: 400,
  IMAGE_CORRUPT: 422,
  IMAGE_UNSUPPORTED: 415,
  IMAGE_TOO_LARGE: 413,
  IMAGE_NOT_FOUND: 400,
  INVALID_INPUT: 400,
  NO_FACE: 422,
  MULTIPLE_FACES: 422,
  SPOOF_SUSPECTED: 422,
  MODEL_LOAD_FAILED: 500,
  MODEL_MISMATCH: 500,
  DATASET_MISSING: 500,
  PERSON_NOT_FOUND: 404,
  PERSON_EXISTS: 409,
  GROUP_ENROLLED: 409,
  GALLERY_ERROR: 500,
  GALLERY_CORRUPT: 500,
  GALLERY_NOT_FOUND: 404,
  CALIBRATION_ERROR: 500,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  QUEUE_FULL: 429,
  TIMEOUT: 503,
  CLOSED: 503,
  TOOL_MISSING: 501,
  VIDEO_NOT_FOUND: 400,
  VIDEO_CORRUPT: 422,
  VIDEO_UNSUPPORTED: 415,
  STREAM_LOST: 502,
  CAMERA_UNAVAILABLE: 503,
  URL_NOT_ALLOWED: 403,
  CHALLENGE_NOT_FOUND: 404,
  CHALLENGE_EXPIRED: 410,
  FRAMES_OUT_OF_ORDER: 400,
  LIVENESS_TOKEN_REQUIRED: 403,
  LIVENESS_TOKEN_INVALID: 403,
  LIVENESS_TOKEN_EXPIRED: 403,
  LIVENESS_TOKEN_USED: 403,
  LIVENESS_FACE_MISMATCH: 403,
  INTERNAL: 500,
};

export function httpStatus(code: FaceErrorCode): number {
  return STATUS[code] ?? 500;
}

/**
 * A framework error (fastify, its router, @fastify/multipart, busboy) as the FaceError a client should see. Only
 * client mistakes are mapped; anything else stays an internal error.
 */
export function frameworkError(err: FastifyError | Error, limits: { maxImageBytes: number }): FaceError | undefined {
  const fe = err as FastifyError;
  const code = fe.code ?? '';
  const msg = String(fe.message ?? '').split('\n')[0];
  if (fe.validation)
    return new FaceError('INVALID_INPUT', `request ${msg}`, {
      validation: fe.validation as unknown as Record<string, unknown>,
    });
  if (code === 'FST_FILES_LIMIT') return new FaceError('INVALID_INPUT', 'send exactly one file, in the field "image"');
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
    return new FaceError('INVALID_INPUT', 'too many form fields');
  if (code === 'FST_ERR_BAD_URL')
    return new FaceError('INVALID_INPUT', 'the URL is not valid (a stray % must be written %25)');
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return new FaceError('UNSUPPORTED_MEDIA_TYPE', `send application/json or multipart/form-data (${msg})`);
  // busboy: no boundary, a truncated body, a malformed part
  if (
    /boundary|unexpected end of (form|multipart)|malformed|multipart/i.test(msg) &&
    (fe.statusCode === undefined || fe.statusCode >= 500)
  )
    return new FaceError('INVALID_INPUT', `malformed multipart body: ${msg}`);
  const status = fe.statusCode ?? 500;
  if (status === 413)
    return new FaceError(
      'BODY_TOO_LARGE',
      `request body or image is larger than the limit (${limits.maxImageBytes} bytes per image)`,
      { maxImageBytes: limits.maxImageBytes },
    );
  if (status === 415)
    return new FaceError('UNSUPPORTED_MEDIA_TYPE', `send application/json or multipart/form-data (${msg})`);
  if (status === 414) return new FaceError('INVALID_INPUT', 'the URL is too long', { status: 414 });
  if (status === 408) return new FaceError('TIMEOUT', 'the request took too long to arrive', { status: 408 });
  if (status >= 400 && status < 500) return new FaceError('INVALID_INPUT', msg);
  return undefined;
}

/** Statuses that belong to the framework error rather than its code's default (414 stays 414, 408 stays 408). */
function statusOf(e: FaceError): number {
  const s = e.details?.status;
  return typeof s === 'number' ? s : httpStatus(e.code);
}

export function errorBody(e: FaceError): string {
  const { status: _status, ...details } = e.details ?? {};
  return JSON.stringify({
    error: { code: e.code, message: e.message, ...(Object.keys(details).length ? { details } : {}) },
  });
}

/** Install the error and not-found handlers on the root instance (child plugins inherit them). */
export function installErrorMapper(app: FastifyInstance, ctx: ServerContext): void {
  const { limits, queue } = ctx;
  const sendError = (reply: FastifyReply, e: FaceError) => {
    if (e.code === 'QUEUE_FULL')
      reply.header('retry-after', String(e.details?.retryAfter ?? queue.retryAfterSeconds()));
    if (e.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer');
    return reply.code(statusOf(e)).type('application/json; charset=utf-8').send(errorBody(e));
  };
  app.setErrorHandler((err: FastifyError | FaceError | Error, req, reply) => {
    const mapped = err instanceof FaceError ? err : frameworkError(err, limits);
    if (mapped && mapped.code !== 'INTERNAL') return sendError(reply, mapped);
    // a bug: logged here, and the client learns only that it happened (no message, no stack)
    req.log.error(err);
    return sendError(reply, new FaceError('INTERNAL', 'internal error'));
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new FaceError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)),
  );
}

/** fastify's `frameworkErrors` option: router-level errors (a bad URL) in the same shape. */
export function frameworkErrors(limits: { maxImageBytes: number }) {
  return (err: FastifyError, _req: unknown, reply: FastifyReply) => {
    const e = frameworkError(err, limits) ?? new FaceError('INVALID_INPUT', String(err.message).split('\n')[0]);
    return reply.code(statusOf(e)).type('application/json; charset=utf-8').send(errorBody(e));
  };
}

/** Node's clientError (before fastify sees a request: header timeout, 408, oversize headers, garbage): same shape. */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const [status, e] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, new FaceError('TIMEOUT', 'the request took too long to arrive')]
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, new FaceError('INVALID_INPUT', 'request headers (or the URL) are too large')]
        : [400, new FaceError('INVALID_INPUT', 'malformed HTTP request')];
  const body = errorBody(e);
  const reason =
    status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
