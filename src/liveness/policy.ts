/** Liveness policies: reading them from flags and requests, and refusing faces judged not live under `require`. */
import { FaceError } from '../errors.js';
import type { Box } from '../detect/types.js';
import { LIVENESS_POLICIES, type Liveness, type LivenessPolicy } from './types.js';

/** A policy named by a flag or a request field; INVALID_INPUT for anything else; undefined when absent. */
export function parseLivenessPolicy(v: unknown, what = '--liveness'): LivenessPolicy | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string' && (LIVENESS_POLICIES as readonly string[]).includes(v)) return v as LivenessPolicy;
  throw new FaceError('INVALID_INPUT', `${what} expects ${LIVENESS_POLICIES.join(', ')}, got ${JSON.stringify(v)}`, {
    liveness: typeof v === 'string' ? v : typeof v,
  });
}

/** Whether the policy runs the check at all. */
export function livenessRuns(policy: LivenessPolicy | undefined): policy is 'warn' | 'require' {
  return policy === 'warn' || policy === 'require';
}

/**
 * The policy to hand the face pipeline when the caller enforces `policy` itself on the faces it picks: judge every
 * face ('warn') whenever the check runs, so one spoof in a group photo refuses only a call that decides on it.
 */
export function judgeOnly(policy: LivenessPolicy | undefined): { liveness?: 'warn' } {
  return livenessRuns(policy) ? { liveness: 'warn' } : {};
}

/** How strict a policy is: a client may tighten the server's, not loosen it (see src/server). */
export function strictness(policy: LivenessPolicy): number {
  return LIVENESS_POLICIES.indexOf(policy);
}

/** The faces the check judged not live. */
export function notLive<F extends { liveness?: Liveness }>(faces: readonly F[]): F[] {
  return faces.filter((f) => f.liveness && !f.liveness.live);
}

/**
 * Under `require`, SPOOF_SUSPECTED when any of `faces` was judged not live (each face is judged on its own; the
 * details list the refused ones), INVALID_INPUT when a face carries no verdict (an aligned chip). Nothing happens
 * under `off` and `warn`.
 */
export function enforceLiveness<F extends { box: Box; liveness?: Liveness }>(
  policy: LivenessPolicy | undefined,
  faces: readonly F[],
  source: string,
): void {
  if (policy !== 'require') return;
  if (faces.some((f) => !f.liveness))
    throw new FaceError(
      'INVALID_INPUT',
      `liveness 'require' needs the photo with the face in it: ${source} was given as an aligned chip ` +
        '(or a face was not judged), which the check cannot judge',
      { source },
    );
  const refused = notLive(faces);
  if (!refused.length) return;
  const [first] = refused;
  throw new FaceError(
    'SPOOF_SUSPECTED',
    `${refused.length === 1 ? 'the face' : `${refused.length} faces`} in ${source} looked like a photo or a screen ` +
      `rather than a live person (liveness score ${first.liveness!.score.toFixed(3)} < threshold ` +
      `${first.liveness!.threshold}); nothing was accepted`,
    {
      source,
      faces: refused.map((f) => ({ box: f.box, liveness: f.liveness })),
    },
  );
}
