/**
 * `facenet serve`'s liveness options: the server-wide default policies (src/server/liveness-defaults.ts), which a
 * recognize key may tighten per request but not loosen, and the threshold of the check.
 */
import type { ServerLiveness } from '../../server/liveness-defaults.js';
import { DEFAULT_SERVER_LIVENESS } from '../../server/liveness-defaults.js';
import { livenessFlag } from '../flags.js';
import type { OptionSpec } from '../options.js';
import { LIVENESS_THRESHOLD_OPTION, livenessOption, type LivenessFlags } from './liveness-options.js';

export interface ServeLivenessFlags extends LivenessFlags {
  enrollLiveness?: string;
}

export const SERVE_LIVENESS_OPTIONS: readonly OptionSpec[] = [
  livenessOption(
    'verify and identify',
    'default passive liveness check of verify and identify: off, ' +
      `warn (flag; default ${DEFAULT_SERVER_LIVENESS.verify}), require (refuse: a camera deployment, a door); ` +
      'a recognize key may only tighten it per request',
  ),
  {
    ...livenessOption('enrollment'),
    flags: '--enroll-liveness <policy>',
    help:
      `default liveness check of enrollment (default ${DEFAULT_SERVER_LIVENESS.enroll}: an ID photo is a photo); ` +
      'require where enrollment comes from a camera',
  },
  LIVENESS_THRESHOLD_OPTION,
];

/** The policies the flags set (verify and identify together, enrollment apart); the others keep their defaults. */
export function serveLivenessOf(flags: ServeLivenessFlags): Partial<ServerLiveness> {
  const checked = livenessFlag('liveness', flags.liveness);
  const enroll = livenessFlag('enroll-liveness', flags.enrollLiveness);
  return {
    ...(checked ? { verify: checked, identify: checked } : {}),
    ...(enroll ? { enroll } : {}),
  };
}
