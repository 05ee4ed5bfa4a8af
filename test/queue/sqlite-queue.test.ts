/**
 * The table-backed SQLite job queue: jobs in order, a failing handler retried up to the limit (the last delivery
 * says so), a job held by a process that no longer exists taken over at once, removal, and nothing left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteQueue } from '../../src/queue/sqlite-queue.js';
import type { QueuedJob } from '../../src/queue/job-queue.js';
import { tempDir } from '../video/fixtures.js';

const rows = (file: string) =>
  (new Database(file, { readonly: true }).prepare('SELECT COUNT(*) AS n FROM facenet_job_queue').get() as { n: number })
    .n;

async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('jobs run in order; a failing one is retried, the last delivery marked; done jobs leave no row', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'q.db');
  const q = new SqliteQueue<{ n: number }>(file, 'test', { leaseSeconds: 5, retryLimit: 2, pollSeconds: 0.05 });
  t.after(() => q.close());
  const seen: QueuedJob<{ n: number }>[] = [];
  for (const n of [1, 2, 3]) await q.send({ n });
  await q.work(async (job) => {
    seen.push(job);
    if (job.data.n === 2) throw new Error('fails every time');
  });
  await until(() => seen.filter((j) => j.data.n === 2).length === 3 && seen.some((j) => j.data.n === 3));
  await new Promise((r) => setTimeout(r, 200));
  const twos = seen.filter((j) => j.data.n === 2);
  assert.deepEqual(
    twos.map((j) => [j.attempt, j.last]),
    [
      [1, false],
      [2, false],
      [3, true],
    ],
  );
  assert.equal(seen[0].data.n, 1);
  assert.equal(rows(file), 1, 'only the job that failed for good is left');
});

test('a job held by a process that died is taken over at once; remove deletes waiting jobs', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'q.db');
  const q = new SqliteQueue<{ n: number }>(file, 'test', { leaseSeconds: 3600, pollSeconds: 0.05 });
  t.after(() => q.close());
  const held = await q.send({ n: 1 });
  const gone = await q.send({ n: 2 });
  // a process that claimed job 1 and was killed: its pid no longer exists, its lease has an hour left
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const db = new Database(file);
  db.prepare(
    "UPDATE facenet_job_queue SET state = 'active', attempts = 1, lease_until = ?, owner = ? WHERE id = ?",
  ).run(Date.now() + 3_600_000, Number(dead.stdout), held);
  db.close();
  await q.remove([gone]);
  const seen: QueuedJob<{ n: number }>[] = [];
  await q.work(async (job) => void seen.push(job));
  await until(() => seen.length === 1);
  assert.deepEqual([seen[0].id, seen[0].attempt], [held, 2]);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(seen.length, 1, 'the removed job never runs');
  assert.equal(rows(file), 0);
});
