/** The server's default liveness policies per kind of request (liveness-policy.ts applies them per request). */
import { LIVENESS_POLICIES, type LivenessPolicy } from '../liveness/types.js';

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
