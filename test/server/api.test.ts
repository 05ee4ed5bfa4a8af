/**
 * The REST service over real HTTP on 127.0.0.1 (random ports): every route, auth failures, role checks and each limit.
 * Uses the real pipeline on the johns chips.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { FaceRecognizer } from '../../src/recognizer.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { galleryModelId } from '../../src/gallery/face-source.js';
import { buildServer, type ServerLimits, type ServerRecognizer } from '../../src/server/app.js';
import { ServerDb } from '../../src/server/keys.js';
import { PooledRecognizer } from '../../src/workers/worker-pool.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import type { LooseJson } from '../helpers/loose-json.js';

const skip = needDataset(JOHNS_DIR);
const chips = (name: string) =>
  skip
    ? []
    : readdirSync(path.join(JOHNS_DIR, name))
        .sort()
        .map((f) => path.join(JOHNS_DIR, name, f));

let dir = '';
let fr: FaceRecognizer;
const servers: { app: FastifyInstance; gallery: Gallery; db: ServerDb }[] = [];

async function serve(opts: { auth?: boolean; limits?: ServerLimits; recognizer?: ServerRecognizer } = {}) {
  const file = path.join(dir, `g${servers.length}.db`);
  const db = ServerDb.open(file);
  const gallery = await Gallery.open({ location: file, recognizer: fr });
  const app = await buildServer({
    gallery,
    recognizer: opts.recognizer ?? fr,
    db,
    auth: opts.auth ?? true,
    limits: opts.limits,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  servers.push({ app, gallery, db });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return { base, db, gallery };
}

function form(fields: Record<string, string>, image?: Buffer): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  if (image) f.append('image', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'photo.jpg');
  return f;
}

async function call(
  base: string,
  method: string,
  url: string,
  opts: { key?: string; body?: FormData | object | string; type?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: BodyInit | undefined;
  if (opts.body instanceof FormData) body = opts.body;
  else if (typeof opts.body === 'string') {
    body = opts.body;
    headers['content-type'] = opts.type ?? 'text/plain';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${base}${url}`, { method, headers, body });
  const type = res.headers.get('content-type') ?? '';
  const json = type.includes('json') ? ((await res.json()) as LooseJson) : undefined;
  const buf = json === undefined ? Buffer.from(await res.arrayBuffer()) : undefined;
  return { status: res.status, json, buf, headers: res.headers };
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(tmpdir(), 'facenet-api-'));
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

test('every route with admin and recognize keys', { skip, timeout: 300_000 }, async () => {
  const { base, db } = await serve();
  const admin = db.addKey('admin', 'test').key;
  const reader = db.addKey('recognize', 'app').key;
  const [simm, savage, salley] = [chips('John_Simm'), chips('John_Savage'), chips('John_Salley')];
  const jpg = (p: string) => readFileSync(p);

  // public: health, page, OpenAPI, docs
  let r = await call(base, 'GET', '/v1/health');
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'ok');
  assert.equal(r.json.auth, true);
  assert.equal(r.json.modelId, undefined, 'the public answer is minimal');
  r = await call(base, 'GET', '/v1/health', { key: reader });
  assert.equal(r.json.modelId, galleryModelId(fr.modelId, fr.flip, fr.ttaPaddings));
  r = await call(base, 'GET', '/');
  assert.equal(r.status, 200);
  assert.match(r.buf!.toString(), /<title>facenet<\/title>/);
  r = await call(base, 'GET', '/app.js');
  assert.equal(r.status, 200);
  r = await call(base, 'GET', '/openapi.json');
  assert.equal(r.status, 200);
  assert.equal(r.json.openapi, '3.0.3');
  for (const p of [
    '/v1/detect',
    '/v1/embed',
    '/v1/people',
    '/v1/people/{name}',
    '/v1/people/{name}/faces',
    '/v1/verify',
    '/v1/identify',
    '/v1/calibration',
    '/v1/health',
    '/v1/metrics',
  ])
    assert.ok(r.json.paths[p], `OpenAPI documents ${p}`);
  assert.ok(r.json.paths['/v1/identify'].post.requestBody.content['multipart/form-data'], 'multipart documented');
  r = await call(base, 'GET', '/docs/static/index.html');
  assert.equal(r.status, 200);

  // detect + embed (multipart and base64 JSON)
  r = await call(base, 'POST', '/v1/detect', { key: reader, body: form({}, jpg(simm[0])) });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.modelId, galleryModelId(fr.modelId, fr.flip, fr.ttaPaddings));
  assert.equal(r.json.faces.length, 1);
  assert.ok(r.json.faces[0].box.width > 50);
  assert.equal(r.json.faces[0].landmarks.length, 68);
  r = await call(base, 'POST', '/v1/embed', { key: reader, body: { image: jpg(simm[0]).toString('base64') } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.faces[0].embedding.length, 128);
  r = await call(base, 'POST', '/v1/embed', {
    key: reader,
    body: { image: `data:image/jpeg;base64,${jpg(simm[0]).toString('base64')}`, aligned: true },
  });
  assert.equal(r.status, 200);
  assert.equal(r.json.faces.length, 1);

  // enroll (admin only), duplicates, add a face
  r = await call(base, 'POST', '/v1/people', { key: reader, body: form({ name: 'John Simm' }, jpg(simm[0])) });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, 'FORBIDDEN');
  r = await call(base, 'POST', '/v1/people', {
    key: admin,
    body: form({ name: 'John Simm', metadata: '{"role":"actor"}' }, jpg(simm[0])),
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.equal(r.json.created, true);
  assert.equal(r.json.person.metadata.role, 'actor');
  assert.equal(r.json.modelId, galleryModelId(fr.modelId, fr.flip, fr.ttaPaddings));
  r = await call(base, 'POST', '/v1/people', {
    key: admin,
    body: { name: 'John Savage', image: jpg(savage[0]).toString('base64') },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  r = await call(base, 'POST', '/v1/people', { key: admin, body: form({ name: 'John Simm' }, jpg(simm[1])) });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, 'PERSON_EXISTS');
  r = await call(base, 'POST', '/v1/people/John%20Simm/faces', { key: reader, body: form({}, jpg(simm[1])) });
  assert.equal(r.status, 403);
  r = await call(base, 'POST', '/v1/people/John%20Simm/faces', { key: admin, body: form({}, jpg(simm[1])) });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.equal(r.json.templates, 2);
  r = await call(base, 'POST', '/v1/people/Nobody/faces', { key: admin, body: form({}, jpg(simm[2])) });
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'PERSON_NOT_FOUND');

  // people: list, get, thumbnail
  r = await call(base, 'GET', '/v1/people', { key: reader });
  assert.equal(r.status, 200);
  assert.deepEqual(
    r.json.people.map((p: { name: string; templates: number }) => [p.name, p.templates]),
    [
      ['John Savage', 1],
      ['John Simm', 2],
    ],
  );
  r = await call(base, 'GET', '/v1/people/John%20Simm', { key: reader });
  assert.equal(r.status, 200);
  assert.equal(r.json.templates.length, 2);
  const tid = r.json.templates[0].id;
  r = await call(base, 'GET', `/v1/people/John%20Simm/faces/${tid}/thumbnail`, { key: reader });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'image/jpeg');
  assert.equal((await sharp(r.buf!).metadata()).width, 64);
  r = await call(base, 'GET', `/v1/people/John%20Savage/faces/${tid}/thumbnail`, { key: reader });
  assert.equal(r.status, 404, 'a template of someone else is not found');
  r = await call(base, 'GET', '/v1/people/Nobody', { key: reader });
  assert.equal(r.status, 404);

  // verify
  r = await call(base, 'POST', '/v1/verify', { key: reader, body: form({ name: 'John Simm' }, jpg(simm[5])) });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.match, true);
  assert.ok(r.json.distance < r.json.threshold);
  assert.equal(r.json.targetFar, 1e-3);
  assert.equal(r.json.modelId, galleryModelId(fr.modelId, fr.flip, fr.ttaPaddings));
  assert.ok(r.json.box.width > 0);
  r = await call(base, 'POST', '/v1/verify', {
    key: reader,
    body: { name: 'John Simm', image: jpg(salley[0]).toString('base64'), far: 1e-4 },
  });
  assert.equal(r.status, 200);
  assert.equal(r.json.match, false);
  assert.equal(r.json.targetFar, 1e-4);
  r = await call(base, 'POST', '/v1/verify', { key: reader, body: form({ name: 'Nobody' }, jpg(simm[5])) });
  assert.equal(r.status, 404);

  // identify: a held-out photo of an enrolled person, and a stranger
  r = await call(base, 'POST', '/v1/identify', { key: reader, body: form({}, jpg(savage[6])) });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.faces.length, 1);
  assert.equal(r.json.faces[0].person, 'John Savage');
  assert.ok(r.json.faces[0].distance < r.json.threshold);
  assert.equal(r.json.people, 2);
  assert.equal(r.json.modelId, galleryModelId(fr.modelId, fr.flip, fr.ttaPaddings));
  r = await call(base, 'POST', '/v1/identify', {
    key: reader,
    body: { image: jpg(salley[3]).toString('base64'), topK: 1 },
  });
  assert.equal(r.status, 200);
  assert.equal(r.json.faces[0].person, 'unknown');
  assert.equal(r.json.faces[0].candidates.length, 1);

  // calibration: read (any key), set (admin)
  r = await call(base, 'GET', '/v1/calibration', { key: reader });
  assert.equal(r.status, 200);
  assert.equal(r.json.verify.targetFar, 1e-3);
  assert.equal(r.json.identify.targetFar, 1e-2);
  const tau = r.json.verify.threshold;
  r = await call(base, 'PUT', '/v1/calibration', { key: reader, body: { verifyFar: 1e-2 } });
  assert.equal(r.status, 403);
  r = await call(base, 'PUT', '/v1/calibration', { key: admin, body: { verifyFar: 1.5 } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'INVALID_INPUT');
  r = await call(base, 'PUT', '/v1/calibration', { key: admin, body: { verifyFar: 1e-2, identifyFar: 1e-3 } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.verify.targetFar, 1e-2);
  assert.ok(r.json.verify.threshold > tau, 'a looser FAR gives a larger threshold');
  r = await call(base, 'POST', '/v1/verify', { key: reader, body: form({ name: 'John Simm' }, jpg(simm[5])) });
  assert.equal(r.json.targetFar, 1e-2, 'the stored setting is the default');

  // metrics
  r = await call(base, 'GET', '/v1/metrics', { key: reader });
  assert.equal(r.status, 200);
  const text = r.buf!.toString();
  assert.match(text, /facenet_http_requests_total\{method="POST",route="\/v1\/identify",status="200"\} 2/);
  assert.match(text, /facenet_gallery_people 2/);
  assert.match(text, /facenet_nodejs_eventloop_lag_p99_seconds/);

  // delete (admin only)
  r = await call(base, 'DELETE', '/v1/people/John%20Simm', { key: reader });
  assert.equal(r.status, 403);
  r = await call(base, 'DELETE', '/v1/people/John%20Simm', { key: admin });
  assert.equal(r.status, 200);
  assert.equal(r.json.templatesRemoved, 2);
  r = await call(base, 'GET', '/v1/people/John%20Simm', { key: reader });
  assert.equal(r.status, 404);
  r = await call(base, 'DELETE', '/v1/people/John%20Simm', { key: admin });
  assert.equal(r.status, 404);
  r = await call(base, 'GET', '/v1/nothing', { key: reader });
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'NOT_FOUND');
});

test(
  'auth failures: no key, malformed, unknown, revoked; x-api-key works; keys stored hashed',
  { skip, timeout: 120_000 },
  async () => {
    const { base, db } = await serve();
    const { key, info } = db.addKey('recognize');
    let r = await call(base, 'GET', '/v1/people');
    assert.equal(r.status, 401);
    assert.equal(r.json.error.code, 'UNAUTHORIZED');
    assert.equal(r.headers.get('www-authenticate'), 'Bearer');
    r = await call(base, 'GET', '/v1/people', { key: 'not-a-key' });
    assert.equal(r.status, 401);
    r = await call(base, 'GET', '/v1/people', { key: key.slice(0, -4) + 'AAAA' });
    assert.equal(r.status, 401, 'right id, wrong secret');
    r = await call(base, 'GET', '/v1/metrics');
    assert.equal(r.status, 401);
    const res = await fetch(`${base}/v1/people`, { headers: { 'x-api-key': key } });
    assert.equal(res.status, 200);
    r = await call(base, 'GET', '/v1/people', { key });
    assert.equal(r.status, 200);
    db.revokeKey(info.id);
    r = await call(base, 'GET', '/v1/people', { key });
    assert.equal(r.status, 401);
    assert.equal(db.listKeys()[0].revoked !== null, true);
    // the clear key is nowhere in the file
    const raw = readFileSync(path.join(dir, 'g1.db'));
    assert.equal(
      raw.includes(Buffer.from(key.slice('fnk_'.length + 17) /* the secret; base64url may itself contain '_' */)),
      false,
    );
  },
);

test('--no-auth serves every route without a key', { skip, timeout: 120_000 }, async () => {
  const { base } = await serve({ auth: false });
  let r = await call(base, 'GET', '/v1/health');
  assert.equal(r.json.auth, false);
  r = await call(base, 'POST', '/v1/people', {
    body: form({ name: 'John Shimkus' }, readFileSync(chips('John_Shimkus')[0])),
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  r = await call(base, 'PUT', '/v1/calibration', { body: { identifyFar: 0.05 } });
  assert.equal(r.status, 200);
});

test(
  'limits and bad input: 413 body and pixels, 415, 400/422 bad image, 503 timeout, 429 queue full',
  { skip, timeout: 120_000 },
  async () => {
    const img = readFileSync(chips('John_Simm')[0]); // 150×150 JPEG, ~6.5 kB
    const tight = await serve({ auth: false, limits: { maxImageBytes: 4000, maxPixels: 1_000_000 } });
    let r = await call(tight.base, 'POST', '/v1/detect', { body: form({}, img) });
    assert.equal(r.status, 413, 'multipart file over the limit');
    assert.equal(r.json.error.code, 'BODY_TOO_LARGE');
    r = await call(tight.base, 'POST', '/v1/detect', { body: { image: Buffer.alloc(100_000).toString('base64') } });
    assert.equal(r.status, 413, 'JSON body over the limit');
    assert.equal(r.json.error.code, 'BODY_TOO_LARGE');
    r = await call(tight.base, 'POST', '/v1/detect', { body: { image: img.toString('base64') } });
    assert.equal(r.status, 413, 'base64 image over the limit, body within it');
    assert.equal(r.json.error.code, 'BODY_TOO_LARGE');

    const small = await serve({ auth: false, limits: { maxPixels: 10_000 } });
    r = await call(small.base, 'POST', '/v1/identify', { body: form({}, img) });
    assert.equal(r.status, 413, '150×150 > 10,000 pixels');
    assert.equal(r.json.error.code, 'IMAGE_TOO_LARGE');

    const { base } = await serve({ auth: false });
    r = await call(base, 'POST', '/v1/detect', { body: '<image/>', type: 'application/xml' });
    assert.equal(r.status, 415);
    assert.equal(r.json.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    r = await call(base, 'POST', '/v1/detect', { body: form({}, Buffer.from('this is not an image at all')) });
    assert.equal(r.status, 415);
    assert.equal(r.json.error.code, 'IMAGE_UNSUPPORTED');
    r = await call(base, 'POST', '/v1/detect', { body: form({}, img.subarray(0, Math.floor(img.length * 0.6))) });
    assert.equal(r.status, 422, JSON.stringify(r.json));
    assert.equal(r.json.error.code, 'IMAGE_CORRUPT');
    r = await call(base, 'POST', '/v1/detect', { body: { image: '' } });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'IMAGE_EMPTY');
    r = await call(base, 'POST', '/v1/detect', { body: { image: 'not base64 !!' } });
    assert.equal(r.status, 400);
    r = await call(base, 'POST', '/v1/detect', { body: { nothing: 1 } });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'INVALID_INPUT');
    r = await call(base, 'POST', '/v1/detect', { body: '{"image": ', type: 'application/json' });
    assert.equal(r.status, 400);
    const grey = await sharp({ create: { width: 80, height: 80, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .png()
      .toBuffer();
    r = await call(base, 'POST', '/v1/people', { body: form({ name: 'Grey' }, grey) });
    assert.equal(r.status, 422);
    assert.equal(r.json.error.code, 'NO_FACE');
    r = await call(base, 'GET', '/v1/people');
    assert.equal(r.json.people.length, 0, 'nothing stored');

    const slow = await serve({ auth: false, limits: { inferenceTimeoutMs: 1 } });
    r = await call(slow.base, 'POST', '/v1/detect', { body: form({}, img) });
    assert.equal(r.status, 503);
    assert.equal(r.json.error.code, 'TIMEOUT');

    // one slot, no waiting room: hold the slot with a slow job, then a second request is refused at once
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held: ServerRecognizer = {
      modelId: fr.modelId,
      detect: async (b) => {
        await gate;
        return fr.detect(b);
      },
      embed: (b, o) => fr.embed(b, o),
    };
    const busy = await serve({ auth: false, recognizer: held, limits: { concurrency: 1, maxQueued: 0 } });
    const first = call(busy.base, 'POST', '/v1/detect', { body: form({}, img) });
    for (let i = 0; i < 200; i++) {
      const h = await call(busy.base, 'GET', '/v1/health');
      if (h.json.queue.active === 1) break;
      await new Promise((res) => setTimeout(res, 10));
    }
    r = await call(busy.base, 'POST', '/v1/detect', { body: form({}, img) });
    assert.equal(r.status, 429);
    assert.equal(r.json.error.code, 'QUEUE_FULL');
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    release();
    assert.equal((await first).status, 200);
    r = await call(busy.base, 'POST', '/v1/detect', { body: form({}, img) });
    assert.equal(r.status, 200, 'served again once the slot is free');
  },
);

test(
  'inference on worker threads: same answers, typed errors cross the thread',
  { skip, timeout: 180_000 },
  async (t) => {
    const pool = await PooledRecognizer.start(1, { threads: 1 });
    t.after(() => pool.close());
    assert.equal(pool.modelId, fr.modelId);
    assert.deepEqual(pool.ttaPaddings, fr.ttaPaddings);
    const file = path.join(dir, 'pool.db');
    const db = ServerDb.open(file);
    const gallery = await Gallery.open({ location: file, recognizer: pool });
    const app = await buildServer({ gallery, recognizer: pool, db, auth: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    servers.push({ app, gallery, db });
    const addr = app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const simm = chips('John_Simm');
    let r = await call(base, 'POST', '/v1/people', { body: form({ name: 'John Simm' }, readFileSync(simm[0])) });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    r = await call(base, 'GET', `/v1/people/John%20Simm/faces/${r.json.added[0].templateId}/thumbnail`);
    assert.equal(r.status, 200, 'the chip came back from the worker for the thumbnail');
    r = await call(base, 'POST', '/v1/identify', { body: form({}, readFileSync(simm[4])) });
    assert.equal(r.json.faces[0].person, 'John Simm');
    const local = await fr.embed(readFileSync(simm[4]));
    r = await call(base, 'POST', '/v1/embed', { body: form({}, readFileSync(simm[4])) });
    const d = r.json.faces[0].embedding.reduce(
      (s: number, v: number, i: number) => s + (v - local[0].embedding[i]) ** 2,
      0,
    );
    assert.ok(d < 1e-8, `worker and main-thread embeddings agree (${d})`);
    r = await call(base, 'POST', '/v1/detect', { body: form({}, readFileSync(simm[0])) });
    assert.equal(r.json.faces[0].landmarks.length, 68);
    r = await call(base, 'POST', '/v1/detect', { body: form({}, readFileSync(simm[0]).subarray(0, 2500)) });
    assert.ok([415, 422].includes(r.status), JSON.stringify(r.json));
    assert.match(r.json.error.code, /^IMAGE_/);
  },
);
