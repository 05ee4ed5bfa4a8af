/** The one auth hook: a route's `config.role` is the least role it needs; `public` routes (and `auth: false`) need no key. */
import type { FastifyInstance } from 'fastify';
import { FaceError } from '../errors.js';
import type { ServerContext } from './context.js';

export function installAuth(app: FastifyInstance, ctx: ServerContext): void {
  app.addHook('onRequest', async (req) => {
    const need = req.routeOptions.config?.role;
    if (!need || need === 'public' || !ctx.auth) return;
    const header = req.headers.authorization;
    const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : (req.headers['x-api-key'] as string | undefined);
    if (!key) throw new FaceError('UNAUTHORIZED', 'this route needs an API key: Authorization: Bearer KEY (create one with `facenet keys add`)');
    const who = ctx.db.authenticate(key);
    if (!who) throw new FaceError('UNAUTHORIZED', 'invalid or revoked API key');
    if (need === 'admin' && who.role !== 'admin') throw new FaceError('FORBIDDEN', `this route needs an admin key; key ${who.id} has role ${who.role}`);
    req.apiKey = who;
  });
}
