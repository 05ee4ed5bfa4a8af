/**
 * Per-request liveness policy. The server's defaults (`facenet serve --liveness`, `--enroll-liveness`) are the
 * loosest a recognize key gets: a request may ask for a stricter policy (off < warn < require), never a looser one;
 * loosening needs an admin key (or a server run without auth) and is otherwise refused with 403 FORBIDDEN, as a
 * looser FAR is (far-policy.ts), so a door set to `require` cannot be talked out of it by a client.
 */
import type { FastifyRequest } from 'fastify';
import { FaceError } from '../errors.js';
import { parseLivenessPolicy, strictness } from '../liveness/policy.js';
import { LIVENESS_POLICIES, type LivenessPolicy } from '../liveness/types.js';
import { isAdmin } from './auth.js';
import type { ServerContext } from './context.js';

/** The server's default policy per kind of request. */
export interface ServerLiveness {
  readonly detect: LivenessPolicy;
  readonly verify: LivenessPolicy;
  readonly identify: LivenessPolicy;
  readonly enroll: LivenessPolicy;
}

/**
 * Verification and identification are flagged by default (the page shows the flag); detection is not judged unless
 * asked; enrollment from files is off (an ID photo is a photo). A camera deployment sets `require`.
 */
export const DEFAULT_SERVER_LIVENESS: ServerLiveness = {
  detect: 'off',
  verify: 'warn',
  identify: 'warn',
  enroll: 'off',
};

/** The JSON-schema property routes accept. */
export const livenessProp = (what: string) => ({
  type: 'string',
  enum: [...LIVENESS_POLICIES],
  description:
    `passive liveness check of ${what}: off, warn (flag), require (refuse with SPOOF_SUSPECTED); ` +
    "default: the server's, which a recognize key may only tighten",
});

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
