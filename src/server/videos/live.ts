/**
 * One live stream over a WebSocket (protocol in docs/video.md, "Live stream protocol"): the client authenticates
 * with a first JSON message `{ "type": "hello", "key": … }` (a browser cannot set headers on a WebSocket, and a key
 * in the URL would end up in logs), then sends JPEG frames as binary messages and gets, per frame, the boxes and
 * names (`faces`), the tracks that arrive, change name or leave (`track`), or why a frame was skipped (`dropped`,
 * `error`). At most one frame is being decided and one waits; a newer frame replaces the waiting one (which is
 * answered `dropped`), so a slow server answers about the newest frame and never queues. JSON control messages sit
 * beside the frames (`hello`, `reset`, `end`; later modes such as a liveness challenge add their own types).
 */
import type { WebSocket } from 'ws';
import { FaceError } from '../../errors.js';
import type { ServerContext } from '../context.js';
import type { LiveFrameResult } from '../../workers/video-protocol.js';
import type { VideoService } from './service.js';

/** Close codes: 1000 done, 1008 policy (bad auth), 1009 frame too large (ws), 1011 server error, 4xxx ours. */
export const CLOSE = {
  normal: 1000,
  tooBig: 1009,
  internal: 1011,
  badMessage: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  helloTimeout: 4408,
  busy: 4429,
} as const;

const JPEG = (b: Buffer) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const r1 = (v: number) => Math.round(v * 10) / 10;
const r3 = (v: number) => Math.round(v * 1000) / 1000;

let sessions = 0;
let nextSession = 1;

/** Streams open on this server now (for the limit and /v1/health). */
export const liveStreams = () => sessions;

export function serveLiveStream(socket: WebSocket, ctx: ServerContext, video: VideoService): void {
  const { limits, live } = video;
  const id = nextSession++;
  let started = false;
  let closed = false;
  let seq = 0;
  let lastAccepted = -Infinity;
  let busy = false;
  let waiting: { seq: number; jpeg: Buffer; at: number } | undefined;
  const mode = 'identify';
  let far = ctx.settings().identifyFar;
  let detectEvery = 1;

  const send = (m: Record<string, unknown>) => {
    if (!closed && socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
  };
  const fail = (e: FaceError, seqNo?: number) =>
    send({ type: 'error', code: e.code, message: e.message, ...(seqNo ? { seq: seqNo } : {}) });
  const close = (code: number, e?: FaceError) => {
    if (e) fail(e);
    if (socket.readyState === socket.OPEN) socket.close(code, e?.code ?? '');
  };

  if (sessions >= limits.maxStreams) {
    close(CLOSE.busy, new FaceError('QUEUE_FULL', `${sessions} live streams are open (the limit); retry later`));
    return;
  }
  sessions++;
  // names decided after a frame's answer (its views are embedded once the answer is out)
  live.liveListeners.set(id, (events) => {
    for (const e of events) send({ type: 'track', ...e, time: r3(e.time) });
  });
  const helloTimer = setTimeout(
    () => close(CLOSE.helloTimeout, new FaceError('TIMEOUT', 'no hello message: send {"type":"hello","key":…} first')),
    limits.helloSeconds * 1000,
  );
  // a client that vanishes without closing: no pong within 30 s ends the stream
  let alive = true;
  const heartbeat = setInterval(() => {
    if (!alive) return socket.terminate();
    alive = false;
    socket.ping();
  }, 15_000);
  socket.on('pong', () => (alive = true));

  async function hello(m: Record<string, unknown>): Promise<void> {
    if (started) return fail(new FaceError('INVALID_INPUT', 'hello was already sent'));
    if (ctx.auth) {
      const who = typeof m.key === 'string' ? ctx.db.authenticate(m.key) : undefined;
      if (!who) return close(CLOSE.unauthorized, new FaceError('UNAUTHORIZED', 'invalid, revoked or missing API key'));
    }
    if (m.mode !== undefined && m.mode !== 'identify')
      return close(
        CLOSE.badMessage,
        new FaceError('INVALID_INPUT', `unknown mode ${JSON.stringify(m.mode)} (modes: identify)`),
      );
    if (m.far !== undefined) {
      const f = Number(m.far);
      if (!(f > 0 && f <= ctx.settings().identifyFar))
        return close(
          CLOSE.badMessage,
          new FaceError('INVALID_INPUT', `far must be in (0, ${ctx.settings().identifyFar}]`),
        );
      far = f;
    }
    if (m.detectEvery !== undefined) {
      const k = Number(m.detectEvery);
      if (!(Number.isInteger(k) && k >= 1 && k <= 10))
        return close(CLOSE.badMessage, new FaceError('INVALID_INPUT', 'detectEvery must be an integer from 1 to 10'));
      detectEvery = k;
    }
    clearTimeout(helloTimer);
    const info = await live.streamStart(id, far, detectEvery);
    started = true;
    send({
      type: 'ready',
      session: id,
      mode,
      threshold: info.threshold === undefined ? null : r3(info.threshold),
      people: info.people,
      limits: { maxFrameBytes: limits.maxFrameBytes, maxFramePixels: limits.maxFramePixels, maxFps: limits.maxFps },
    });
  }

  async function decide(f: { seq: number; jpeg: Buffer; at: number }): Promise<void> {
    busy = true;
    try {
      const r: LiveFrameResult = await live.streamFrame(id, f.jpeg);
      send({
        type: 'faces',
        seq: f.seq,
        time: r3(r.time),
        ms: r1(performance.now() - f.at),
        faces: r.faces.map((x) => ({
          track: x.track,
          box: { x: r1(x.box.x), y: r1(x.box.y), width: r1(x.box.width), height: r1(x.box.height) },
          person: x.person,
          ...(x.distance !== undefined && Number.isFinite(x.distance) ? { distance: r3(x.distance) } : {}),
          predicted: x.predicted,
        })),
      });
      for (const e of r.events) send({ type: 'track', ...e, time: r3(e.time) });
    } catch (e) {
      if (e instanceof FaceError) fail(e, f.seq);
      else close(CLOSE.internal, new FaceError('CLOSED', 'the live worker failed'));
    } finally {
      busy = false;
    }
    const next = waiting;
    waiting = undefined;
    if (next && !closed) await decide(next);
  }

  function frame(jpeg: Buffer): void {
    const n = ++seq;
    if (!started)
      return close(CLOSE.unauthorized, new FaceError('UNAUTHORIZED', 'send {"type":"hello","key":…} before frames'));
    if (!JPEG(jpeg)) return fail(new FaceError('IMAGE_UNSUPPORTED', 'a frame must be one JPEG image'), n);
    const now = performance.now();
    if (now - lastAccepted < 1000 / limits.maxFps) return send({ type: 'dropped', seq: n, reason: 'rate' });
    lastAccepted = now;
    const f = { seq: n, jpeg, at: now };
    if (!busy) return void decide(f);
    if (waiting) send({ type: 'dropped', seq: waiting.seq, reason: 'busy' });
    waiting = f;
  }

  async function control(text: string): Promise<void> {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(text) as Record<string, unknown>;
      if (!m || typeof m !== 'object' || Array.isArray(m)) throw new Error('not an object');
    } catch {
      return close(
        CLOSE.badMessage,
        new FaceError('INVALID_INPUT', 'a text message must be a JSON object with a "type"'),
      );
    }
    if (m.type === 'hello') return hello(m);
    if (!started)
      return close(CLOSE.unauthorized, new FaceError('UNAUTHORIZED', 'send {"type":"hello","key":…} first'));
    if (m.type === 'reset' || m.type === 'end') {
      const events = await live.streamEnd(id);
      for (const e of events) send({ type: 'track', ...e, time: r3(e.time) });
      if (m.type === 'end') return close(CLOSE.normal);
      await live.streamStart(id, far, detectEvery);
      return send({ type: 'ready', session: id, mode, reset: true });
    }
    if (m.type === 'ping') return send({ type: 'pong', t: m.t ?? null });
    fail(new FaceError('INVALID_INPUT', `unknown message type ${JSON.stringify(m.type)}`));
  }

  socket.on('message', (data, isBinary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) frame(buf);
    else
      void control(buf.toString('utf8')).catch((e) =>
        e instanceof FaceError ? close(CLOSE.badMessage, e) : close(CLOSE.internal, new FaceError('CLOSED', String(e))),
      );
  });
  socket.on('close', () => {
    if (closed) return;
    closed = true;
    sessions--;
    waiting = undefined;
    clearTimeout(helloTimer);
    clearInterval(heartbeat);
    live.liveListeners.delete(id);
    if (started) void live.streamEnd(id).catch(() => undefined);
  });
  socket.on('error', () => socket.terminate());
}
