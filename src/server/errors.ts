/** The one error mapper: every error becomes JSON `{ error: { code, message, details? } }` with an HTTP status keyed off the code. */
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
  MODEL_LOAD_FAILED: 500,
  MODEL_MISMATCH: 500,
  DATASET_MISSING: 500,
  PERSON_NOT_FOUND: 404,
  PERSON_EXISTS: 409,
  GALLERY_ERROR: 500,
  CALIBRATION_ERROR: 500,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  QUEUE_FULL: 429,
  TIMEOUT: 503,
  CLOSED: 503,
};

export function httpStatus(code: FaceErrorCode): number {
  return STATUS[code] ?? 500;
}

/** Install the error and not-found handlers on the root instance (child plugins inherit them). */
export function installErrorMapper(app: FastifyInstance, ctx: ServerContext): void {
  const { limits, queue } = ctx;
  const sendError = (reply: FastifyReply, e: FaceError) => {
    const status = httpStatus(e.code);
    if (e.code === 'QUEUE_FULL') reply.header('retry-after', String(e.details?.retryAfter ?? queue.retryAfterSeconds()));
    if (e.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer');
    return reply.code(status).type('application/json').send({ error: e.toJSON() });
  };
  app.setErrorHandler((err: FastifyError | FaceError | Error, req, reply) => {
    if (err instanceof FaceError) return sendError(reply, err);
    const fe = err as FastifyError;
    if (fe.validation) return sendError(reply, new FaceError('INVALID_INPUT', `request ${fe.message}`, { validation: fe.validation as unknown as Record<string, unknown> }));
    const status = fe.statusCode ?? 500;
    if (status === 413) return sendError(reply, new FaceError('BODY_TOO_LARGE', `request body or image is larger than the limit (${limits.maxImageBytes} bytes per image)`, { maxImageBytes: limits.maxImageBytes }));
    if (status === 415) return sendError(reply, new FaceError('UNSUPPORTED_MEDIA_TYPE', `send application/json or multipart/form-data (${fe.message})`));
    if (status >= 400 && status < 500) return sendError(reply, new FaceError('INVALID_INPUT', fe.message));
    req.log.error(err);
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, new FaceError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)));
}
