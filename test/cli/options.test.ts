/** `--help` lists only options that do something on that command, and serve takes the pipeline options it lists. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.ts');
const facenet = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
const listed = (command: string) =>
  new Set([...facenet([command, '--help']).stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]));

test(
  'detect lists detection options only; index lists the options that choose the templates',
  { timeout: 120_000 },
  () => {
    const detect = listed('detect');
    for (const o of [
      '--json',
      '--threads',
      '--min-score',
      '--min-face-size',
      '--detect-size',
      '--max-pixels',
      '--no-landmarks',
    ])
      assert.ok(detect.has(o), `detect ${o}`);
    for (const o of ['--model', '--no-flip', '--crops', '--aligned'])
      assert.ok(!detect.has(o), `detect must not list ${o}`);
    const index = listed('index');
    for (const o of ['--json', '--gallery', '--model', '--no-flip', '--crops']) assert.ok(index.has(o), `index ${o}`);
    for (const o of ['--aligned', '--min-score', '--min-face-size', '--detect-size', '--threads', '--combination'])
      assert.ok(!index.has(o), `index must not list ${o}`);
    assert.ok(!listed('enroll').has('--combination'), 'enroll matches nobody: no --combination');
    const calibrate = listed('calibrate');
    for (const o of ['--model', '--crops', '--min-score', '--lfw', '--pairs', '--cross'])
      assert.ok(calibrate.has(o), `calibrate ${o}`);
    for (const o of ['--no-flip', '--aligned'])
      assert.ok(!calibrate.has(o), `calibrate calibrates both flip variants and detects faces: no ${o}`);
  },
);

test(
  'serve lists and parses the pipeline options (a bad value is a typed error, not an unknown option)',
  { timeout: 120_000 },
  () => {
    const serve = listed('serve');
    for (const o of [
      '--crops',
      '--min-score',
      '--min-face-size',
      '--detect-size',
      '--no-flip',
      '--model',
      '--threads',
      '--max-pixels',
    ])
      assert.ok(serve.has(o), `serve ${o}`);
    const r = facenet([
      'serve',
      '--no-auth',
      '--port',
      '0',
      '--crops',
      'none',
      '--min-score',
      '0.5',
      '--detect-size',
      'sideways',
    ]);
    assert.doesNotMatch(r.stderr, /unknown option/);
    assert.match(r.stdout + r.stderr, /--detect-size expects enlarge or native/);
  },
);
