/**
 * Two `facenet serve` replicas on one real PostgreSQL gallery: what one enrolls or forgets, the other sees
 * (LISTEN/NOTIFY keeps each replica's in-memory view in step), within a second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import { freshPgGallery, PG_UNAVAILABLE } from '../helpers/postgres.js';

const skip = PG_UNAVAILABLE ?? needDataset(JOHNS_DIR);

function photos(person: string): string[] {
  const dir = path.join(JOHNS_DIR, person);
  return readdirSync(dir)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

async function post(base: string, url: string, body: object) {
  const res = await fetch(`${base}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function identify(base: string, file: string): Promise<string> {
  const r = await post(base, '/v1/identify', { image: readFileSync(file).toString('base64'), aligned: true });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const faces = r.json.faces as { person: string }[];
  return faces[0].person;
}

/** Poll until `fn` returns true; the time it took. */
async function within(ms: number, what: string, fn: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test(
  'two server replicas on one PostgreSQL gallery: enroll through one, identify through the other',
  { skip, timeout: 180_000 },
  async (t) => {
    const gallery = await freshPgGallery(t);
    const dir = mkdtempSync(path.join(tmpdir(), 'facenet-replicas-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const replicas: RunningServer[] = [];
    t.after(async () => {
      for (const r of replicas) await r.close();
    });
    for (const name of ['a', 'b'])
      replicas.push(
        await startServer({
          port: 0,
          gallery,
          keys: path.join(dir, `${name}-keys.db`),
          auth: false,
          workers: 0,
          recognizer: { threads: 1 },
        }),
      );
    const [a, b] = replicas.map((r) => r.url);

    const simm = photos('John_Simm');
    const savage = photos('John_Savage');
    assert.equal(await identify(b, simm[3]), 'unknown', 'nobody is enrolled yet');

    let r = await post(a, '/v1/people', {
      name: 'John Simm',
      image: readFileSync(simm[0]).toString('base64'),
      aligned: true,
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const seenAfter = await within(
      1000,
      'replica B sees the enrollment made on A',
      async () => (await identify(b, simm[3])) === 'John Simm',
    );
    t.diagnostic(`B identified the person enrolled through A ${seenAfter} ms after the enrollment returned`);

    // and the other way round, with a forget
    r = await post(b, '/v1/people', {
      name: 'John Savage',
      image: readFileSync(savage[0]).toString('base64'),
      aligned: true,
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    await within(
      1000,
      'replica A sees the enrollment made on B',
      async () => (await identify(a, savage[4])) === 'John Savage',
    );
    const del = await fetch(`${b}/v1/people/${encodeURIComponent('John Simm')}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    await within(
      1000,
      'replica A forgets the person forgotten on B',
      async () => (await identify(a, simm[3])) === 'unknown',
    );
    const health = (await (await fetch(`${a}/v1/health`)).json()) as { people: number };
    assert.equal(health.people, 1, 'A counts one person left');
  },
);
