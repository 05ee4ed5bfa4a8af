/**
 * Security headers on every response, and request logs without secrets.
 *
 * The headers are a fixed set (what @fastify/helmet would send for this app), set in one onSend hook: the page
 * (src/web) loads only its own script and stylesheet, so `default-src 'self'` holds for it; /docs (swagger-ui)
 * gets the inline style and script allowances it needs and nothing else does.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

const BASE_CSP = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
];
const PAGE_CSP = [...BASE_CSP, "script-src 'self'", "style-src 'self'", "connect-src 'self'"].join('; ');
const DOCS_CSP = [
  ...BASE_CSP,
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
].join('; ');

const HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(self), microphone=(), geolocation=()',
};

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    for (const [k, v] of Object.entries(HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
    if (!reply.hasHeader('content-security-policy'))
      reply.header('content-security-policy', req.url.startsWith('/docs') ? DOCS_CSP : PAGE_CSP);
    return payload;
  });
}

/**
 * The request as logged: method and route, no query string (it may carry a key), no headers, and no person's name:
 * a path names a person (`/v1/people/Ada`), and a log outlives a forget, so the route's pattern is logged
 * (`/v1/people/:name`), or for a path no route matched, the path with any segment after `/people/` masked.
 */
export function logRequest(req: FastifyRequest): Record<string, unknown> {
  const path = req.url.split('?')[0];
  const url = req.routeOptions?.url ?? path.replace(/(\/people\/)[^/]+/g, '$1:name');
  return { method: req.method, url, remoteAddress: req.ip };
}
