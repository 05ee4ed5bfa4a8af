/**
 * Video jobs over HTTP against a real `facenet serve` (child process, SQLite gallery, real ffmpeg): an upload is
 * decided (the enrolled person named, the stranger "unknown N", thumbnails); roles; a file that is no video, one over
 * the size limit, and URLs that point inside (SSRF) or use another scheme are refused; a full queue answers 429;
 * DELETE cancels a running job and removes its row, its queue rows and its upload; a server SIGKILLed mid-job is
 * restarted and the job finishes, with the tracks decided before the kill kept.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { lfwImage, makeClip, type ClipSpec } from '../../src/eval/video-clips.js';
import { ServerDb } from '../../src/server/keys.js';
import { LFW_DIR, needDataset } from '../helpers/datasets.js';
import { facenet } from '../helpers/cli.js';
import { call, serve, until, type Served } from '../helpers/serve.js';
import { needFfmpeg, tempDir } from '../video/fixtures.js';

const skip = needFfmpeg || needDataset(LFW_DIR);
const key = (t: number, x: number, y: number) => ({ t, x, y });
const clip = (name: string, seconds: number): ClipSpec => ({
  name,
  seconds,
  fps: 25,
  width: 640,
  height: 480,
  faces: [
    { person: 'Colin_Powell', image: 1, size: 230, path: [key(0, 0, 150), key(seconds, 120, 160)] },
    { person: 'Tony_Blair', image: 1, size: 230, path: [key(0, 410, 170), key(seconds, 300, 150)] },
  ],
});

let dir = '';
let cleanup = () => {};
let gallery = '';
let admin = '';
let watcher = '';
let other = '';
let short = '';
let long = '';
let server: Served | undefined;
const uploads = () => readdirSync(path.join(dir, 'uploads')).filter((f) => f.endsWith('.upload'));
const form = (file: string, name = path.basename(file)) => {
  const f = new FormData();
  f.append('video', new Blob([readFileSync(file)]), name);
  return f;
};
const start = () =>
  serve([
    '--gallery',
    gallery,
    '--workers',
    '0',
    '--threads',
    '1',
    '--slice-seconds',
    '3',
    '--max-video-jobs',
    '3',
    '--max-video-mb',
    '1',
    '--video-dir',
    path.join(dir, 'uploads'),
  ]);
type Job = {
  status: string;
  progress: { tracksDecided: number; slices: number; fraction: number | null };
  result?: { tracks: Track[]; frames: number };
};
type Track = { id: number; person: string; known: boolean; start: number; end: number; thumbnail: boolean };

before(async () => {
  if (skip) return;
  ({ dir, cleanup } = tempDir());
  gallery = path.join(dir, 'g.db');
  short = path.join(dir, 'short.mp4');
  long = path.join(dir, 'long.mp4');
  await makeClip(clip('short', 3), LFW_DIR, short);
  await makeClip(clip('long', 12), LFW_DIR, long);
  const enrolled = facenet(['enroll', 'Colin Powell', lfwImage(LFW_DIR, 'Colin_Powell', 2), '--gallery', gallery]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  const db = ServerDb.open(gallery);
  admin = db.addKey('admin').key;
  watcher = db.addKey('recognize').key;
  other = db.addKey('recognize').key;
  db.close();
  server = await start();
});

after(async () => {
  await server?.kill('SIGKILL');
  cleanup();
});

test('an uploaded video: the enrolled person named, the stranger "unknown N", thumbnails', { skip }, async () => {
  const { base } = server!;
  assert.equal((await call(base, 'POST', '/v1/videos', undefined, form(short))).status, 401);
  const posted = await call(base, 'POST', '/v1/videos', watcher, form(short, 'door camera.mp4'));
  assert.equal(posted.status, 202, JSON.stringify(posted.json));
  const id = posted.json.id as string;
  const done = await until(
    async () => (await call(base, 'GET', `/v1/videos/${id}`, watcher)).json as unknown as Job,
    (j) => j.status === 'done' || j.status === 'failed',
    240_000,
    'the job to finish',
  );
  assert.equal(done.status, 'done', JSON.stringify(done));
  assert.equal(done.progress.fraction, 1);
  assert.equal(done.result!.frames, 75, 'each frame decided once, across the slices');
  const people = done.result!.tracks.map((t) => t.person).sort();
  assert.equal(people[0], 'Colin Powell', JSON.stringify(done.result));
  assert.ok(
    people.slice(1).every((p) => /^unknown \d+$/.test(p)),
    JSON.stringify(people),
  );
  assert.equal(new Set(people.slice(1)).size, 1, 'one stranger is one group');
  const colin = done.result!.tracks.find((t) => t.person === 'Colin Powell')!;
  assert.ok(colin.start < 0.5 && colin.end > 2.5, JSON.stringify(colin));
  const thumb = await call(base, 'GET', `/v1/videos/${id}/tracks/${colin.id}/thumbnail`, watcher);
  assert.equal(thumb.type, 'image/jpeg');
  assert.deepEqual([...thumb.bytes!.subarray(0, 2)], [0xff, 0xd8]);
  const list = await call(base, 'GET', '/v1/videos', watcher);
  assert.ok((list.json.videos as { id: string }[]).some((v) => v.id === id));
  assert.ok(!JSON.stringify(list.json).includes(dir), 'no stored path is shown');
  // another recognize key may read but not delete it; its owner may
  assert.equal((await call(base, 'DELETE', `/v1/videos/${id}`, other)).status, 403);
  assert.equal((await call(base, 'DELETE', `/v1/videos/${id}`, watcher)).status, 200);
  assert.equal((await call(base, 'GET', `/v1/videos/${id}`, watcher)).status, 404);
});

test('bad inputs: not a video, too large, private and non-video URLs, a full queue', { skip }, async () => {
  const { base } = server!;
  const text = new FormData();
  text.append('video', new Blob(['just some text, not a video']), 'notes.mp4');
  const bad = await call(base, 'POST', '/v1/videos', watcher, text);
  assert.ok([415, 422].includes(bad.status), JSON.stringify(bad.json));
  assert.match(String((bad.json.error as { code: string }).code), /^VIDEO_(UNSUPPORTED|CORRUPT)$/);
  assert.ok(!JSON.stringify(bad.json).includes(dir), `no stored path in the answer: ${JSON.stringify(bad.json)}`);
  assert.match(JSON.stringify(bad.json), /notes\.mp4/, 'the file is named as it was sent');
  assert.deepEqual(uploads(), [], 'a refused upload is removed');
  // --max-video-mb 1: a larger upload is cut off, answered 413 and not kept
  const huge = new FormData();
  huge.append('video', new Blob([Buffer.alloc(1_500_000, 1)]), 'huge.mp4');
  const big = await call(base, 'POST', '/v1/videos', watcher, huge);
  assert.equal(big.status, 413, JSON.stringify(big.json));
  assert.equal((big.json.error as { code: string }).code, 'BODY_TOO_LARGE');
  assert.deepEqual(uploads(), [], 'a cut-off upload is removed');
  for (const url of [
    `${base}/v1/health`, // this server itself
    'http://169.254.169.254/latest/meta-data/', // cloud metadata
    'http://[::1]:8080/x.mp4',
    'http://10.0.0.8/cam.mjpg',
    'file:///etc/passwd',
    'udp://0.0.0.0:1234',
  ]) {
    const r = await call(base, 'POST', '/v1/videos', watcher, { url });
    assert.equal(r.status, 403, `${url}: ${JSON.stringify(r.json)}`);
    assert.equal((r.json.error as { code: string }).code, 'URL_NOT_ALLOWED');
  }
  assert.equal((await call(base, 'POST', '/v1/videos', watcher, { url: 'not a url' })).status, 400);
  assert.equal((await call(base, 'POST', '/v1/videos', watcher, {})).status, 400);
  // --max-video-jobs 3: a fourth while three wait answers 429
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await call(base, 'POST', '/v1/videos', watcher, form(long))).json.id as string);
  const full = await call(base, 'POST', '/v1/videos', watcher, form(short));
  assert.equal(full.status, 429, JSON.stringify(full.json));
  assert.equal(uploads().length, 3);
  for (const id of ids) assert.equal((await call(base, 'DELETE', `/v1/videos/${id}`, admin)).status, 200);
});

test('DELETE cancels a running job and removes its row, queue rows and upload', { skip }, async () => {
  const { base } = server!;
  const id = (await call(base, 'POST', '/v1/videos', watcher, form(long))).json.id as string;
  await until(
    async () => (await call(base, 'GET', `/v1/videos/${id}`, watcher)).json as unknown as Job,
    (j) => j.status === 'running' && j.progress.slices >= 1,
    180_000,
    'a slice to finish',
  );
  assert.equal(uploads().length, 1);
  const r = await call(base, 'DELETE', `/v1/videos/${id}`, watcher);
  assert.equal(r.status, 200);
  assert.equal((await call(base, 'GET', `/v1/videos/${id}`, watcher)).status, 404);
  assert.deepEqual(uploads(), []);
  // give a slice that was running time to notice; nothing comes back
  await new Promise((res) => setTimeout(res, 3000));
  const db = new Database(gallery, { readonly: true });
  try {
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM facenet_videos WHERE id = ?').get(id) as { n: number }).n, 0);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM facenet_job_queue').get() as { n: number }).n, 0);
  } finally {
    db.close();
  }
});

test(
  'a server killed mid-job: after a restart the job finishes, the tracks decided before the kill kept',
  { skip },
  async () => {
    let { base } = server!;
    const id = (await call(base, 'POST', '/v1/videos', watcher, form(long))).json.id as string;
    await until(
      async () => (await call(base, 'GET', `/v1/videos/${id}`, watcher)).json as unknown as Job,
      (j) => j.status === 'running' && j.progress.tracksDecided > 0,
      180_000,
      'decided tracks',
    );
    await server!.kill('SIGKILL');
    const db = new Database(gallery, { readonly: true });
    const before = JSON.parse(
      (db.prepare('SELECT doc FROM facenet_videos WHERE id = ?').get(id) as { doc: string }).doc,
    ) as { checkpoint: { time: number; tracks: Track[] } };
    db.close();
    assert.ok(before.checkpoint.tracks.length > 0);
    server = await start();
    base = server.base;
    const done = await until(
      async () => (await call(base, 'GET', `/v1/videos/${id}`, watcher)).json as unknown as Job,
      (j) => j.status === 'done' || j.status === 'failed',
      300_000,
      'the job to finish after the restart',
    );
    assert.equal(done.status, 'done', JSON.stringify(done));
    const after = done.result!.tracks;
    for (const t of before.checkpoint.tracks)
      assert.ok(
        after.some((a) => a.id === t.id && a.start === t.start && a.end >= t.end),
        `track ${t.id} (${t.start}–${t.end} s) decided before the kill is kept: ${JSON.stringify(after)}`,
      );
    assert.ok(Math.max(...after.map((t) => t.end)) > 11, 'the video was watched to its end');
    assert.equal(done.result!.frames, 300, 'each frame decided once: the killed slice not counted, no cut twice');
    // Colin Powell, on screen throughout, is named after the restart too (his track continued across the cut, or a
    // new one), and no stretch of him is decided twice
    const colin = after.filter((t) => t.person === 'Colin Powell').sort((a, b) => a.start - b.start);
    assert.ok(
      colin.some((t) => t.end > before.checkpoint.time + 1),
      `named after the restart (checkpoint ${before.checkpoint.time} s): ${JSON.stringify(after)}`,
    );
    for (let i = 1; i < colin.length; i++)
      assert.ok(colin[i].start >= colin[i - 1].end - 0.05, `Colin Powell's tracks overlap: ${JSON.stringify(colin)}`);
    assert.equal((await call(base, 'DELETE', `/v1/videos/${id}`, admin)).status, 200);
  },
);
