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

/** Control, format (zero-width, bidi), line and paragraph separator characters: never written raw to a terminal. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/**
 * Text fit for a terminal, whatever it holds (file names, metadata, names, messages): every control or format
 * character but newline and tab shown as a `\u{…}` escape, so no escape sequence, bell or bidi override reaches the
 * terminal (`facenet groups rename 2 $'G\e]0;pwned\a'` once set the terminal's title).
 */
export function terminalText(text: string): string {
  return text.replace(UNPRINTABLE, (c) => (c === '\n' || c === '\t' ? c : `\\u{${c.codePointAt(0)!.toString(16)}}`));
}

/**
 * JSON as the CLI prints it: JSON.stringify escapes C0 controls, but not DEL, C1 controls (U+009B is a CSI on some
 * terminals), bidi or zero-width characters, nor U+2028/2029; those are written as \uXXXX escapes too (still JSON).
 */
export function jsonText(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(UNPRINTABLE, (c) =>
    c === '\n'
      ? c
      : Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}

/** A line (or lines) on stderr, escaped for the terminal. */
export function writeErr(text: string): void {
  process.stderr.write(terminalText(text));
}

/** Text on stdout, escaped for the terminal. */
export function writeOut(text: string): void {
  process.stdout.write(terminalText(text));
}

export function printResult(opts: OutputOptions, json: unknown, human: () => string): void {
  if (opts.json) process.stdout.write(`${jsonText(json)}\n`);
  else writeOut(`${human()}\n`);
}

/**
 * Print an error the way scripts read it (JSON on stdout with --json, one line on stderr otherwise) and return its exit
 * code. Anything untyped is INTERNAL (exit 3); its stack trace is for developers only (FACENET_DEBUG=1).
 */
export function reportError(e: unknown, json: boolean): number {
  const err = asFaceError(e);
  if (json) process.stdout.write(`${jsonText({ error: err.toJSON() })}\n`);
  else if (err.code === 'INTERNAL')
    writeErr(
      `error [INTERNAL]: ${printableName(err.message)} (a bug in facenet: please report it` +
        `${process.env.FACENET_DEBUG ? '' : '; FACENET_DEBUG=1 shows where it happened'})\n`,
    );
  else writeErr(`error [${err.code}]: ${printableName(err.message)}\n`);
  if (process.env.FACENET_DEBUG) {
    const cause = err.cause instanceof Error ? err.cause : err;
    writeErr(`${cause.stack ?? ''}\n`);
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
