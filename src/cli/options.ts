/**
 * Command-line options as data: a command lists the specs it takes (shared sets from commands/common.ts and
 * commands/gallery-common.ts, or its own), and `addOptions` declares them. A command that needs other words for a
 * shared option keeps the option and changes only its help (`withHelp`), so every command parses it the same way.
 */
import { type Command, Option } from 'commander';

export interface OptionSpec {
  /** Commander's flags: `--min-score <s>`, `--no-flip`, `--cross [flip]`. */
  readonly flags: string;
  readonly help: string;
  readonly default?: string | boolean;
  readonly choices?: readonly string[];
  /** Must be given (commander's requiredOption). */
  readonly required?: boolean;
}

export function addOptions(cmd: Command, specs: readonly OptionSpec[]): Command {
  for (const s of specs) {
    const o = new Option(s.flags, s.help);
    if (s.default !== undefined) o.default(s.default);
    if (s.choices) o.choices(s.choices);
    if (s.required) o.makeOptionMandatory();
    cmd.addOption(o);
  }
  return cmd;
}

/** The same option with other help text (or a default), for a command whose context needs other words. */
export function withHelp(spec: OptionSpec, help: string, extra: Partial<OptionSpec> = {}): OptionSpec {
  return { ...spec, help, ...extra };
}

export const JSON_OPTION: OptionSpec = { flags: '--json', help: 'machine-readable output' };
