/**
 * The HTTP service: fastify with JSON-schema-validated routes under /v1, an OpenAPI 3 document at /openapi.json,
 * a docs page at /docs, Prometheus metrics, API-key auth with roles, request limits and a bounded inference queue,
 * plus the web page (src/web) at /.
 *
 * The routes live in ./routes by resource (system, recognition, people, calibration, liveness); they share one context
 * (./context), one error mapper (./errors) and one auth hook (./auth).
 *
 * Images arrive as a multipart file field `image` or as base64 (optionally a data: URL) in a JSON field `image`.
 * Every error is JSON `{ error: { code, message, details? } }` with the library's stable FaceError codes.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { createContext, type ServerOptions } from './context.js';
import { clientErrorHandler, frameworkErrors, installErrorMapper } from './errors.js';
import { installAuth } from './auth.js';
import { installSecurityHeaders, logRequest } from './security.js';
import { MAX_ENCODED_NAME_LENGTH } from '../gallery/names.js';
import { createRegistry, installMetrics } from './metrics.js';
import { registerOpenApi, registerWebPage } from './web.js';
import { systemRoutes } from './routes/system.js';
import { recognitionRoutes } from './routes/recognition.js';
import { peopleRoutes } from './routes/people.js';
import { calibrationRoutes } from './routes/calibration.js';
import { clusterRoutes } from './routes/clusters.js';
import { videoRoutes } from './routes/videos.js';
import { streamRoutes } from './routes/stream.js';
import { onUploadPart } from './videos/upload.js';
import { livenessRoutes } from './routes/liveness.js';

export {
  DEFAULT_LIMITS,
  type ServerLimits,
  type ServerRecognizer,
  type ServerContext,
  type ServerOptions,
  type ChallengeServerOptions,
} from './context.js';
export { httpStatus } from './errors.js';
export { webDir } from './web.js';

export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const ctx = createContext({ ...opts, registry: createRegistry() });
  const { limits } = ctx;

  const app = Fastify({
    // request logs carry the path, never the query string (it may hold a key) or headers
    logger: opts.logger ? { serializers: { req: logRequest } } : false,
    // base64 is 4/3 of the bytes; leave room for the other fields
    bodyLimit: Math.ceil(limits.maxImageBytes * 1.4) + 64 * 1024,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks request timeouts every 30 s by default: a slow client would hold its socket up to 30 s past the limit
    http: {
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(limits.requestTimeoutMs / 4))),
      headersTimeout: Math.min(60_000, limits.requestTimeoutMs),
    },
    // every name the library allows fits in a route parameter, percent-encoded
    routerOptions: { maxParamLength: MAX_ENCODED_NAME_LENGTH },
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, strict: false } },
    frameworkErrors: frameworkErrors(limits),
    clientErrorHandler,
  });

  installMetrics(app, ctx);
  installErrorMapper(app, ctx);
  installAuth(app, ctx);
  installSecurityHeaders(app);

  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    // video uploads stream to disk; every other file part is buffered as before
    onFile(part) {
      return onUploadPart(this, part);
    },
    limits: { fileSize: limits.maxImageBytes, files: 1, fields: 20, fieldSize: 1024 * 1024 },
  });
  await registerOpenApi(app);
  registerWebPage(app);

  for (const routes of [systemRoutes, recognitionRoutes, peopleRoutes, calibrationRoutes, livenessRoutes])
    await app.register(routes(ctx), { prefix: '/v1' });
  if (opts.clusters) await app.register(clusterRoutes(ctx, opts.clusters), { prefix: '/v1' });
  if (opts.video) {
    await app.register(videoRoutes(ctx, opts.video), { prefix: '/v1' });
    await app.register(streamRoutes(ctx, opts.video), { prefix: '/v1' });
  }

  return app;
}

export type { FastifyInstance, FastifyRequest };
