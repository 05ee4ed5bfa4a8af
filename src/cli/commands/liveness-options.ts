/**
 * The liveness options (src/liveness) of the commands that judge faces (detect, verify, identify, enroll) and of
 * serve: `--liveness off|warn|require` and `--liveness-threshold`, declared and read the same way everywhere.
 */
import type { Command } from 'commander';
import { LIVENESS_THRESHOLD } from '../../pack/liveness.js';
import { LIVENESS_POLICIES, type LivenessPolicy } from '../../liveness/types.js';
import { livenessFlag } from '../flags.js';
import { addOptions, type OptionSpec } from '../options.js';

export interface LivenessFlags {
  liveness?: string;
  /** Read by recognizerOptions (common.ts), which hands it to the pipeline's liveness stage. */
  livenessThreshold?: string;
}

/** `--liveness`, with what the command judges in its help (`every face`, `the verified face`, …). */
export function livenessOption(what: string, help?: string): OptionSpec {
  return {
    flags: '--liveness <policy>',
    help:
      help ??
      `passive liveness check of ${what}: off (default), warn (flag faces that look like a photo or a screen), ` +
        'require (refuse them: SPOOF_SUSPECTED, exit 4)',
    choices: LIVENESS_POLICIES,
  };
}

export const LIVENESS_THRESHOLD_OPTION: OptionSpec = {
  flags: '--liveness-threshold <t>',
  help: `live iff the liveness score is at least this, from 0 to 1 (default ${LIVENESS_THRESHOLD}; docs/liveness.md)`,
};

/** --liveness and --liveness-threshold on a command that judges `what`. */
export function withLivenessOptions(cmd: Command, what: string): Command {
  return addOptions(cmd, [livenessOption(what), LIVENESS_THRESHOLD_OPTION]);
}

/** The --liveness policy; undefined when absent (the command's default applies: off on the command line). */
export function livenessOf(flags: LivenessFlags): LivenessPolicy | undefined {
  return livenessFlag('liveness', flags.liveness);
}
