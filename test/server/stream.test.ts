/**
 * The live WebSocket /v1/stream against a real server (startServer, SQLite gallery with Colin Powell enrolled):
 * names come back over the right faces of JPEG frames cut from a clip; bad auth, frames before hello, no hello, a
 * message that is not a JPEG, a corrupt JPEG, a frame over the size limit, frames too fast, a busy server, clients
 * that vanish, and one stream too many each get a typed answer or a clean close code, and every frame is answered
 * exactly once (faces, dropped or error).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { lfwImage, makeClip } from '../../src/eval/video-clips.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { ServerDb } from '../../src/server/keys.js';
import { LFW_DIR, needDataset } from '../helpers/datasets.js';
import { facenet } from '../helpers/cli.js';
import { ffmpeg, needFfmpeg, tempDir } from '../video/fixtures.js';

const skip = needFfmpeg || needDataset(LFW_DIR);
const key = (t: number, x: number, y: number) => ({ t, x, y });
type Msg = {
  type: string;
  seq?: number;
  code?: string;
  reason?: string;
  faces?: Face[];
  event?: string;
  track?: { person: string };
};
type Face = { track: number; person: string; box: { x: number; y: number; width: number; height: number } };

let dir = '';
let cleanup = () => {};
let server: RunningServer | undefined;
let ws = '';
let apiKey = '';
let frames: Buffer[] = [];

before(async () => {
  if (skip) return;
  ({ dir, cleanup } = tempDir());
  const gallery = path.join(dir, 'g.db');
  const clip = path.join(dir, 'two.mp4');
  await makeClip(
    {
      name: 'two',
      seconds: 2,
      fps: 25,
      width: 640,
      height: 480,
      faces: [
        { person: 'Colin_Powell', image: 1, size: 230, path: [key(0, 0, 150), key(2, 60, 160)] },
        { person: 'Tony_Blair', image: 1, size: 230, path: [key(0, 410, 170), key(2, 350, 150)] },
      ],
    },
    LFW_DIR,
    clip,
  );
  ffmpeg('-i', clip, '-q:v', '4', path.join(dir, 'f%03d.jpg'));
  frames = readdirSync(dir)
    .filter((f) => /^f\d+\.jpg$/.test(f))
    .sort()
    .map((f) => readFileSync(path.join(dir, f)));
  const enrolled = facenet(['enroll', 'Colin Powell', lfwImage(LFW_DIR, 'Colin_Powell', 2), '--gallery', gallery]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  const db = ServerDb.open(gallery);
  apiKey = db.addKey('recognize').key;
  db.close();
  server = await startServer({
    port: 0,
    gallery,
    workers: 0,
    recognizer: { threads: 1 },
    video: { limits: { maxStreams: 2, maxFps: 20, maxFrameBytes: 200_000, helloSeconds: 2 } },
  });
  ws = `${server.url.replace(/^http/, 'ws')}/v1/stream`;
});

after(async () => {
  await server?.close();
  cleanup();
});

/** A client that records every message and the close code. */
function client() {
  const sock = new WebSocket(ws);
  const messages: Msg[] = [];
  const waiters: (() => void)[] = [];
  let closeCode: number | undefined;
  sock.on('message', (d, binary) => {
    if (!binary) messages.push(JSON.parse(String(d)) as Msg);
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<number>((r) =>
    sock.on('close', (code) => {
      closeCode = code;
      waiters.splice(0).forEach((w) => w());
      r(code);
    }),
  );
  const opened = new Promise<void>((r, j) => {
    sock.once('open', () => r());
    sock.once('error', j);
  });
  async function waitFor(ok: (m: Msg[]) => boolean, what: string, ms = 120_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok(messages)) {
      if (closeCode !== undefined && !ok(messages))
        throw new Error(`closed (${closeCode}) waiting for ${what}: ${JSON.stringify(messages)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(messages)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
  return {
    sock,
    messages,
    closed,
    opened,
    waitFor,
    hello: async (k = apiKey) => {
      await opened;
      sock.send(JSON.stringify({ type: 'hello', key: k }));
      await waitFor((m) => m.some((x) => x.type === 'ready'), 'ready');
    },
  };
}

const answered = (m: Msg[]) => m.filter((x) => x.seq !== undefined && ['faces', 'dropped', 'error'].includes(x.type));

test('names follow the right faces; every frame answered once; end closes cleanly', { skip }, async () => {
  const c = client();
  await c.hello();
  // paced like a camera at 10 fps: each frame is sent when the previous one is answered (or 100 ms later)
  for (const [i, f] of frames.slice(0, 20).entries()) {
    c.sock.send(f);
    await c.waitFor((m) => answered(m).length > i, `answer ${i + 1}`);
    await new Promise((r) => setTimeout(r, 60));
  }
  const answers = answered(c.messages);
  assert.deepEqual(
    answers.map((a) => a.seq),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  const named = c.messages.filter((m) => m.type === 'faces' && m.faces!.some((f) => f.person === 'Colin Powell'));
  assert.ok(named.length >= 10, `Colin Powell named in ${named.length} of 20 frames`);
  for (const m of named) {
    const colin = m.faces!.find((f) => f.person === 'Colin Powell')!;
    assert.ok(colin.box.x + colin.box.width / 2 < 320, 'Colin Powell is the face on the left');
    for (const other of m.faces!.filter((f) => f !== colin)) assert.notEqual(other.person, 'Colin Powell');
  }
  assert.ok(c.messages.some((m) => m.type === 'track' && m.event === 'started'));
  c.sock.send(JSON.stringify({ type: 'end' }));
  assert.equal(await c.closed, 1000);
  assert.ok(c.messages.some((m) => m.type === 'track' && m.event === 'ended'));
});

test('bad auth, frames before hello, no hello: typed errors and close codes', { skip }, async () => {
  const a = client();
  await a.opened;
  a.sock.send(JSON.stringify({ type: 'hello', key: 'fnk_0000000000000000_nope' }));
  assert.equal(await a.closed, 4401);
  assert.equal(a.messages[0].code, 'UNAUTHORIZED');
  const b = client();
  await b.opened;
  b.sock.send(frames[0]);
  assert.equal(await b.closed, 4401);
  const c = client();
  await c.opened;
  assert.equal(await c.closed, 4408); // helloSeconds: 2
  assert.equal(c.messages[0].code, 'TIMEOUT');
  const d = client();
  await d.opened;
  d.sock.send('{not json');
  assert.equal(await d.closed, 4400);
});

test('not a JPEG, a corrupt JPEG, too fast, busy: answered per frame; a huge frame closes 1009', { skip }, async () => {
  const c = client();
  await c.hello();
  c.sock.send(Buffer.from('GIF89a, not a jpeg'));
  await c.waitFor((m) => answered(m).length === 1, 'not a JPEG');
  assert.equal(answered(c.messages)[0].code, 'IMAGE_UNSUPPORTED');
  await new Promise((r) => setTimeout(r, 60));
  c.sock.send(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]));
  await c.waitFor((m) => answered(m).length === 2, 'corrupt JPEG');
  assert.match(String(answered(c.messages)[1].code), /^IMAGE_(CORRUPT|UNSUPPORTED)$/);
  // 12 frames at once: over 20 fps, most are dropped for rate; never more than one waits
  for (const f of frames.slice(0, 12)) c.sock.send(f);
  await c.waitFor((m) => answered(m).length === 14, 'every burst frame answered');
  const burst = answered(c.messages).slice(2);
  assert.ok(burst.filter((m) => m.type === 'dropped' && m.reason === 'rate').length >= 8);
  // paced just above the rate limit, faster than frames are decided: the waiting frame is replaced (busy)
  for (const f of frames.slice(12, 24)) {
    c.sock.send(f);
    await new Promise((r) => setTimeout(r, 55));
  }
  await c.waitFor((m) => answered(m).length === 26, 'every paced frame answered');
  const seqs = answered(c.messages).map((m) => m.seq!);
  assert.equal(new Set(seqs).size, 26, 'each frame answered once');
  const decided = c.messages.filter((m) => m.type === 'faces').map((m) => m.seq!);
  assert.deepEqual(
    decided,
    [...decided].sort((x, y) => x - y),
    'answers in frame order',
  );
  c.sock.send(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(300_000)]));
  assert.equal(await c.closed, 1009);
});

test('clients that vanish free their slot; one stream too many is refused 4429', { skip }, async () => {
  for (let i = 0; i < 3; i++) {
    const c = client();
    await c.hello();
    c.sock.send(frames[0]);
    c.sock.terminate(); // gone without a close handshake, a frame in flight
    await c.closed;
  }
  await new Promise((r) => setTimeout(r, 500));
  const a = client();
  const b = client();
  await Promise.all([a.hello(), b.hello()]);
  const c = client();
  assert.equal(await c.closed, 4429);
  assert.equal(c.messages[0].code, 'QUEUE_FULL');
  a.sock.close();
  b.sock.close();
  await Promise.all([a.closed, b.closed]);
});
