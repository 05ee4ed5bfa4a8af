/**
 * The rest of issue 20's probes, as a user or a caller meets them: `packs add` never writes through a link at the
 * destination (4), `acceptLicense` takes only a boolean (8), a failed first enroll leaves no gallery (9), and the keys
 * of an unreachable PostgreSQL gallery are an error, not a fresh empty keys file (9).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FaceRecognizer } from '../../src/recognizer.js';
import { MODEL_FILES } from '../../src/pack/packs.js';
import { DETECTION_DIR, MODELS_DIR, needDataset, needModel } from '../helpers/datasets.js';
import { facenet, type CliRun } from '../helpers/cli.js';

let dir = '';
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'facenet-relin-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function refused(r: CliRun, exit: number, code: string) {
  assert.equal(r.code, exit, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  assert.equal(r.json?.error?.code, code, r.stdout);
  assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at /, 'no stack trace');
}

// a file that `packs add` copies (YuNet ships in the package, so it would be "already present")
const scrfd = MODEL_FILES.scrfd25g;
const scrfdDir = scrfd.path.split('/')[0];
const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

test(
  'packs add replaces a link at the destination; the file it pointed to is untouched',
  { skip: needModel(path.join(MODELS_DIR, scrfd.path)) },
  () => {
    const dest = path.join(dir, 'dest');
    const outside = path.join(dir, 'outside');
    mkdirSync(path.join(dest, scrfdDir), { recursive: true });
    mkdirSync(outside);
    const victim = path.join(outside, 'precious.txt');
    writeFileSync(victim, 'precious, not a model');
    const link = path.join(dest, ...scrfd.path.split('/'));
    symlinkSync(victim, link);
    const r = facenet(['packs', 'add', MODELS_DIR, '--models', dest, '--pack', 'edgeface-xs', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(readFileSync(victim, 'utf8'), 'precious, not a model', 'the outside file is untouched');
    assert.ok(lstatSync(link).isFile() && !lstatSync(link).isSymbolicLink(), 'the link was replaced by the file');
    assert.equal(sha256(link), scrfd.sha256);
    assert.deepEqual(readdirSync(path.join(dest, scrfdDir)), [path.basename(link)], 'no temporary file left');
  },
);

test(
  'packs add refuses a linked folder on the way, before writing anything',
  { skip: needModel(path.join(MODELS_DIR, scrfd.path)) },
  () => {
    const dest = path.join(dir, 'dest2');
    const outside = path.join(dir, 'outside2');
    mkdirSync(dest);
    mkdirSync(outside);
    symlinkSync(outside, path.join(dest, scrfdDir));
    const r = facenet(['packs', 'add', MODELS_DIR, '--models', dest, '--pack', 'edgeface-xs', '--json']);
    refused(r, 2, 'INVALID_INPUT');
    assert.match(r.json.error.message, /symbolic link/);
    assert.deepEqual(readdirSync(outside), [], 'nothing written outside the models folder');
  },
);

test('acceptLicense takes only a boolean: the string "false" (or "true", or 1) is INVALID_INPUT', async (t) => {
  const saved = process.env.FACENET_ACCEPT_LICENSE;
  delete process.env.FACENET_ACCEPT_LICENSE;
  t.after(() => {
    if (saved !== undefined) process.env.FACENET_ACCEPT_LICENSE = saved;
  });
  for (const bad of ['false', 'true', 1, 'yes', null, {}])
    for (const pack of ['edgeface-xs', 'dlib128'])
      await assert.rejects(
        FaceRecognizer.load({ pack, models: MODELS_DIR, acceptLicense: bad as unknown as boolean }),
        { code: 'INVALID_INPUT', message: /acceptLicense must be the boolean true/ },
        `${pack} ${JSON.stringify(bad)}`,
      );
  await assert.rejects(FaceRecognizer.load({ pack: 'edgeface-xs', models: MODELS_DIR, acceptLicense: false }), {
    code: 'LICENSE_NOT_ACCEPTED',
  });
});

test(
  'a failed first enroll leaves no gallery file or folder: a later read is GALLERY_NOT_FOUND',
  { skip: needDataset(DETECTION_DIR) },
  () => {
    const gallery = path.join(dir, 'typo', 'sub', 'g.db');
    refused(
      facenet(['enroll', 'Ada', path.join(dir, 'no-such-photo.jpg'), '--gallery', gallery, '--json']),
      2,
      'IMAGE_NOT_FOUND',
    );
    assert.equal(existsSync(path.join(dir, 'typo')), false, 'no folder');
    // a photo with no face: NO_FACE (exit 1), and still no gallery
    const dog = path.join(DETECTION_DIR, 'no_faces', 'dog.jpg');
    refused(facenet(['enroll', 'Ada', dog, '--gallery', gallery, '--json']), 1, 'NO_FACE');
    assert.equal(existsSync(path.join(dir, 'typo')), false, 'no folder');
    refused(facenet(['identify', dog, '--gallery', gallery, '--json']), 2, 'GALLERY_NOT_FOUND');
  },
);

test('keys and serve with an unreachable PostgreSQL gallery: GALLERY_ERROR, exit 2, no ./facenet-keys.db', () => {
  const cwd = path.join(dir, 'cwd');
  mkdirSync(cwd);
  const url = 'postgres://nobody@127.0.0.1:1/facenet';
  for (const args of [
    ['keys', 'list'],
    ['keys', 'add', '--role', 'admin'],
    ['keys', 'revoke', 'abc'],
  ])
    refused(facenet([...args, '--gallery', url, '--json'], 60_000, undefined, cwd), 2, 'GALLERY_ERROR');
  const served = facenet(['serve', '--gallery', url, '--workers', '0', '--port', '0'], 120_000, undefined, cwd);
  assert.equal(served.code, 2, served.stderr);
  assert.match(served.stderr, /GALLERY_ERROR/);
  assert.deepEqual(readdirSync(cwd), [], 'no keys file was created');
  refused(facenet(['keys', 'list', '--gallery', url, '--json'], 60_000, undefined, cwd), 2, 'GALLERY_ERROR');
});
