/**
 * What reaches `facenet train` from a user's mistake is a typed error (exit 2, no stack trace), never "internal error":
 * resuming a run on other data, and starting from a damaged checkpoint (whose arrays tfjs would have refused with an
 * untyped error). A backend that cannot start is MODEL_LOAD_FAILED.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceError } from '../../src/errors.js';
import { readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { useBackend, type TrainBackend } from '../../src/train/backend.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import { facenet, type CliRun } from '../helpers/cli.js';

const isCode = (code: string) => (e: unknown) => e instanceof FaceError && e.code === code;

/** A typed refusal on the command line: exit 2, the code in --json, no stack trace. */
function refused(r: CliRun, code: string, message: RegExp) {
  assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  assert.equal(r.json?.error?.code, code, r.stdout);
  assert.match(r.json?.error?.message ?? '', message);
  assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at |internal error|INTERNAL/, 'no stack trace');
}

test('a checkpoint cut short (header or arrays) is INVALID_INPUT when read, not a JSON or tfjs error', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-ckpt-'));
  try {
    const file = path.join(dir, 'c.ckpt');
    const w = { shape: [4, 64], data: new Float32Array(256).fill(0.5) };
    await writeCheckpoint(file, {
      header: { note: 'x'.repeat(64) },
      arrays: { params: { w }, state: {}, adamM: {}, adamV: {} },
    });
    assert.deepEqual((await readCheckpoint<{ note: string }>(file)).arrays.params.w.shape, [4, 64]);
    const bytes = readFileSync(file);
    for (const keep of [40, bytes.length - 100, bytes.length - 3]) {
      writeFileSync(file, bytes.subarray(0, keep));
      await assert.rejects(readCheckpoint(file), isCode('INVALID_INPUT'), `cut at ${keep} bytes`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tfjs backend that cannot start is MODEL_LOAD_FAILED', async () => {
  await assert.rejects(useBackend('no-such-backend' as TrainBackend), isCode('MODEL_LOAD_FAILED'));
});

test(
  'facenet train: --resume on other data, and --init from a damaged checkpoint, are typed refusals (exit 2)',
  { skip: needDataset(JOHNS_DIR), timeout: 300_000 },
  () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-train-errors-'));
    try {
      const data = path.join(dir, 'data');
      for (const p of ['John_Simm', 'John_Salley', 'John_Savage'])
        cpSync(path.join(JOHNS_DIR, p), path.join(data, p), { recursive: true });
      const out = path.join(dir, 'out');
      const quick = [
        '--steps',
        '1',
        '--p',
        '2',
        '--k',
        '2',
        '--negatives',
        '0',
        '--val-identities',
        '0',
        '--no-progress',
      ];
      const first = facenet(['train', '--data', JOHNS_DIR, '--out', out, ...quick, '--json'], 180_000);
      assert.equal(first.code, 0, first.stderr);

      refused(
        facenet(['train', '--data', data, '--out', out, '--resume', '--no-progress', '--json']),
        'INVALID_INPUT',
        /other identities/,
      );

      const ckpt = readFileSync(path.join(out, 'checkpoints', 'last.ckpt'));
      const damaged = path.join(dir, 'damaged.ckpt');
      writeFileSync(damaged, ckpt.subarray(0, Math.floor(ckpt.length / 2)));
      const init = ['train', '--data', data, '--out', path.join(dir, 'out2'), '--init', damaged, ...quick, '--json'];
      refused(facenet(init), 'INVALID_INPUT', /damaged training checkpoint/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
