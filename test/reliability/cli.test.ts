/**
 * Reliability of the command line, as a script sees it: exit codes exactly as the README's table (0 ok / match,
 * 1 no match / no face, 2 bad input including usage errors, 3 internal), typed errors without stack traces,
 * read-only commands that never create a gallery, and a running server that follows what the CLI changes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, closeSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FaceRecognizer } from '../../src/recognizer.js';
import { SqliteGalleryStore } from '../../src/gallery/store/sqlite/sqlite-store.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import { CLI, facenet, type CliRun } from '../helpers/cli.js';
import { call, chips, form, serve, type Served } from './harness.js';

const skip = needDataset(JOHNS_DIR);

/** A typed refusal: the exit code, the error code in --json, and no stack trace anywhere. */
function refused(r: CliRun, exit: number, code?: string) {
  assert.equal(r.code, exit, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  if (code) assert.equal(r.json?.error?.code, code, r.stdout);
  assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at |internal error/, 'no stack trace');
}

let dir = '';
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'facenet-relcli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('usage errors exit 2 (never 1, which means "no match"); --help exits 0', () => {
  refused(facenet(['verify', 'x.jpg', '--json']), 2, 'INVALID_INPUT'); // missing --as
  refused(facenet(['identfy', 'x.jpg']), 2); // mistyped command
  refused(facenet(['people', '--bogus']), 2); // unknown option
  assert.equal(facenet(['--help']).code, 0);
  assert.equal(facenet(['--version']).code, 0);
});

test('--threads, --max-pixels, --port out of range: INVALID_INPUT, exit 2, before any model loads', () => {
  const img = path.join(dir, 'none.jpg');
  for (const bad of [
    ['--threads', '100000'],
    ['--threads', '-1'],
    ['--threads', '1.5'],
    ['--max-pixels', '0'],
  ])
    refused(facenet(['detect', img, ...bad, '--json']), 2, 'INVALID_INPUT');
  refused(facenet(['serve', '--port', '70000', '--gallery', path.join(dir, 's.db'), '--no-auth']), 2);
  refused(facenet(['serve', '--concurrency', '100000', '--gallery', path.join(dir, 's.db'), '--no-auth']), 2);
});

test('read-only commands never create a gallery or its folders', () => {
  const missing = path.join(dir, 'typo', 'sub', 'g.db');
  for (const args of [
    ['people'],
    ['forget', 'Ada'],
    ['identify', 'x.jpg'],
    ['verify', 'x.jpg', '--as', 'Ada'],
    ['index'],
    ['keys', 'list'],
  ])
    refused(facenet([...args, '--gallery', missing, '--json']), 2, 'GALLERY_NOT_FOUND');
  assert.equal(existsSync(path.join(dir, 'typo')), false, 'no folder was created');
});

test('a damaged gallery file: GALLERY_CORRUPT, exit 2, no stack trace (people and serve)', async () => {
  const file = path.join(dir, 'corrupt.db');
  const store = SqliteGalleryStore.open(file);
  for (let i = 0; i < 300; i++)
    await store.enroll({
      name: `person ${i} ${'x'.repeat(60)}`,
      templates: [
        {
          modelId: 'm',
          embedding: new Float32Array(128).fill(i / 300),
          sourceSha256: `${i}`,
          detectionScore: 1,
          faceSize: 100,
        },
      ],
    });
  await store.close();
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(Math.floor(size / 2), 0x5a), 0, Math.floor(size / 2), Math.floor(size / 4));
  closeSync(fd);
  refused(facenet(['people', '--gallery', file, '--json']), 2, 'GALLERY_CORRUPT');
  refused(facenet(['people', '--gallery', file]), 2);
  refused(facenet(['serve', '--gallery', file, '--no-auth', '--workers', '0', '--port', '0']), 2);
});

test('people never writes control characters raw (names stored before the name rule)', async () => {
  const file = path.join(dir, 'legacy.db');
  const store = SqliteGalleryStore.open(file);
  await store.enroll({
    name: 'Plain',
    templates: [
      { modelId: 'm', embedding: new Float32Array(128).fill(0.1), sourceSha256: 'a', detectionScore: 1, faceSize: 100 },
    ],
  });
  await store.close();
  const db = new Database(file);
  db.prepare('UPDATE people SET name = ?').run('evil\u001b[2J\u0007\u0000name');
  db.close();
  const r = facenet(['people', '--gallery', file]);
  assert.equal(r.code, 0, r.stderr);
  // eslint-disable-next-line no-control-regex -- the output must hold no raw control characters
  assert.doesNotMatch(r.stdout, /[\u0000-\u0008\u000b-\u001f\u007f]/);
  assert.match(r.stdout, /evil\\u\{1b\}\[2J\\u\{7\}\\u\{0\}name/);
});

test('a port in use: INVALID_INPUT, exit 2, no stack trace', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const r = facenet([
      'serve',
      '--port',
      String(port),
      '--gallery',
      path.join(dir, 'p.db'),
      '--no-auth',
      '--workers',
      '0',
    ]);
    refused(r, 2);
    assert.match(r.stderr, /in use/);
  } finally {
    blocker.close();
  }
});

test(
  'two processes: the CLI forgets (and enrolls), the running server follows within 1 s',
  { skip, timeout: 180_000 },
  async () => {
    const fr = await FaceRecognizer.load({ threads: 1 });
    let s: Served | undefined;
    try {
      s = await serve(fr);
      const simm = chips('John_Simm');
      const enrolled = await call(s.base, 'POST', '/v1/people', {
        key: s.admin,
        body: form({ name: 'John Simm', aligned: 'true' }, readFileSync(simm[0])),
      });
      assert.equal(enrolled.status, 201, enrolled.text);
      const identify = async (photo: string) =>
        (
          await call(s!.base, 'POST', '/v1/identify', {
            key: s!.recognize,
            body: form({ aligned: 'true' }, readFileSync(photo)),
          })
        ).json.faces[0].person;
      assert.equal(await identify(simm[1]), 'John Simm');

      const forgot = facenet(['forget', 'John Simm', '--gallery', s.file, '--json']);
      assert.equal(forgot.code, 0, forgot.stderr);
      assert.equal(await identify(simm[1]), 'unknown', 'the very next answer already follows the forget');
      const v = await call(s.base, 'POST', '/v1/verify', {
        key: s.recognize,
        body: form({ name: 'John Simm', aligned: 'true' }, readFileSync(simm[1])),
      });
      assert.equal(v.json.error.code, 'PERSON_NOT_FOUND', 'verify and identify agree');

      // the harness opens the gallery with the FaceRecognizer itself (the pack's TTA), as the CLI does: no
      // MODEL_MISMATCH, no TTA flags to match
      const cli = facenet([
        'enroll',
        'John Savage',
        chips('John_Savage')[0],
        '--aligned',
        '--gallery',
        s.file,
        '--json',
      ]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.equal(await identify(chips('John_Savage')[1]), 'John Savage');
    } finally {
      await s?.close();
      await fr.close();
    }
  },
);

test('--log never writes query strings or keys', { skip, timeout: 120_000 }, async () => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      'serve',
      '--log',
      '--port',
      '0',
      '--no-auth',
      '--workers',
      '0',
      '--gallery',
      path.join(dir, 'log.db'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 90_000);
      const poll = setInterval(() => {
        const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(t);
          clearInterval(poll);
          resolve(m[1]);
        }
      }, 100);
    });
    await fetch(`${url}/v1/health?key=fnk_SECRET_in_query`, {
      headers: { 'x-api-key': 'fnk_SECRET_in_header', authorization: 'Bearer fnk_SECRET_bearer' },
    });
    await fetch(`${url}/v1/nothing?api_key=fnk_SECRET_404`);
    // a person's name in a path is not logged either (a log outlives a forget)
    await fetch(`${url}/v1/people/Zelda%20SECRET`, { method: 'DELETE' });
    await fetch(`${url}/v1/peple/x/people/Zelda%20SECRET`);
    await new Promise((r) => setTimeout(r, 300));
    assert.match(out, /\/v1\/health/);
    assert.match(out, /\/v1\/people\/:name/);
    assert.doesNotMatch(out, /SECRET/);
  } finally {
    child.kill('SIGTERM');
  }
});
