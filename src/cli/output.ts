/** Shared CLI plumbing: JSON vs human output, typed errors → stable exit codes. */
import { asFaceError } from '../errors.js';
import { printableName } from '../gallery/names.js';

/**
 * Exit codes scripts can rely on (the README's table): 0 match / ok; 1 no match / no face; 2 bad input — any other
 * typed error, usage errors (unknown option or command, missing argument) included; 3 internal error.
 */
export const EXIT = {
  ok: 0,
  /** verify/compare: valid input, decision "no match" / identify: nobody recognised / no face in the photo */
  noMatch: 1,
  /** bad input or any typed error other than NO_FACE, usage errors included */
  error: 2,
  /** a bug: an internal check failed or something untyped was thrown (error code INTERNAL) */
  internal: 3,
} as const;

export interface OutputOptions {
  json?: boolean;
}

export function printResult(opts: OutputOptions, json: unknown, human: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

/**
 * Print an error the way scripts read it (JSON on stdout with --json, one line on stderr otherwise) and return its exit
 * code. Anything untyped is INTERNAL (exit 3); its stack trace is for developers only (FACENET_DEBUG=1).
 */
export function reportError(e: unknown, json: boolean): number {
  const err = asFaceError(e);
  if (json) process.stdout.write(`${JSON.stringify({ error: err.toJSON() }, null, 2)}\n`);
  else if (err.code === 'INTERNAL')
    process.stderr.write(
      `error [INTERNAL]: ${printableName(err.message)} (a bug in facenet: please report it` +
        `${process.env.FACENET_DEBUG ? '' : '; FACENET_DEBUG=1 shows where it happened'})\n`,
    );
  else process.stderr.write(`error [${err.code}]: ${printableName(err.message)}\n`);
  if (process.env.FACENET_DEBUG) {
    const cause = err.cause instanceof Error ? err.cause : err;
    process.stderr.write(`${cause.stack ?? ''}\n`);
  }
  return err.code === 'INTERNAL' ? EXIT.internal : err.code === 'NO_FACE' ? EXIT.noMatch : EXIT.error;
}

/** Wrap a command action: sets process.exitCode from the result or the error. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    // commander passes (…positional, options, command); --json lives on the options object
    const opts = args.find((a, i) => i === args.length - 2 && typeof a === 'object' && a !== null) as
      OutputOptions | undefined;
    try {
      const code = await fn(...args);
      process.exitCode = code ?? EXIT.ok;
    } catch (e) {
      process.exitCode = reportError(e, !!opts?.json);
    }
  };
}
