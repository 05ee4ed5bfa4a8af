/**
 * The PostgreSQL + pgvector store: the shared GalleryStore contract, plus what only a server gives (migrations raced
 * by replicas, LISTEN/NOTIFY between replicas, the HNSW search, connection errors).
 *
 * Needs FACENET_TEST_PG_URL (scripts/postgres/start.sh prints one; `.ci/run` starts a server and sets it). Every
 * test works in a fresh schema of that database and drops it afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import pg from 'pg';
import { FaceError } from '../../../src/errors.js';
import { Gallery } from '../../../src/gallery/gallery.js';
import { openStore } from '../../../src/gallery/store/open-store.js';
import {
  maskPassword,
  PG_MIGRATIONS,
  PG_SCHEMA_VERSION,
  PostgresGalleryStore,
} from '../../../src/gallery/store/postgres/postgres-store.js';
import { distanceFromDot } from '../../../src/embed/vector.js';
import { SqliteGalleryStore } from '../../../src/gallery/store/sqlite/sqlite-store.js';
import type { StoreChange } from '../../../src/gallery/store/store.js';
import {
  codedImage,
  DIM,
  FAKE_MODEL,
  FakeRecognizer,
  fakeCalibration,
  fakeEmbedding,
  mulberry32,
  randomUnit,
} from '../fake-recognizer.js';
import { isCode, storeConformance, template } from './store-conformance.js';
import { freshPgGallery, PG_UNAVAILABLE, PG_URL, type After } from '../../helpers/postgres.js';

const UNAVAILABLE = PG_UNAVAILABLE;
const opts = UNAVAILABLE ? { skip: UNAVAILABLE } : {};
const fresh = freshPgGallery;

/** A client of the test database itself, for looking behind the store. */
async function admin(t: After): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: PG_URL });
  c.on('error', () => {});
  await c.connect();
  t.after(() => c.end());
  return c;
}

async function within<T>(ms: number, what: string, fn: () => T | undefined): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Two stores on one gallery (two replicas); b watches, recording the changes and errors it hears. */
async function watchedReplicas(t: After, url: string) {
  const a = await PostgresGalleryStore.open(url);
  const b = await PostgresGalleryStore.open(url);
  t.after(async () => {
    await a.close();
    await b.close();
  });
  const heard: StoreChange[] = [];
  const errors: FaceError[] = [];
  const unwatch = await b.watch(
    (c) => heard.push(c),
    (e) => errors.push(e),
  );
  return { a, b, heard, errors, unwatch };
}

/** A port on 127.0.0.1 where nothing listens. */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

storeConformance({
  name: 'PostgreSQL',
  unavailable: UNAVAILABLE,
  fresh,
  open: openStore,
});

test(
  'PostgreSQL: openStore routes postgres:// and postgresql:// URLs to the pgvector store, paths to SQLite',
  opts,
  async (t) => {
    const url = await fresh(t);
    const a = await openStore(url);
    const b = await openStore(url.replace(/^postgres:/, 'postgresql:'));
    const c = await openStore(':memory:');
    t.after(async () => {
      await a.close();
      await b.close();
      await c.close();
    });
    assert.ok(a instanceof PostgresGalleryStore);
    assert.ok(b instanceof PostgresGalleryStore);
    assert.ok(c instanceof SqliteGalleryStore);
    assert.equal(a.location, url, 'no password: the location is the URL itself');
  },
);

test(
  'PostgreSQL: migrations: replicas opening a new schema together migrate it once; a newer schema is refused',
  opts,
  async (t) => {
    const url = await fresh(t);
    const schema = new URL(url).searchParams.get('schema')!;
    const stores = await Promise.all(Array.from({ length: 5 }, () => PostgresGalleryStore.open(url)));
    for (const s of stores) {
      assert.equal(s.schemaVersion, PG_SCHEMA_VERSION);
      await s.close();
    }
    const db = await admin(t);
    const versions = await db.query(`SELECT version FROM "${schema}".facenet_schema`);
    assert.deepEqual(versions.rows, [{ version: PG_SCHEMA_VERSION }]);
    const tables = await db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    );
    assert.deepEqual(
      tables.rows.map((r) => r.table_name),
      ['calibrations', 'changes', 'facenet_schema', 'people', 'store_state', 'templates', 'thumbnails'],
    );
    assert.equal((await db.query(`SELECT 1 FROM pg_extension WHERE extname = 'vector'`)).rowCount, 1);

    await db.query(`UPDATE "${schema}".facenet_schema SET version = $1`, [PG_SCHEMA_VERSION + 1]);
    await assert.rejects(
      PostgresGalleryStore.open(url),
      (e: unknown) => isCode('GALLERY_ERROR')(e) && /newer than this facenet-ts/.test((e as Error).message),
    );
  },
);

test('PostgreSQL: galleries in different schemas of one database are independent', opts, async (t) => {
  const [u1, u2] = [await fresh(t), await fresh(t)];
  const a = await PostgresGalleryStore.open(u1);
  const b = await PostgresGalleryStore.open(u2);
  t.after(async () => {
    await a.close();
    await b.close();
  });
  const heard: StoreChange[] = [];
  await b.watch((c) => heard.push(c));
  await a.enroll({ name: 'Ada', templates: [template(1)] });
  await b.enroll({ name: 'Bob', templates: [template(2, 'other-model')] }); // another model is fine in another gallery
  assert.deepEqual(
    (await a.people()).map((p) => p.name),
    ['Ada'],
  );
  assert.deepEqual(
    (await b.people()).map((p) => p.name),
    ['Bob'],
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(heard, [], 'no notification crosses schemas');
});

test(
  'PostgreSQL: replicas: a change committed through one store reaches watch() on another within 1 s',
  opts,
  async (t) => {
    const url = await fresh(t);
    const { a, b, heard, errors, unwatch } = await watchedReplicas(t, url);

    const t0 = Date.now();
    const { person } = await a.enroll({ name: 'Ada', templates: [template(1), template(2)] });
    await within(1000, 'enroll notification', () => (heard.length ? true : undefined));
    t.diagnostic(`enroll seen by the other replica after ${Date.now() - t0} ms`);
    assert.deepEqual(heard, [{ kind: 'enroll', personId: person.id, name: 'Ada' }]);

    await b.enroll({ name: 'Bob', templates: [template(3)] }); // b's own change: not reported to b
    await a.forget('Ada');
    await within(1000, 'forget notification', () => (heard.length === 2 ? true : undefined));
    assert.deepEqual(heard[1], { kind: 'forget', personId: person.id }, 'a forgotten person has no name any more');

    // a bulk enrollment is one transaction; every person in it is reported, in order
    await a.enrollMany([
      { name: 'Cy', templates: [template(4)] },
      { name: 'Di', templates: [template(5)] },
    ]);
    await within(1000, 'bulk notifications', () => (heard.length === 4 ? true : undefined));
    assert.deepEqual(
      heard.slice(2).map((c) => [c.kind, c.name]),
      [
        ['enroll', 'Cy'],
        ['enroll', 'Di'],
      ],
    );

    await unwatch();
    await a.enroll({ name: 'Ed', templates: [template(6)] });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(heard.length, 4, 'nothing after unsubscribing');
    assert.deepEqual(errors, []);
  },
);

test('PostgreSQL: after a forget, no row, log entry or notification payload holds the name', opts, async (t) => {
  const url = await fresh(t);
  const schema = new URL(url).searchParams.get('schema')!;
  const c = await admin(t);
  const payloads: string[] = [];
  c.on('notification', (n) => payloads.push(n.payload ?? ''));
  await c.query(`LISTEN "facenet_gallery_changes.${schema}"`);
  const store = await PostgresGalleryStore.open(url);
  t.after(() => store.close());
  await store.enroll({ name: 'Zelda Quux', metadata: { note: 'Zelda Quux' }, templates: [template(1)] });
  await store.enroll({ name: 'Bob', templates: [template(2)] });
  await store.forget('Zelda Quux');
  await within(1000, 'notifications', () => (payloads.length >= 3 ? true : undefined));
  assert.ok(
    payloads.every((p) => !p.includes('Zelda') && !p.includes('Bob')),
    payloads.join('\n'),
  );
  // every table of the gallery's schema, read as text: the name is nowhere
  const tables = (
    await c.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = $1`, [schema])
  ).rows.map((r) => r.t);
  assert.ok(tables.includes('changes') && tables.includes('people'), tables.join(','));
  for (const table of tables) {
    const rows = await c.query(`SELECT t::text AS row FROM "${schema}"."${table}" t`);
    for (const r of rows.rows) assert.doesNotMatch(r.row as string, /Zelda/, `${table}: ${r.row}`);
  }
  const cols = await c.query(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'changes'`,
    [schema],
  );
  assert.deepEqual(cols.rows.map((r) => r.column_name).sort(), ['generation', 'kind', 'origin', 'person_id']);
});

test('PostgreSQL: a version-1 gallery is migrated to a change log without names, its entries kept', opts, async (t) => {
  const url = await fresh(t);
  const schema = new URL(url).searchParams.get('schema')!;
  const s = `"${schema}"`;
  const c = await admin(t);
  await c.query(`CREATE SCHEMA ${s}`);
  await c.query(PG_MIGRATIONS[0](s));
  await c.query(
    `CREATE TABLE ${s}.facenet_schema (version integer NOT NULL); INSERT INTO ${s}.facenet_schema VALUES (1)`,
  );
  await c.query(
    `INSERT INTO ${s}.changes (generation, person_id, kind, name, origin)
     VALUES (1, 7, 'enroll', 'Old Name', 'x'), (2, 7, 'forget', 'Old Name', 'x')`,
  );
  const store = await PostgresGalleryStore.open(url);
  t.after(() => store.close());
  assert.equal(store.schemaVersion, PG_SCHEMA_VERSION);
  const rows = await c.query(`SELECT t::text AS row FROM ${s}.changes t ORDER BY generation`);
  assert.deepEqual(
    rows.rows.map((r) => r.row),
    ['(1,7,enroll,x)', '(2,7,forget,x)'],
  );
});

test(
  'PostgreSQL: a dropped LISTEN connection reconnects and replays what was committed meanwhile; nothing crashes',
  opts,
  async (t) => {
    const url = await fresh(t);
    const schema = new URL(url).searchParams.get('schema')!;
    const { a, heard, errors } = await watchedReplicas(t, url);
    const db = await admin(t);
    const killed = await db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
      [`facenet-ts listen ${schema}`.slice(0, 63)],
    );
    assert.equal(killed.rowCount, 1, 'one LISTEN connection');
    // committed while b's listener is (probably) still down
    await a.enroll({ name: 'Ada', templates: [template(1)] });
    await a.enroll({ name: 'Bob', templates: [template(2)] });
    await within(5000, 'replayed changes', () => (heard.length === 2 ? true : undefined));
    assert.deepEqual(
      heard.map((c) => c.name),
      ['Ada', 'Bob'],
    );
    assert.ok(errors.length >= 1, 'the outage was reported');
    for (const e of errors) assert.ok(e instanceof FaceError && e.code === 'GALLERY_ERROR');
    // and it keeps working after the reconnect
    await a.enroll({ name: 'Cy', templates: [template(3)] });
    await within(1000, 'change after reconnect', () => (heard.length === 3 ? true : undefined));
    t.diagnostic(errors.map((e) => e.message).join(' | '));
  },
);

test('PostgreSQL: close() ends the pool and every LISTEN connection', opts, async (t) => {
  const url = await fresh(t);
  const schema = new URL(url).searchParams.get('schema')!;
  const store = await PostgresGalleryStore.open(url);
  await store.watch(() => {});
  await store.watch(() => {});
  const db = await admin(t);
  const listening = async () =>
    Number(
      (
        await db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1`, [
          `facenet-ts listen ${schema}`.slice(0, 63),
        ])
      ).rows[0].n,
    );
  assert.equal(await listening(), 2);
  await store.close();
  await store.close(); // idempotent
  for (let i = 0; i < 100 && (await listening()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await listening(), 0);
  await assert.rejects(store.people(), isCode('GALLERY_ERROR'));
});

/** Exact search: each person's nearest template, sorted. */
function bruteForce(
  rows: { id: number; label: number; v: Float32Array }[],
  q: Float32Array,
  k: number,
  exclude?: number,
) {
  const best = new Map<number, { key: number; label: number; dot: number }>();
  for (const r of rows) {
    if (r.label === exclude) continue;
    let d = 0;
    for (let i = 0; i < q.length; i++) d += r.v[i] * q[i];
    const cur = best.get(r.label);
    if (!cur || d > cur.dot) best.set(r.label, { key: r.id, label: r.label, dot: d });
  }
  return [...best.values()].sort((a, b) => b.dot - a.dot).slice(0, k);
}

test(
  'PostgreSQL: nearest: one hit per person, nearest first, agreeing with exact search; excludeLabel honoured',
  opts,
  async (t) => {
    const store = await PostgresGalleryStore.open(await fresh(t));
    t.after(() => store.close());
    assert.deepEqual(await store.nearest(FAKE_MODEL, randomUnit(1), 5), [], 'empty gallery');

    // 300 people × 1–3 photos: noisy variants of an identity vector (same-person distance ≈ 0.35)
    const people = 300;
    const rand = mulberry32(42);
    const records = Array.from({ length: people }, (_, id) => ({
      name: `person ${id}`,
      templates: Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, v) => ({
        ...template(0),
        sourceSha256: `${id}-${v}`,
        embedding: fakeEmbedding(id, v + 1, 0.5),
      })), // distinct photos
    }));
    const receipts = await store.enrollMany(records);
    const rows = receipts.flatMap((r, i) =>
      r.templateIds.map((id, j) => ({ id, label: r.person.id, v: records[i].templates[j].embedding })),
    );
    const info = await store.indexInfo();
    assert.equal(info.kind, 'halfvec');
    assert.equal(info.dim, DIM);
    assert.ok(info.bytes > 0, 'the HNSW index exists');

    let top1 = 0;
    let top5 = 0;
    const queries = 150;
    for (let q = 0; q < queries; q++) {
      // fresh photos of enrolled people, and some strangers
      const query = q < 120 ? fakeEmbedding(q * 2, 100 + q, 0.5) : randomUnit(5000 + q);
      const hits = await store.nearest(FAKE_MODEL, query, 5);
      const exact = bruteForce(rows, query, 5);
      assert.equal(hits.length, 5);
      assert.equal(new Set(hits.map((h) => h.label)).size, 5, 'one hit per person');
      for (let i = 1; i < hits.length; i++) assert.ok(hits[i].distance >= hits[i - 1].distance, 'nearest first');
      for (const h of hits) {
        const want = rows.find((r) => r.id === h.key)!;
        assert.equal(want.label, h.label);
        assert.equal(h.name, `person ${h.label - receipts[0].person.id}`);
      }
      if (hits[0].key === exact[0].key) top1++;
      assert.ok(Math.abs(hits[0].distance - distanceFromDot(exact[0].dot)) < 1e-5 || hits[0].key !== exact[0].key);
      const want = new Set(exact.map((e) => e.label));
      top5 += hits.filter((h) => want.has(h.label)).length;
    }
    t.diagnostic(`recall@1 ${top1}/${queries}, recall@5 ${(top5 / (5 * queries)).toFixed(4)}`);
    assert.equal(top1, queries, 'recall@1 = 1 at this size');
    assert.ok(top5 / (5 * queries) >= 0.98);

    // excludeLabel: the query's own person never comes back; the next one is the exact second
    for (let q = 0; q < 20; q++) {
      const own = receipts[q].person.id;
      const query = rows.find((r) => r.label === own)!.v;
      const [self] = await store.nearest(FAKE_MODEL, query, 1);
      assert.equal(self.label, own);
      assert.ok(self.distance < 1e-3, 'itself: distance 0 up to float32 rounding');
      const hits = await store.nearest(FAKE_MODEL, query, 3, { excludeLabel: own, ef: 200 });
      assert.ok(hits.every((h) => h.label !== own));
      assert.equal(hits[0].label, bruteForce(rows, query, 1, own)[0].label);
    }
    assert.deepEqual(await store.nearest(FAKE_MODEL, randomUnit(1), 0), []);
    assert.equal(
      (await store.nearest(FAKE_MODEL, randomUnit(1), 1000)).length,
      people,
      'k beyond the gallery: everyone once',
    );
    await assert.rejects(store.nearest(FAKE_MODEL, new Float32Array(64), 1), isCode('INVALID_INPUT'));
  },
);

test(
  'PostgreSQL: the dimension is fixed by the first enrollment; an emptied gallery takes another model and dimension',
  opts,
  async (t) => {
    const store = await PostgresGalleryStore.open(await fresh(t));
    t.after(() => store.close());
    await store.enroll({ name: 'Ada', templates: [template(1)] });
    const small = { ...template(2), embedding: randomUnit(2, 64) };
    await assert.rejects(store.enroll({ name: 'Bob', templates: [small] }), isCode('INVALID_INPUT'));
    await assert.rejects(
      store.enroll({ name: 'Bob', templates: [{ ...small, modelId: 'small-model' }] }),
      isCode('MODEL_MISMATCH'),
    );
    // Another session's snapshot from before the forget keeps Ada's deleted row "recently dead"; an index build still
    // reads such rows, and casting her 128-D row to the new 64-D index failed (seen in CI, where other tests' sessions
    // hold snapshots). Held open here on purpose, so the case is always the one tested.
    const other = await admin(t);
    await other.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await other.query('SELECT 1');
    await store.forget('Ada');
    await store.enroll({ name: 'Bob', templates: [{ ...small, modelId: 'small-model' }] });
    await other.query('COMMIT');
    assert.deepEqual((await store.indexInfo()).dim, 64);
    const [hit] = await store.nearest('small-model', small.embedding, 1);
    assert.ok(hit.distance < 1e-3);
    assert.deepEqual(Array.from((await store.templates('small-model'))[0].embedding), Array.from(small.embedding));
  },
);

test(
  'PostgreSQL: enrollMany: one transaction, receipts in order, repeated names merged, ids ascending',
  opts,
  async (t) => {
    const store = await PostgresGalleryStore.open(await fresh(t));
    t.after(() => store.close());
    await store.enroll({ name: 'Ada', metadata: { a: 1 }, templates: [template(1)] });
    const g0 = await store.generation();
    const rs = await store.enrollMany([
      { name: 'Bob', templates: [template(2), template(3)] },
      { name: ' Ada', metadata: { b: 2 }, templates: [template(4)] },
      { name: 'Bob', metadata: { c: 3 }, templates: [template(5)] },
    ]);
    assert.equal(await store.generation(), g0 + 1, 'one transaction, one generation');
    assert.deepEqual(
      rs.map((r) => [r.person.name, r.created, r.templateIds.length]),
      [
        ['Bob', true, 2],
        ['Ada', false, 1],
        ['Bob', false, 1],
      ],
    );
    const ids = rs.flatMap((r) => r.templateIds);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    assert.deepEqual((await store.findPerson('Ada'))?.metadata, { a: 1, b: 2 });
    assert.deepEqual((await store.findPerson('Bob'))?.metadata, { c: 3 });
    assert.deepEqual(
      (await store.personTemplates(rs[0].person.id, FAKE_MODEL)).map((x) => x.sourceSha256),
      [template(2), template(3), template(5)].map((x) => x.sourceSha256),
    );
    // all or nothing: a bad record anywhere leaves no trace of the others
    await assert.rejects(
      store.enrollMany([
        { name: 'Cy', templates: [template(6)] },
        { name: 'Di', templates: [template(7, 'other-model')] },
      ]),
      isCode('MODEL_MISMATCH'),
    );
    await assert.rejects(
      store.enrollMany([
        { name: 'Cy', templates: [template(6)] },
        { name: 'Di', templates: [{ ...template(7), embedding: new Float32Array(DIM).fill(NaN) }] },
      ]),
      isCode('INVALID_INPUT'),
    );
    assert.equal(await store.findPerson('Cy'), undefined);
    assert.equal(await store.generation(), g0 + 1);
  },
);

test('PostgreSQL: connection errors are GALLERY_ERROR and never show the password', opts, async (t) => {
  const secret = 'hunter2-Secret';
  const base = new URL(PG_URL!);
  const withCreds = (user: string, db = base.pathname.slice(1), port = base.port) =>
    `postgres://${user}:${secret}@${base.hostname}:${port}/${db}?schema=x`;
  const cases: [string, string][] = [
    ['unknown database', withCreds(base.username || 'postgres', 'facenet_no_such_db')],
    ['unknown role', withCreds('facenet_no_such_role')],
    ['refused', withCreds('postgres', 'db', String(await deadPort()))],
    ['bad URL', `postgres://postgres:${secret}@[::1`],
    ['bad schema', `postgres://postgres:${secret}@localhost/db?schema=Robert');DROP`],
  ];
  for (const [what, url] of cases) {
    const e = await PostgresGalleryStore.open(url).then(
      () => assert.fail(`${what}: opened`),
      (err: unknown) => err,
    );
    assert.ok(e instanceof FaceError && e.code === 'GALLERY_ERROR', `${what}: ${String(e)}`);
    const shown = [e.message, JSON.stringify(e.toJSON()), e.stack ?? ''].join('\n');
    assert.ok(!shown.includes(secret), `${what}: the password leaks: ${e.message}`);
    t.diagnostic(`${what}: ${e.message}`);
  }
  assert.equal(maskPassword(`postgres://u:${secret}@h/db`), 'postgres://u:***@h/db');
});

test(
  'PostgreSQL: a refused connection fails at once, as refused (no retry loop, no connect timeout)',
  opts,
  async (t) => {
    const port = await deadPort();
    const t0 = Date.now();
    await assert.rejects(
      PostgresGalleryStore.open(`postgres://postgres@127.0.0.1:${port}/facenet_test`),
      (e: unknown) => isCode('GALLERY_ERROR')(e) && /refused/.test((e as Error).message),
    );
    // a figure, not a limit: time limits belong in benchmarks
    t.diagnostic(`refused after ${Date.now() - t0} ms`);
  },
);

test(
  'PostgreSQL: Gallery replicas: enrollments through one are identified by the other, ' +
    'in memory or searched in the database',
  opts,
  async (t) => {
    const location = await fresh(t);
    const open = (inMemoryLimit?: number) =>
      Gallery.open({ location, recognizer: new FakeRecognizer(), calibration: fakeCalibration(), inMemoryLimit });
    const a = await open();
    t.after(() => a.close());
    await a.enroll('Ada', [codedImage(1, 1, 1), codedImage(1, 1, 2)]);
    const memory = await open();
    const store = await open(0); // every gallery is "too large": search through pgvector
    t.after(async () => {
      await memory.close();
      await store.close();
    });
    assert.equal(store.searchMode, 'store');
    assert.equal(memory.searchMode, 'memory');
    await a.enroll('Bob', [codedImage(2, 1, 1), codedImage(2, 1, 2)]);
    // the in-memory replica learns of Bob through the notification
    const seen = async (g: Gallery) => {
      for (let i = 0; i < 100; i++) {
        await g.settled();
        const r = await g.identify(codedImage(2, 1, 5));
        // a store-searching replica may find Bob (in the database) a moment before its counters hear of him
        if (r.faces[0].person === 'Bob' && r.people === 2) return r;
        await new Promise((res) => setTimeout(res, 10));
      }
      assert.fail('Bob not identified by the replica within 1 s');
    };
    for (const g of [memory, store]) {
      const r = await seen(g);
      assert.equal(r.people, 2);
      assert.equal((await g.identify(codedImage(1, 1, 7))).faces[0].person, 'Ada');
      assert.equal((await g.identify(codedImage(99, 1, 1))).faces[0].person, 'unknown');
    }
  },
);
