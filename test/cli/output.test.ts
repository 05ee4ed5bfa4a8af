/**
 * One mapping of errors to exit codes: typed ones by code, anything else INTERNAL (exit 3), never a stack trace; and
 * what the CLI writes is escaped for a terminal, in human and in JSON output alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT, jsonText, reportError, terminalText } from '../../src/cli/output.js';
import { FaceError, invariant } from '../../src/errors.js';
import { httpStatus } from '../../src/server/errors.js';

/** What reportError writes to stdout and stderr, and its exit code. */
function report(e: unknown, json: boolean): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  const debug = process.env.FACENET_DEBUG;
  delete process.env.FACENET_DEBUG;
  try {
    return { code: reportError(e, json), out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    if (debug !== undefined) process.env.FACENET_DEBUG = debug;
  }
}

test('an untyped error and a failed invariant are INTERNAL: exit 3, code INTERNAL, no stack trace', () => {
  let failed: unknown;
  try {
    invariant(1 > 2, 'one is not above two');
  } catch (e) {
    failed = e;
  }
  for (const e of [new TypeError('x is undefined'), failed]) {
    const text = report(e, false);
    assert.equal(text.code, EXIT.internal);
    assert.match(text.err, /^error \[INTERNAL\]: /);
    assert.doesNotMatch(text.err, /\n\s+at /, 'no stack trace');
    const json = report(e, true);
    assert.equal(json.code, EXIT.internal);
    assert.equal(JSON.parse(json.out).error.code, 'INTERNAL');
  }
  assert.equal(httpStatus('INTERNAL'), 500);
});

test('typed errors keep their exit codes: NO_FACE 1, any other 2', () => {
  assert.equal(report(new FaceError('NO_FACE', 'none'), false).code, EXIT.noMatch);
  assert.equal(report(new FaceError('INVALID_INPUT', 'bad'), true).code, EXIT.error);
});

const hostile = 'G\u001b]0;pwned\u0007 \u009b2J \u202eevil\u200b \u2028 \u0000 é😀';

test('terminalText: every control or format character but newline and tab is a \\u{…} escape', () => {
  assert.equal(
    terminalText(`${hostile}\nnext\tcol`),
    'G\\u{1b}]0;pwned\\u{7} \\u{9b}2J \\u{202e}evil\\u{200b} \\u{2028} \\u{0} é😀\nnext\tcol',
  );
});

test('jsonText: still JSON, with DEL, C1, bidi, zero-width and U+2028 escaped as well', () => {
  const text = jsonText({ name: hostile, n: 1 });
  assert.deepEqual(JSON.parse(text), { name: hostile, n: 1 });
  assert.ok(!/[^\P{Cc}\n]|\p{Cf}|\u2028/u.test(text), text);
  assert.match(text, /\\u009b2J \\u202eevil\\u200b \\u2028/);
  assert.equal(jsonText({ a: 1 }, 0), '{"a":1}');
});
