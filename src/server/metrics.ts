/**
 * Prometheus metrics: process defaults, HTTP counts and durations, the inference queue, gallery size, event-loop delay.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ServerContext } from './context.js';

export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'facenet_' });
  return registry;
}

export function installMetrics(app: FastifyInstance, ctx: ServerContext): void {
  const { registry, queue, gallery } = ctx;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  app.addHook('onClose', async () => loop.disable());
  const httpRequests = new Counter({
    name: 'facenet_http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'facenet_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'facenet_inference_active',
    help: 'inference jobs running',
    registers: [registry],
    collect() {
      this.set(queue.active);
    },
  });
  new Gauge({
    name: 'facenet_inference_queued',
    help: 'inference jobs waiting',
    registers: [registry],
    collect() {
      this.set(queue.queued);
    },
  });
  new Gauge({
    name: 'facenet_inference_rejected',
    help: 'inference jobs refused (queue full) since start',
    registers: [registry],
    collect() {
      this.set(queue.rejected);
    },
  });
  new Gauge({
    name: 'facenet_gallery_people',
    help: 'people enrolled',
    registers: [registry],
    async collect() {
      this.set(await gallery.size());
    },
  });
  new Gauge({
    name: 'facenet_event_loop_delay_max_seconds',
    help: 'largest event-loop delay seen since the last scrape',
    registers: [registry],
    collect() {
      this.set(loop.max / 1e9);
      loop.reset();
    },
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    httpDuration.observe({ route }, reply.elapsedTime / 1000);
  });
}
