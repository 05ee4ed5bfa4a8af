import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { openSource } from '../../src/video/open-source.js';
import { type LiveSource } from '../../src/video/live-source.js';
import { FaceError } from '../../src/errors.js';
import { ffmpeg, needFfmpeg, patternClip, tempDir } from './fixtures.js';

/** A local server: /stream.ts stalls on its first connection, plays through on the next; a page; MJPEG; 404. */
async function server(ts: Buffer, jpegs: Buffer[], hlsDir = '') {
  let connections = 0;
  const srv = http.createServer((req, res) => {
    if (req.url === '/stream.ts') {
      const n = ++connections;
      res.writeHead(200, { 'content-type': 'video/mp2t' });
      const chunk = 188 * 40;
      let off = 0;
      const timer = setInterval(() => {
        if (n === 1 && off > ts.length / 3) return; // first connection: stall, connection left open
        res.write(ts.subarray(off, off + chunk));
        off += chunk;
        if (off >= ts.length) {
          clearInterval(timer);
          res.end();
        }
      }, 10);
      req.on('close', () => clearInterval(timer));
    } else if (req.url?.startsWith('/hls/')) {
      const file = path.join(hlsDir, path.basename(req.url));
      if (!existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t' });
      res.end(readFileSync(file));
    } else if (req.url === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><html><body>${'<p>not a video</p>'.repeat(200)}</body></html>`);
    } else if (req.url === '/mjpeg') {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace;boundary=frame' });
      for (const j of jpegs)
        res.write(
          Buffer.concat([
            Buffer.from(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${j.length}\r\n\r\n`),
            j,
            Buffer.from('\r\n'),
          ]),
        );
      res.end('--frame--\r\n');
    } else res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return { base, srv, connections: () => connections };
}

test(
  'live streams: a stall reconnects with backoff, times go on; a source that stays gone is STREAM_LOST',
  { skip: needFfmpeg },
  async () => {
    const { dir, cleanup } = tempDir();
    const ts = readFileSync(patternClip(path.join(dir, 'a.ts'), { seconds: 3, size: '160x120' }));
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-frames:v', '8', path.join(dir, 'f%02d.jpg'));
    const jpegs = readdirSync(dir)
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .map((f) => readFileSync(path.join(dir, f)));
    const { base, srv, connections } = await server(ts, jpegs);
    try {
      const src = (await openSource(`${base}/stream.ts`, {
        stallSeconds: 1.5,
        retries: 2,
        backoffSeconds: 0.1,
      })) as LiveSource;
      assert.ok(src.info.live);
      const times: number[] = [];
      let error: unknown;
      try {
        for await (const f of src) {
          times.push(f.time);
          if (connections() >= 2 && times.length > 60) srv.close(); // the second connection plays; then the server goes
        }
      } catch (e) {
        error = e;
      }
      assert.ok(src.reconnections >= 1, 'reconnected after the stall');
      assert.ok(
        src.warnings.some((w) => /no frame for 1.5 s/.test(w)),
        src.warnings.join('\n'),
      );
      assert.ok(times.length > 60, `${times.length} frames`);
      assert.ok(
        times.every((t, i) => i === 0 || t > times[i - 1]),
        'times never go back across the reconnection',
      );
      if (error) {
        assert.ok(error instanceof FaceError && error.code === 'STREAM_LOST', String(error));
        assert.match((error as Error).message, /lost after 2 reconnection attempts/);
      }
    } finally {
      srv.close();
      cleanup();
    }
  },
);

test(
  'live URLs: a web page is not a video, a 404 is not found, an unreachable server is lost; MJPEG plays',
  { skip: needFfmpeg },
  async () => {
    const { dir, cleanup } = tempDir();
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-frames:v', '8', path.join(dir, 'f%02d.jpg'));
    const jpegs = readdirSync(dir)
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .map((f) => readFileSync(path.join(dir, f)));
    const hls = path.join(dir, 'hls');
    mkdirSync(hls);
    patternClip(path.join(dir, 'h.mp4'), { seconds: 3, size: '160x120' });
    ffmpeg(
      '-i',
      path.join(dir, 'h.mp4'),
      '-c',
      'copy',
      '-f',
      'hls',
      '-hls_time',
      '1',
      '-hls_list_size',
      '0',
      path.join(hls, 'index.m3u8'),
    );
    const { base, srv } = await server(Buffer.alloc(0), jpegs, hls);
    const fail = async (url: string, opts = {}) => {
      try {
        for await (const _ of await openSource(url, { stallSeconds: 2, retries: 1, backoffSeconds: 0.05, ...opts }));
      } catch (e) {
        return e instanceof FaceError ? e.code : String(e);
      }
      return 'ended';
    };
    try {
      assert.equal(await fail(`${base}/page.html`), 'VIDEO_UNSUPPORTED');
      assert.equal(await fail(`${base}/missing.mp4`), 'VIDEO_NOT_FOUND');
      let n = 0;
      const mjpeg = await openSource(`${base}/mjpeg`, { retries: 0 });
      try {
        for await (const f of mjpeg) if (f.image.width === 160) n++;
      } catch (e) {
        assert.equal((e as FaceError).code, 'STREAM_LOST'); // the server ends the stream after 8 frames
      }
      assert.equal(n, 8);
      // a finished playlist has a length: it ends at its end, without reconnecting (which would replay it)
      let h = 0;
      for await (const _ of await openSource(`${base}/hls/index.m3u8`, { retries: 3 })) h++;
      assert.equal(h, 75);
      srv.close();
      assert.equal(await fail(`${base}/stream.ts`), 'STREAM_LOST');
    } finally {
      srv.close();
      cleanup();
    }
  },
);
