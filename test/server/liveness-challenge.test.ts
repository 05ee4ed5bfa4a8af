/**
 * The active liveness check over real HTTP with the real pipeline: a challenge, its answer from real photos
 * (test/helpers/challenge-photos.ts), the token on verify and enroll (once, within its time, for the face that earned
 * it), a server that requires tokens, and bad answers (out of order, several faces, no face, corrupt, too many,
 * unknown or answered challenge, after the deadline).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { FaceRecognizer } from '../../src/recognizer.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { buildServer, type ChallengeServerOptions } from '../../src/server/app.js';
import { ServerDb } from '../../src/server/keys.js';
import { DETECTION_DIR, JOHNS_DIR, LFW_DIR, needDataset } from '../helpers/datasets.js';
import { answerPhotos, CHALLENGE_PHOTOS, TEST_ACTIONS } from '../helpers/challenge-photos.js';
import type { LooseJson } from '../helpers/loose-json.js';

const skip = needDataset(LFW_DIR) || needDataset(JOHNS_DIR) || needDataset(DETECTION_DIR);
let dir = '';
let fr: FaceRecognizer;
const servers: { app: FastifyInstance; gallery: Gallery; db: ServerDb }[] = [];
const clock = { t: Date.now() };

async function serve(challenge: ChallengeServerOptions = {}) {
  const file = path.join(dir, `g${servers.length}.db`);
  const db = ServerDb.open(file);
  const gallery = await Gallery.open({ location: file, recognizer: fr });
  const app = await buildServer({
    gallery,
    recognizer: fr,
    db,
    auth: true,
    challenge: { now: () => clock.t, challenge: { choose: () => TEST_ACTIONS }, ...challenge },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  servers.push({ app, gallery, db });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return { base, admin: db.addKey('admin', 'test').key };
}

async function call(base: string, url: string, key: string, body: unknown) {
  const res = await fetch(`${base}${url}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as LooseJson };
}

const b64 = (file: string) => readFileSync(file).toString('base64');
const frames = (files: readonly string[]) => ({ frames: files.map((f, i) => ({ t: i * 167, image: b64(f) })) });

async function challenge(base: string, key: string): Promise<string> {
  const r = await call(base, '/v1/liveness/challenge', key, undefined);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json.id;
}

/** A challenge answered with these frames (a body, or photo files). */
async function answer(base: string, key: string, body: unknown) {
  const id = await challenge(base, key);
  return call(base, `/v1/liveness/challenge/${id}/frames`, key, body);
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(tmpdir(), 'facenet-liveness-'));
  fr = await FaceRecognizer.load({ threads: 1 });
});

after(async () => {
  for (const s of servers) await s.app.close();
  for (const s of servers) {
    await s.gallery.close();
    s.db.close();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'a challenge answered by a person earns a token; verify and enroll take it once',
  { skip, timeout: 600_000 },
  async () => {
    const { base, admin } = await serve();
    const c = await call(base, '/v1/liveness/challenge', admin, undefined);
    assert.deepEqual(c.json.actions, TEST_ACTIONS);
    assert.equal(c.json.prompts[0], 'Turn your head a little to your left, then back');
    assert.equal(c.json.thresholds.turnDegrees, 15);
    assert.ok(Date.parse(c.json.deadline) > clock.t);

    // enroll him with a token, then verify him with another
    const passed = await call(
      base,
      `/v1/liveness/challenge/${c.json.id}/frames`,
      admin,
      frames(answerPhotos(TEST_ACTIONS)),
    );
    assert.equal(passed.status, 200, JSON.stringify(passed.json));
    assert.equal(passed.json.passed, true, passed.json.message);
    assert.deepEqual(
      passed.json.seen.map((s: LooseJson) => s.action),
      TEST_ACTIONS,
    );
    assert.equal(passed.json.passive.run, false);
    const enroll = { name: 'George', image: b64(CHALLENGE_PHOTOS.another), livenessToken: passed.json.livenessToken };
    let r = await call(base, '/v1/people', admin, enroll);
    assert.equal(r.status, 201, JSON.stringify(r.json));
    // spent: the same token again
    r = await call(base, '/v1/people/George/faces', admin, enroll);
    assert.equal(r.json.error.code, 'LIVENESS_TOKEN_USED');
    assert.equal(r.status, 403);

    const again = await answer(base, admin, frames(answerPhotos(TEST_ACTIONS)));
    const token = again.json.livenessToken;
    // a token earned by him does not admit a photo of someone else; it is spent by the attempt
    const stranger = path.join(JOHNS_DIR, 'John_Savage', readdirSync(path.join(JOHNS_DIR, 'John_Savage')).sort()[0]);
    r = await call(base, '/v1/verify', admin, { name: 'George', image: b64(stranger), livenessToken: token });
    assert.equal(r.json.error.code, 'LIVENESS_FACE_MISMATCH', JSON.stringify(r.json));
    r = await call(base, '/v1/verify', admin, {
      name: 'George',
      image: b64(CHALLENGE_PHOTOS.another),
      livenessToken: token,
    });
    assert.equal(r.json.error.code, 'LIVENESS_TOKEN_USED');

    const third = await answer(base, admin, frames(answerPhotos(TEST_ACTIONS)));
    r = await call(base, '/v1/verify', admin, {
      name: 'George',
      image: b64(CHALLENGE_PHOTOS.facing),
      livenessToken: third.json.livenessToken,
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.match, true);

    // expired: a token used after its two minutes
    const fourth = await answer(base, admin, frames(answerPhotos(TEST_ACTIONS)));
    clock.t += 120_001;
    r = await call(base, '/v1/verify', admin, {
      name: 'George',
      image: b64(CHALLENGE_PHOTOS.facing),
      livenessToken: fourth.json.livenessToken,
    });
    assert.equal(r.json.error.code, 'LIVENESS_TOKEN_EXPIRED');
    r = await call(base, '/v1/verify', admin, {
      name: 'George',
      image: b64(CHALLENGE_PHOTOS.facing),
      livenessToken: 'flt_x',
    });
    assert.equal(r.json.error.code, 'LIVENESS_TOKEN_INVALID');
  },
);

test('a still photo, or the actions in another order, earns nothing', { skip, timeout: 300_000 }, async () => {
  const { base, admin } = await serve();
  const still = await answer(base, admin, frames(Array(20).fill(CHALLENGE_PHOTOS.facing)));
  assert.equal(still.status, 200);
  assert.equal(still.json.passed, false);
  assert.equal(still.json.failure, 'missing-action');
  assert.equal(still.json.livenessToken, undefined);
  const other = await answer(base, admin, frames(answerPhotos(['turn-right', 'blink', 'turn-left', 'turn-left'])));
  assert.equal(other.json.passed, false);
  assert.equal(other.json.failure, 'wrong-action');
  assert.match(other.json.message, /Step 1 asked for a turn to the left and saw a turn to the right/);
});

test('with --require-liveness, verify and enroll need a token', { skip, timeout: 300_000 }, async () => {
  const { base, admin } = await serve({ requireToken: true });
  let r = await call(base, '/v1/people', admin, { name: 'George', image: b64(CHALLENGE_PHOTOS.another) });
  assert.equal(r.json.error.code, 'LIVENESS_TOKEN_REQUIRED');
  r = await call(base, '/v1/verify', admin, { name: 'George', image: b64(CHALLENGE_PHOTOS.another) });
  assert.equal(r.json.error.code, 'LIVENESS_TOKEN_REQUIRED');
  const passed = await answer(base, admin, frames(answerPhotos(TEST_ACTIONS)));
  r = await call(base, '/v1/people', admin, {
    name: 'George',
    image: b64(CHALLENGE_PHOTOS.another),
    livenessToken: passed.json.livenessToken,
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
});

test('bad answers: typed errors naming the problem (and the frame)', { skip, timeout: 300_000 }, async () => {
  const { base, admin } = await serve({ maxFrames: 40 });
  const good = frames(answerPhotos(TEST_ACTIONS));
  const expect = async (body: unknown, status: number, code: string, frame?: number) => {
    const r = await answer(base, admin, body);
    assert.equal(r.json.error?.code, code, JSON.stringify(r.json));
    assert.equal(r.status, status);
    if (frame !== undefined) assert.equal(r.json.error.details.frame, frame);
    return r;
  };
  const swapped = structuredClone(good);
  swapped.frames[5].t = swapped.frames[4].t;
  await expect(swapped, 400, 'FRAMES_OUT_OF_ORDER', 6);
  const group = structuredClone(good);
  group.frames[7].image = b64(path.join(DETECTION_DIR, 'dlib_faces', '2008_001322.jpg'));
  await expect(group, 422, 'MULTIPLE_FACES', 8);
  // one frame over the 512 KiB limit
  const big = structuredClone(good);
  big.frames[7].image = b64(path.join(DETECTION_DIR, 'dlib_faces', 'bald_guys.jpg'));
  await expect(big, 413, 'BODY_TOO_LARGE', 8);
  await expect(frames(Array(5).fill(path.join(DETECTION_DIR, 'no_faces', 'dog.jpg'))), 422, 'NO_FACE');
  const corrupt = structuredClone(good);
  corrupt.frames[2].image = Buffer.from('not a jpeg at all').toString('base64');
  await expect(corrupt, 415, 'IMAGE_UNSUPPORTED', 3);
  const notBase64 = structuredClone(good);
  notBase64.frames[1].image = '%%%';
  await expect(notBase64, 400, 'INVALID_INPUT', 2);
  await expect(frames(Array(41).fill(CHALLENGE_PHOTOS.facing)), 400, 'INVALID_INPUT');
  await expect({ frames: 'none' }, 400, 'INVALID_INPUT');
  await expect({ frames: [{ t: 'soon', image: good.frames[0].image }, ...good.frames.slice(1)] }, 400, 'INVALID_INPUT');

  // an unknown challenge; an answered one; one answered after its deadline
  let r = await call(base, '/v1/liveness/challenge/nope/frames', admin, good);
  assert.equal(r.json.error.code, 'CHALLENGE_NOT_FOUND');
  assert.equal(r.status, 404);
  const id = await challenge(base, admin);
  r = await call(base, `/v1/liveness/challenge/${id}/frames`, admin, frames(Array(5).fill(CHALLENGE_PHOTOS.facing)));
  assert.equal(r.status, 200);
  r = await call(base, `/v1/liveness/challenge/${id}/frames`, admin, good);
  assert.equal(r.json.error.code, 'CHALLENGE_NOT_FOUND');
  const late = await challenge(base, admin);
  clock.t += 30_001;
  r = await call(base, `/v1/liveness/challenge/${late}/frames`, admin, good);
  assert.equal(r.json.error.code, 'CHALLENGE_EXPIRED');
  assert.equal(r.status, 410);
});
