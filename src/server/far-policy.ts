/**
 * Per-request FAR policy. The server's target FARs (PUT /v1/calibration, admin) are the loosest a recognize key
 * gets: a request may ask for a stricter (smaller) FAR, never a looser one. Loosening needs an admin key (or a
 * server run without auth); otherwise it is refused with 403 FORBIDDEN rather than quietly clamped, so a client
 * never believes it got a decision it did not.
 */
import type { FastifyRequest } from 'fastify';
import { FaceError } from '../errors.js';
import { isAdmin } from './auth.js';
import type { ServerContext } from './context.js';

export function requestFar(
  req: FastifyRequest,
  ctx: ServerContext,
  requested: unknown,
  kind: 'verifyFar' | 'identifyFar',
): number {
  const server = ctx.settings()[kind];
  if (requested === undefined || requested === null) return server;
  const far = Number(requested);
  if (far > server && !isAdmin(req, ctx))
    throw new FaceError(
      'FORBIDDEN',
      `far ${far} is looser than the server's ${kind} ${server}: ` +
        'a recognize key may only tighten it (ask an admin to change the default)',
      {
        requested: far,
        [kind]: server,
      },
    );
  return far;
}
