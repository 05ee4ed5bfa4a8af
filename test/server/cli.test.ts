/** `facenet keys add | list | revoke` and `facenet serve` as a user runs them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, facenet } from '../helpers/cli.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

test('keys add prints the key once, stores only its hash; list and revoke', { timeout: 120_000 }, (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, 'g.db');
  let r = facenet(['keys', 'add', '--role', 'admin', '--name', 'ops', '--gallery', db, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.json.key, /^fnk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  assert.equal(r.json.role, 'admin');
  const { key, id } = r.json;
  r = facenet(['keys', 'add', '--role', 'recognize', '--gallery', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^fnk_/);
  r = facenet(['keys', 'add', '--role', 'root', '--gallery', db, '--json']);
  assert.equal(r.code, 2);
  assert.equal(r.json.error.code, 'INVALID_INPUT');

  r = facenet(['keys', 'list', '--gallery', db, '--json']);
  assert.equal(r.code, 0);
  assert.equal(r.json.keys.length, 2);
  assert.ok(
    !r.stdout.includes(key.slice('fnk_'.length + 17) /* the secret; base64url may itself contain '_' */),
    'list never shows a key',
  );
  r = facenet(['keys', 'revoke', id, '--gallery', db, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.json.revoked);
  r = facenet(['keys', 'revoke', 'feedfeedfeedfeed', '--gallery', db, '--json']);
  assert.equal(r.code, 2);
  assert.equal(r.json.error.code, 'NOT_FOUND');
  for (const f of ['g.db', 'g.db-wal']) {
    let raw: Buffer;
    try {
      raw = readFileSync(path.join(dir, f));
    } catch {
      continue;
    }
    assert.equal(
      raw.includes(Buffer.from(key.slice('fnk_'.length + 17) /* the secret; base64url may itself contain '_' */)),
      false,
      `${f} holds no clear key`,
    );
  }
});

test('serve --no-auth warns, serves, and stops on SIGTERM', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      'serve',
      '--no-auth',
      '--port',
      String(port),
      '--gallery',
      path.join(dir, 'g.db'),
      '--workers',
      '1',
      '--threads',
      '1',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 90_000;
  while (!/facenet serving/.test(stderr)) {
    if (Date.now() > deadline || child.exitCode !== null) assert.fail(`server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(stderr, /WARNING: --no-auth/);
  const h = (await (await fetch(`http://127.0.0.1:${port}/v1/health`)).json()) as { status: string; auth: boolean };
  assert.deepEqual([h.status, h.auth], ['ok', false]);
  const res = await fetch(`http://127.0.0.1:${port}/v1/people`);
  assert.equal(res.status, 200);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
