/**
 * Per-request liveness policy. The server's defaults (`facenet serve --liveness`, `--enroll-liveness`) are the
 * loosest a recognize key gets: a request may ask for a stricter policy (off < warn < require), never a looser one;
 * loosening needs an admin key (or a server run without auth) and is otherwise refused with 403 FORBIDDEN, as a
 * looser FAR is (far-policy.ts), so a door set to `require` cannot be talked out of it by a client.
 */
import type { FastifyRequest } from 'fastify';
import { FaceError } from '../errors.js';
import { parseLivenessPolicy, strictness } from '../liveness/policy.js';
import type { LivenessPolicy } from '../liveness/types.js';
import { isAdmin } from './auth.js';
import type { ServerContext } from './context.js';
import type { ServerLiveness } from './liveness-defaults.js';

export { DEFAULT_SERVER_LIVENESS, livenessProp, type ServerLiveness } from './liveness-defaults.js';

export function requestLiveness(
  req: FastifyRequest,
  ctx: ServerContext,
  requested: unknown,
  kind: keyof ServerLiveness,
): LivenessPolicy {
  const server = ctx.liveness[kind];
  const asked = parseLivenessPolicy(requested, 'liveness');
  if (!asked) return server;
  if (strictness(asked) < strictness(server) && !isAdmin(req, ctx))
    throw new FaceError(
      'FORBIDDEN',
      `liveness ${asked} is looser than the server's ${server} for ${kind}: a recognize key may only tighten it`,
      { requested: asked, [kind]: server },
    );
  return asked;
}
