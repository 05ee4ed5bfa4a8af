/**
 * Video jobs shared by two `facenet serve` processes on one PostgreSQL gallery (pg-boss queue): a URL job (an
 * MP4 file on a local HTTP server, private addresses allowed by the operator) runs on one of them; that one is
 * SIGKILLed mid-job, and the other takes the job over once its lease expires, resumes at the checkpoint, keeps the
 * tracks decided before the kill, and finishes. DELETE then removes the job's row and its queue rows (pg-boss's job
 * and archive tables).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { lfwImage, makeClip } from '../../src/eval/video-clips.js';
import { LFW_DIR, needDataset } from '../helpers/datasets.js';
import { facenet } from '../helpers/cli.js';
import { freshPgGallery, PG_UNAVAILABLE, PG_URL } from '../helpers/postgres.js';
import { call, serve, until, type Served } from '../helpers/serve.js';
import { ffmpeg, needFfmpeg, tempDir } from '../video/fixtures.js';

const skip = needFfmpeg || needDataset(LFW_DIR) || PG_UNAVAILABLE;
const key = (t: number, x: number, y: number) => ({ t, x, y });
type Track = { id: number; person: string; start: number; end: number };
type Job = { status: string; progress: { tracksDecided: number }; result?: { tracks: Track[] } };

test(
  'two servers share the PostgreSQL job queue: the job of a killed one finishes on the other',
  { skip },
  async (t) => {
    const { dir, cleanup } = tempDir();
    t.after(cleanup);
    const gallery = await freshPgGallery(t);
    const schema = new URL(gallery).searchParams.get('schema')!;
    const mp4 = path.join(dir, 'long.mp4');
    await makeClip(
      {
        name: 'long',
        seconds: 12,
        fps: 25,
        width: 640,
        height: 480,
        faces: [
          { person: 'Colin_Powell', image: 1, size: 230, path: [key(0, 0, 150), key(12, 120, 160)] },
          { person: 'Tony_Blair', image: 1, size: 230, path: [key(0, 410, 170), key(12, 300, 150)] },
        ],
      },
      LFW_DIR,
      mp4,
    );
    // an MP4 whose index comes first: a file behind HTTP, whose length ffmpeg knows
    const web = path.join(dir, 'long-web.mp4');
    ffmpeg('-i', mp4, '-c', 'copy', '-movflags', '+faststart', web);
    const bytes = readFileSync(web);
    const srv = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length });
      res.end(bytes);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    t.after(() => srv.close());
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/long.mp4`;
    const enrolled = facenet(['enroll', 'Colin Powell', lfwImage(LFW_DIR, 'Colin_Powell', 2), '--gallery', gallery]);
    assert.equal(enrolled.code, 0, enrolled.stderr);

    const args = (name: string) => [
      '--gallery',
      gallery,
      '--no-auth',
      '--keys',
      path.join(dir, `${name}.keys.db`),
      '--workers',
      '0',
      '--threads',
      '1',
      '--slice-seconds',
      '3',
      '--allow-private-urls',
      '--video-dir',
      path.join(dir, 'uploads'),
    ];
    const servers: Served[] = await Promise.all([serve(args('a')), serve(args('b'))]);
    t.after(() => Promise.all(servers.map((s) => s.kill('SIGKILL'))));
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    t.after(() => db.end());
    const row = async (id: string) =>
      (await db.query(`SELECT doc FROM "${schema}".facenet_videos WHERE id = $1`, [id])).rows[0]?.doc as
        { runner?: string; queueJobs: string[]; checkpoint: { time: number; tracks: Track[] } | null } | undefined;

    const posted = await call(servers[0].base, 'POST', '/v1/videos', undefined, { url });
    assert.equal(posted.status, 202, JSON.stringify(posted.json));
    const id = posted.json.id as string;
    await until(
      () => row(id),
      (r) => !!r?.checkpoint?.tracks.length,
      240_000,
      'decided tracks',
    );
    const before = (await row(id))!;
    const victim = servers.find((s) => before.runner?.endsWith(`:${s.child.pid}`));
    assert.ok(victim, `the runner ${before.runner} is one of the two servers`);
    await victim.kill('SIGKILL');
    const survivor = servers.find((s) => s !== victim)!;
    const done = await until(
      async () => (await call(survivor.base, 'GET', `/v1/videos/${id}`)).json as unknown as Job,
      (j) => j.status === 'done' || j.status === 'failed',
      300_000,
      'the job to finish on the other server',
    );
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.ok((await row(id))!.runner!.endsWith(`:${survivor.child.pid}`), 'the other server finished it');
    const tracks = done.result!.tracks;
    for (const k of before.checkpoint!.tracks)
      assert.ok(
        tracks.some((a) => a.id === k.id && a.start === k.start && a.end >= k.end),
        `track ${k.id} decided before the kill is kept`,
      );
    assert.ok(Math.max(...tracks.map((x) => x.end)) > 11, 'watched to the end (the replayed start skipped)');
    // the URL restarted at its beginning after the kill: what was decided before is not decided twice
    const colin = tracks.filter((x) => x.person === 'Colin Powell').sort((a, b) => a.start - b.start);
    assert.ok(colin.length >= 1);
    for (let i = 1; i < colin.length; i++)
      assert.ok(colin[i].start >= colin[i - 1].end - 0.05, `Colin Powell's tracks overlap: ${JSON.stringify(colin)}`);

    const queueJobs = (await row(id))!.queueJobs;
    assert.ok(queueJobs.length >= 2);
    assert.equal((await call(survivor.base, 'DELETE', `/v1/videos/${id}`)).status, 200);
    assert.equal(await row(id), undefined);
    for (const table of ['job', 'archive']) {
      const n = await db.query(`SELECT COUNT(*)::int AS n FROM "${schema}_jobs".${table} WHERE id = ANY($1::uuid[])`, [
        queueJobs,
      ]);
      assert.equal(n.rows[0].n, 0, `no ${table} rows left`);
    }
  },
);
