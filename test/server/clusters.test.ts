/**
 * /v1/clusters: the "unnamed people" of a cluster state, served; naming a group enrolls it in the gallery.
 * No networks: a fake recognizer and fake embeddings (test/gallery/fake-recognizer.ts).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClusterState, type NewFace } from '../../src/cluster/state.js';
import { clusterIntoState } from '../../src/cluster/library.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { chipThumbnail } from '../../src/gallery/face-source.js';
import { buildServer, type ServerRecognizer } from '../../src/server/app.js';
import { ServerDb } from '../../src/server/keys.js';
import { FAKE_MODEL, FakeRecognizer, fakeCalibration, fakeEmbedding } from '../gallery/fake-recognizer.js';

const dir = mkdtempSync(path.join(tmpdir(), 'facenet-clusters-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function setup(auth = false, served = true) {
  const n = Math.random().toString(36).slice(2);
  const state = ClusterState.open(path.join(dir, `c-${n}.db`));
  const calibration = fakeCalibration();
  const thumb = await chipThumbnail({ width: 150, height: 150, data: new Uint8Array(150 * 150 * 3).fill(120) });
  // 3 people × 4 photos, plus one stranger seen once
  const faces: NewFace[] = [];
  for (let id = 1; id <= 3; id++)
    for (let v = 1; v <= 4; v++)
      faces.push({
        file: `p${id}/${v}.jpg`,
        sha256: `${id}-${v}`.padEnd(64, '0'),
        box: { x: 0, y: 0, width: 100, height: 100 },
        score: 0.99,
        embedding: fakeEmbedding(id, v),
        thumbnail: thumb,
      });
  faces.push({
    file: 'stranger.jpg',
    sha256: 'f'.repeat(64),
    box: { x: 0, y: 0, width: 90, height: 90 },
    score: 0.9,
    embedding: fakeEmbedding(99, 1),
  });
  await clusterIntoState(state, FAKE_MODEL, faces, { calibration, targetFar: 1e-4 });
  const file = path.join(dir, `g-${n}.db`);
  const db = ServerDb.open(file);
  const gallery = await Gallery.open({ location: file, recognizer: new FakeRecognizer(), calibration });
  const app = await buildServer({
    gallery,
    recognizer: new FakeRecognizer() as unknown as ServerRecognizer,
    db,
    auth,
    clusters: served ? state : undefined,
  });
  after(async () => {
    await app.close();
    await gallery.close();
    db.close();
    state.close();
  });
  return { app, state, gallery };
}

test('list, show, thumbnail; rename, clear; name = enroll; move, delete face and group; bad ids: 404/400', async () => {
  const { app, state, gallery } = await setup();
  let r = await app.inject({ method: 'GET', url: '/v1/clusters' });
  assert.equal(r.statusCode, 200, r.body);
  let body = r.json();
  assert.equal(body.groups.length, 3);
  assert.equal(body.unclustered, 1);
  assert.equal(body.modelId, FAKE_MODEL);
  for (const g of body.groups) assert.equal(g.faces, 4);
  const [g1, g2, g3] = body.groups.map((g: { id: number }) => g.id);

  r = await app.inject({ method: 'GET', url: `/v1/clusters/${g1}` });
  assert.equal(r.statusCode, 200);
  const faces = r.json().faceList;
  assert.equal(faces.length, 4);
  assert.equal(new Set(faces.map((f: { file: string }) => f.file.split('/')[0])).size, 1, 'one person per group');
  r = await app.inject({ method: 'GET', url: `/v1/clusters/faces/${faces[0].id}/thumbnail` });
  assert.equal(r.statusCode, 200);
  assert.equal(r.headers['content-type'], 'image/jpeg');
  const stranger = state.faces(null)[0];
  assert.equal(
    (await app.inject({ method: 'GET', url: `/v1/clusters/faces/${stranger.id}/thumbnail` })).statusCode,
    404,
  );

  r = await app.inject({ method: 'PATCH', url: `/v1/clusters/${g2}`, payload: { name: 'maybe Bob' } });
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(r.json().name, 'maybe Bob');
  r = await app.inject({ method: 'GET', url: '/v1/clusters?unnamed=true' });
  assert.deepEqual(
    r.json().groups.map((g: { id: number }) => g.id),
    [g1, g3],
  );
  r = await app.inject({ method: 'PATCH', url: `/v1/clusters/${g2}`, payload: { name: null } });
  assert.equal(r.json().name, null);

  // naming enrolls: the person exists in the gallery with the group's 4 faces, and the group now matches them
  r = await app.inject({ method: 'POST', url: `/v1/clusters/${g1}/enroll`, payload: { person: 'Alice' } });
  assert.equal(r.statusCode, 201, r.body);
  assert.equal(r.json().templatesAdded, 4);
  const alice = (await gallery.people()).find((p) => p.name === 'Alice');
  assert.equal(alice?.templates, 4);
  r = await app.inject({ method: 'GET', url: '/v1/clusters?match=true' });
  body = r.json();
  assert.equal(body.groups.find((g: { id: number }) => g.id === g1).person, 'Alice');
  assert.equal(body.groups.find((g: { id: number }) => g.id === g1).match.person, 'Alice');
  assert.equal(body.groups.find((g: { id: number }) => g.id === g2).match, null);
  // naming again adds nothing; a bad name is refused and stores nothing
  r = await app.inject({ method: 'POST', url: `/v1/clusters/${g1}/enroll`, payload: { person: 'Alice' } });
  assert.equal(r.json().templatesAdded, 0);
  r = await app.inject({ method: 'POST', url: `/v1/clusters/${g2}/enroll`, payload: { person: 'unknown' } });
  assert.equal(r.statusCode, 400);
  assert.equal(state.group(g2).person, null);
  assert.equal((await gallery.people()).length, 1);

  // move a face out, delete it, delete a group
  const f2 = state.faces(g2);
  r = await app.inject({ method: 'PATCH', url: `/v1/clusters/faces/${f2[0].id}`, payload: { group: null } });
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(r.json().group, null);
  r = await app.inject({ method: 'DELETE', url: `/v1/clusters/faces/${f2[0].id}` });
  assert.equal(r.statusCode, 200);
  assert.throws(() => state.face(f2[0].id));
  r = await app.inject({ method: 'DELETE', url: `/v1/clusters/${g3}` });
  assert.equal(r.statusCode, 200);
  assert.equal(r.json().facesRemoved, 4);
  assert.equal((await app.inject({ method: 'GET', url: `/v1/clusters/${g3}` })).statusCode, 404);

  // bad input: unknown ids, wrong types; nothing changes
  const before = JSON.stringify(state.groups());
  for (const req of [
    { method: 'GET' as const, url: '/v1/clusters/999' },
    { method: 'PATCH' as const, url: '/v1/clusters/999', payload: { name: 'x' } },
    { method: 'PATCH' as const, url: `/v1/clusters/${g2}`, payload: { name: '  ' } },
    { method: 'PATCH' as const, url: `/v1/clusters/${g2}`, payload: { title: 'x' } },
    { method: 'POST' as const, url: '/v1/clusters/999/enroll', payload: { person: 'Zed' } },
    { method: 'PATCH' as const, url: `/v1/clusters/faces/${faces[1].id}`, payload: { group: 999 } },
    { method: 'DELETE' as const, url: '/v1/clusters/abc' },
  ]) {
    const res = await app.inject(req);
    assert.ok([400, 404].includes(res.statusCode), `${req.method} ${req.url}: ${res.statusCode} ${res.body}`);
    assert.ok(res.json().error.code);
  }
  assert.equal(JSON.stringify(state.groups()), before);
});

test('cluster routes need a key when auth is on; writes need admin', async () => {
  const { app } = await setup(true);
  assert.equal((await app.inject({ method: 'GET', url: '/v1/clusters' })).statusCode, 401);
  assert.equal((await app.inject({ method: 'DELETE', url: '/v1/clusters/1' })).statusCode, 401);
});

test('/v1/health says whether clusters are served: true or false, never the state or its file', async () => {
  for (const served of [true, false]) {
    const { app } = await setup(false, served);
    const r = await app.inject({ method: 'GET', url: '/v1/health' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().clusters, served, 'the page shows "Unnamed people" only when this is true');
    assert.doesNotMatch(r.body, /\.db"/, 'no file path in the answer');
  }
});
