/** The one name rule (src/gallery/names.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalName, MAX_NAME_LENGTH, nameProblem, personName, printableName } from '../../src/gallery/names.js';
import { FaceError } from '../../src/errors.js';

test('allowed names come back canonical: NFC, trimmed', () => {
  assert.equal(personName('  José\u0301 '.normalize('NFD')), 'José\u0301'.normalize('NFC'));
  assert.equal(personName('José'.normalize('NFD')), personName('José'.normalize('NFC')));
  for (const ok of [
    'Ada',
    'O\u2019Brien',
    'a/b?c#d%e',
    '...',
    '李小龍',
    '😀'.repeat(MAX_NAME_LENGTH),
    'e\u0301'.repeat(MAX_NAME_LENGTH),
  ])
    assert.equal(nameProblem(canonicalName(ok)), undefined, ok);
});

test('refused: empty, too long, control, zero-width, bidi, separators, . and .., unknown', () => {
  for (const bad of [
    '',
    '   ',
    'x'.repeat(MAX_NAME_LENGTH + 1),
    'bell\u0007',
    'esc\u001b[0m',
    'nul\u0000',
    'tab\there',
    'zw\u200Bsp',
    'zwj\u200D',
    'rlo\u202Eevil',
    'iso\u2066x',
    'b\uFEFFom',
    'line\u2028sep',
    'lone\uD800',
    '.',
    '..',
    'Unknown',
  ])
    assert.throws(
      () => personName(bad),
      (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
      JSON.stringify(bad),
    );
});

test('printableName escapes what a terminal would interpret', () => {
  assert.equal(printableName('a\u001b[2Jb\u0007\u0000'), 'a\\u{1b}[2Jb\\u{7}\\u{0}');
  assert.equal(printableName('José'), 'José');
});
