/**
 * The one rule for a person's name, applied by the library (Gallery, stores) and so by every surface.
 *
 * A name is stored in Unicode NFC, trimmed, 1–MAX_NAME_LENGTH code points, with no control, format (zero-width,
 * bidi override, BOM, soft hyphen), line/paragraph separator or unpaired surrogate characters, and is not `.` or
 * `..` (URL path normalisation would make those unaddressable) nor `unknown` (the open-set answer).
 * NFC makes `José` typed on a Mac (NFD) and on Linux (NFC) the same person; the character bans keep look-alike
 * names and terminal escapes out. Every name the rule allows round-trips through a percent-encoded URL path segment.
 */
import { FaceError } from '../errors.js';

/**
 * Longest name, in code points. A route parameter carries it percent-encoded: at most 12 ASCII bytes per code point.
 */
export const MAX_NAME_LENGTH = 100;
/** The longest percent-encoded name a URL path parameter must carry. */
export const MAX_ENCODED_NAME_LENGTH = MAX_NAME_LENGTH * 12;

/** Control (Cc), format (Cf: zero-width, bidi), line/paragraph separators and lone surrogates. */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/** The form names are compared and looked up in: NFC, trimmed. Never throws. */
export function canonicalName(name: string): string {
  return String(name).normalize('NFC').trim();
}

/** Why `name` (already canonical) breaks the rule, or undefined when it is a valid name for a new person. */
export function nameProblem(name: string): string | undefined {
  if (!name) return 'a person needs a non-empty name';
  const length = [...name].length;
  if (length > MAX_NAME_LENGTH) return `a name has at most ${MAX_NAME_LENGTH} characters (this one has ${length})`;
  const bad = FORBIDDEN.exec(name);
  if (bad)
    return (
      'a name cannot contain control, zero-width or bidi characters (found ' +
      `U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`
    );
  if (name === '.' || name === '..') return `"${name}" cannot be a name: URL paths normalise it away`;
  if (name.toLowerCase() === 'unknown') return '"unknown" is reserved for unrecognised faces; choose another name';
  return undefined;
}

/** The canonical form of a name for a new person; INVALID_INPUT when it breaks the rule. */
export function personName(name: string): string {
  const c = canonicalName(name);
  const problem = nameProblem(c);
  if (problem) throw new FaceError('INVALID_INPUT', problem, { rule: 'name' });
  return c;
}

/**
 * A stored name fit for a terminal: forbidden characters shown as \u{…} escapes (stored names predating the rule may
 * hold them).
 */
export function printableName(name: string): string {
  return name.replace(new RegExp(FORBIDDEN.source, 'gu'), (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
