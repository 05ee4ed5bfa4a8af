/**
 * The one auth hook: a route's `config.role` is the least role it needs; `public` routes (and `auth: false`) need no
 * key. A key is `Authorization: Bearer KEY` (the scheme is case-insensitive, RFC 7235) or `x-api-key: KEY`.
 * On a public route a valid key is still recognised, so the route can tell an authenticated caller (health details).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FaceError } from '../errors.js';
import type { ServerContext } from './context.js';

function presentedKey(req: FastifyRequest): string | undefined {
  const m = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (m) return m[1];
  const k = req.headers['x-api-key'];
  return typeof k === 'string' && k ? k : undefined;
}

export function installAuth(app: FastifyInstance, ctx: ServerContext): void {
  app.addHook('onRequest', async (req) => {
    const need = req.routeOptions.config?.role;
    if (!ctx.auth) return;
    const key = presentedKey(req);
    if (!need || need === 'public') {
      if (key) req.apiKey = ctx.db.authenticate(key);
      return;
    }
    if (!key)
      throw new FaceError(
        'UNAUTHORIZED',
        'this route needs an API key: Authorization: Bearer KEY (create one with `facenet keys add`)',
      );
    const who = ctx.db.authenticate(key);
    if (!who) throw new FaceError('UNAUTHORIZED', 'invalid or revoked API key');
    if (need === 'admin' && who.role !== 'admin')
      throw new FaceError('FORBIDDEN', `this route needs an admin key; key ${who.id} has role ${who.role}`);
    req.apiKey = who;
  });
}

/** The caller may do what an admin may: an admin key, or a server without auth (local use). */
export function isAdmin(req: FastifyRequest, ctx: ServerContext): boolean {
  return !ctx.auth || req.apiKey?.role === 'admin';
}

/** The caller is known: a valid key of any role, or a server without auth. */
export function isAuthenticated(req: FastifyRequest, ctx: ServerContext): boolean {
  return !ctx.auth || !!req.apiKey;
}
