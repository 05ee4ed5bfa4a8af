/**
 * The liveness policy over real HTTP: server defaults (warn for verify and identify, off for enrollment), the
 * per-request field (a recognize key may only tighten it), SPOOF_SUSPECTED as 422, and nothing enrolled on a
 * refusal. Real networks (the default pack) on the anti-spoofing repository's own samples (scripts/antispoof-data.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { FaceRecognizer } from '../../src/recognizer.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { galleryRecognizer } from '../../src/gallery/face-source.js';
import { buildServer } from '../../src/server/app.js';
import { ServerDb } from '../../src/server/keys.js';
import type { ServerLiveness } from '../../src/server/liveness-defaults.js';
import { ASSEMBLE_HINT, needFile, SILENT_FACE_SAMPLES } from '../helpers/antispoof-data.js';

const skip =
  needFile(SILENT_FACE_SAMPLES.live, ASSEMBLE_HINT) ||
  needFile(SILENT_FACE_SAMPLES.replay, ASSEMBLE_HINT) ||
  needFile(SILENT_FACE_SAMPLES.print, ASSEMBLE_HINT);
let dir = '';
let fr: FaceRecognizer;
const servers: { app: FastifyInstance; gallery: Gallery; db: ServerDb }[] = [];

async function serve(liveness?: Partial<ServerLiveness>) {
  const file = path.join(dir, `g${servers.length}.db`);
  const db = ServerDb.open(file);
  const gallery = await Gallery.open({ location: file, recognizer: galleryRecognizer(fr) });
  const app = await buildServer({ gallery, recognizer: fr, db, auth: true, liveness });
  await app.listen({ port: 0, host: '127.0.0.1' });
  servers.push({ app, gallery, db });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return { base, admin: db.addKey('admin', 't').key, reader: db.addKey('recognize', 'door').key };
}

async function post(base: string, url: string, key: string, fields: Record<string, string>, image: string) {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  f.append('image', new Blob([new Uint8Array(readFileSync(image))], { type: 'image/jpeg' }), 'photo.jpg');
  const res = await fetch(`${base}${url}`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: f });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, json: (await res.json()) as Record<string, any> };
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
  await fr?.close();
});

test(
  'defaults: enrollment off, verify and identify flagged; a recognize key may tighten, not loosen',
  { skip },
  async () => {
    const { base, admin, reader } = await serve();
    let r = await post(base, '/v1/people', admin, { name: 'Sam' }, SILENT_FACE_SAMPLES.live);
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.added[0].liveness, undefined, 'enrollment from files is not judged by default');

    r = await post(base, '/v1/verify', reader, { name: 'Sam' }, SILENT_FACE_SAMPLES.replay);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.liveness.live, false, 'warn: the flag is on the result');
    assert.ok(r.json.liveness.score < r.json.liveness.threshold);

    r = await post(base, '/v1/identify', reader, {}, SILENT_FACE_SAMPLES.live);
    assert.equal(r.status, 200);
    assert.equal(r.json.faces[0].liveness.live, true);

    r = await post(base, '/v1/verify', reader, { name: 'Sam', liveness: 'off' }, SILENT_FACE_SAMPLES.replay);
    assert.equal(r.status, 403, 'a recognize key cannot switch the check off');
    assert.equal(r.json.error.code, 'FORBIDDEN');

    r = await post(base, '/v1/verify', reader, { name: 'Sam', liveness: 'require' }, SILENT_FACE_SAMPLES.replay);
    assert.equal(r.status, 422);
    assert.equal(r.json.error.code, 'SPOOF_SUSPECTED');
    assert.equal(r.json.error.details.faces[0].liveness.live, false);

    r = await post(base, '/v1/verify', admin, { name: 'Sam', liveness: 'off' }, SILENT_FACE_SAMPLES.replay);
    assert.equal(r.status, 200, 'an admin key may loosen it');
    assert.equal(r.json.liveness, undefined);

    r = await post(base, '/v1/detect', reader, { liveness: 'warn' }, SILENT_FACE_SAMPLES.print);
    assert.equal(r.json.faces[0].liveness.live, false);
    r = await post(base, '/v1/detect', reader, { liveness: 'sometimes' }, SILENT_FACE_SAMPLES.print);
    assert.equal(r.status, 400);
  },
);

test('a camera deployment (require everywhere): spoofs are refused and nothing is enrolled', { skip }, async () => {
  const { base, admin, reader } = await serve({ verify: 'require', identify: 'require', enroll: 'require' });
  let r = await post(base, '/v1/people', admin, { name: 'Pat' }, SILENT_FACE_SAMPLES.print);
  assert.equal(r.status, 422);
  assert.equal(r.json.error.code, 'SPOOF_SUSPECTED');
  const people = await fetch(`${base}/v1/people`, { headers: { authorization: `Bearer ${reader}` } });
  assert.deepEqual(((await people.json()) as { people: unknown[] }).people, [], 'nothing was enrolled');

  r = await post(base, '/v1/people', admin, { name: 'Pat' }, SILENT_FACE_SAMPLES.live);
  assert.equal(r.status, 201);
  assert.equal(r.json.added[0].liveness.live, true);
  r = await post(base, '/v1/identify', reader, {}, SILENT_FACE_SAMPLES.replay);
  assert.equal(r.json.error?.code, 'SPOOF_SUSPECTED');
  r = await post(base, '/v1/verify', reader, { name: 'Pat' }, SILENT_FACE_SAMPLES.live);
  assert.equal(r.json.match, true);
  assert.equal(r.json.liveness.live, true);
  r = await post(base, '/v1/verify', reader, { name: 'Pat', liveness: 'warn' }, SILENT_FACE_SAMPLES.replay);
  assert.equal(r.status, 403, 'the door cannot be talked down to warn');
});
