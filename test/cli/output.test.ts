/** What the CLI writes is escaped for a terminal, in human and in JSON output alike. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonText, terminalText } from '../../src/cli/output.js';

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
