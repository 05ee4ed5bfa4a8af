/** Shared CLI plumbing: JSON vs human output, typed errors → stable exit codes. */
import { FaceError } from '../errors.js';
import { printableName } from '../gallery/names.js';

/**
 * Exit codes scripts can rely on (the README's table): 0 match / ok; 1 no match / no face; 2 bad input — any other
 * typed error, usage errors (unknown option or command, missing argument) included; 3 internal error; 4 a face judged
 * not live under `--liveness require` (SPOOF_SUSPECTED).
 */
export const EXIT = {
  ok: 0,
  /** verify/compare: valid input, decision "no match" / identify: nobody recognised / no face in the photo */
  noMatch: 1,
  /** bad input or any typed error other than NO_FACE, usage errors included */
  error: 2,
  /** unexpected internal failure */
  internal: 3,
  /** --liveness require: a face looked like a photo or a screen (SPOOF_SUSPECTED) */
  spoof: 4,
} as const;

/** The exit code of a typed error. */
export function exitCodeOf(code: string): number {
  return code === 'NO_FACE' ? EXIT.noMatch : code === 'SPOOF_SUSPECTED' ? EXIT.spoof : EXIT.error;
}

export interface OutputOptions {
  json?: boolean;
}

export function printResult(opts: OutputOptions, json: unknown, human: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

export function reportError(e: unknown, json: boolean): number {
  if (e instanceof FaceError) {
    if (json) process.stdout.write(`${JSON.stringify({ error: e.toJSON() }, null, 2)}\n`);
    else process.stderr.write(`error [${e.code}]: ${printableName(e.message)}\n`);
    return exitCodeOf(e.code);
  }
  const err = e as Error;
  if (json)
    process.stdout.write(`${JSON.stringify({ error: { code: 'INTERNAL', message: err?.message ?? String(e) } })}\n`);
  else process.stderr.write(`internal error: ${err?.stack ?? String(e)}\n`);
  return EXIT.internal;
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
