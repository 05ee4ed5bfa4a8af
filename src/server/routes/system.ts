/**
 * Service routes: liveness and Prometheus metrics. /v1/health answers anyone with `status` and whether keys are
 * needed; the gallery size, model, queue and limits only to an authenticated caller (or without auth).
 */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { secured } from '../request.js';
import { isAuthenticated } from '../auth.js';

export function systemRoutes(ctx: ServerContext) {
  const { gallery, queue, limits, registry } = ctx;
  return async (v1: FastifyInstance): Promise<void> => {
    v1.get(
      '/health',
      {
        config: { role: 'public' },
        schema: { tags: ['service'], summary: 'liveness (details with a key: model, gallery size, queue, limits)' },
      },
      async (req) =>
        !isAuthenticated(req, ctx)
          ? { status: 'ok', auth: ctx.auth }
          : {
              status: 'ok',
              modelId: ctx.modelId(),
              pack: ctx.recognizer.packInfo,
              people: await gallery.size(),
              auth: ctx.auth,
              // a yes/no for the page (it asks for groups only then): the state itself would leak its file path
              clusters: ctx.clusters !== undefined,
              queue: {
                active: queue.active,
                queued: queue.queued,
                concurrency: queue.concurrency,
                maxQueued: queue.maxQueued,
              },
              limits: {
                maxImageBytes: limits.maxImageBytes,
                maxPixels: limits.maxPixels,
                inferenceTimeoutMs: limits.inferenceTimeoutMs,
              },
              uptimeSeconds: Math.round(process.uptime()),
            },
    );

    v1.get(
      '/metrics',
      {
        config: { role: 'recognize' },
        schema: { tags: ['service'], summary: 'Prometheus metrics', security: secured },
      },
      async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
    );
  };
}
