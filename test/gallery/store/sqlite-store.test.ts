import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION, SqliteGalleryStore } from '../../../src/gallery/store/sqlite/sqlite-store.js';
import { FAKE_MODEL, fakeCalibration, randomUnit } from '../fake-recognizer.js';
import { isCode, storeConformance, template } from './store-conformance.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'gallery.db');
}

storeConformance({
  name: 'SQLite',
  async fresh(t) {
    return tmp(t);
  },
  async open(file) {
    return SqliteGalleryStore.open(file);
  },
});

test('the file is WAL with the current schema version', async (t) => {
  const file = tmp(t);
  const store = SqliteGalleryStore.open(file);
  assert.equal(store.schemaVersion, SCHEMA_VERSION);
  await store.enroll({ name: 'Ada', templates: [template(1)] });
  await store.close();
  const raw = new Database(file, { readonly: true });
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  raw.close();
});

test('migrations: a version-1 file is upgraded in place with its data; a newer file is refused', async (t) => {
  const file = tmp(t);
  // build a genuine v1 file: only the first migration, v1 columns
  const v1 = SqliteGalleryStore.open(file, { targetVersion: 1 });
  assert.equal(v1.schemaVersion, 1);
  await v1.close();
  const raw = new Database(file);
  raw.prepare("INSERT INTO people (id, name, created) VALUES (1, 'Old', '2020-01-01T00:00:00Z')").run();
  const emb = randomUnit(9);
  raw
    .prepare(
      'INSERT INTO templates (person_id, model_id, embedding, source_sha256, detection_score, created) ' +
        "VALUES (1, ?, ?, 'abc', 0.8, '2020')",
    )
    .run(FAKE_MODEL, Buffer.from(emb.buffer));
  assert.throws(() => raw.prepare('SELECT face_size FROM templates').all(), /no such column/);
  raw.close();

  const store = SqliteGalleryStore.open(file);
  assert.equal(store.schemaVersion, SCHEMA_VERSION);
  const [tpl] = await store.templates(FAKE_MODEL);
  assert.deepEqual(Array.from(tpl.embedding), Array.from(emb));
  assert.equal(tpl.faceSize, 0, 'new column gets its default');
  await store.saveCalibration(fakeCalibration()); // table from migration 2 exists
  assert.equal(await store.generation(), 0, 'the change counter starts at 0 on a migrated file');
  await store.close();

  const bump = new Database(file);
  bump.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  bump.close();
  assert.throws(
    () => SqliteGalleryStore.open(file),
    (e: unknown) => isCode('GALLERY_ERROR')(e) && /newer than this facenet-ts/.test((e as Error).message),
  );
});

test('a file that is not a database is a GALLERY_CORRUPT error, not a crash', (t) => {
  const file = tmp(t);
  writeFileSync(file, 'this is not sqlite at all, just some text padding the header out '.repeat(20));
  assert.throws(() => SqliteGalleryStore.open(file), isCode('GALLERY_CORRUPT'));
});

test('forget leaves no row and no bytes of the person in the file', async (t) => {
  const file = tmp(t);
  const store = SqliteGalleryStore.open(file);
  const ada = [template(11), template(12), template(13)];
  const { person } = await store.enroll({ name: 'Ada', templates: ada });
  await store.enroll({ name: 'Bob', templates: [template(14)] });
  const res = await store.forget('Ada');
  assert.equal(res.templatesRemoved, 3);
  await store.close();

  const raw = new Database(file, { readonly: true });
  assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM people WHERE name = ?').get('Ada') as { n: number }).n, 0);
  assert.equal(
    (raw.prepare('SELECT COUNT(*) AS n FROM templates WHERE person_id = ?').get(person.id) as { n: number }).n,
    0,
  );
  const thumbs = raw
    .prepare(
      'SELECT t.template_id, p.id AS person FROM thumbnails t ' +
        'LEFT JOIN templates x ON x.id = t.template_id LEFT JOIN people p ON p.id = x.person_id',
    )
    .all() as {
    template_id: number;
    person: number | null;
  }[];
  assert.equal(thumbs.length, 1, 'only Bob’s thumbnail is left');
  assert.ok(
    thumbs.every((r) => r.person !== null),
    'no orphan thumbnail',
  );
  assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM templates').get() as { n: number }).n, 1);
  raw.close();

  // secure_delete + checkpoint: neither the embeddings nor the thumbnails survive anywhere in the files
  const bytes = Buffer.concat([
    readFileSync(file),
    ...['-wal'].map((s) => {
      try {
        return readFileSync(file + s);
      } catch {
        return Buffer.alloc(0);
      }
    }),
  ]);
  for (const tpl of ada) {
    assert.equal(bytes.indexOf(Buffer.from(tpl.embedding.buffer)), -1, 'embedding bytes remain in the file');
    assert.equal(bytes.indexOf(Buffer.from(tpl.thumbnail!)), -1, 'thumbnail bytes remain in the file');
  }
});

test('a failing enrollment leaves no row in any table (one transaction)', async (t) => {
  const file = tmp(t);
  const store = SqliteGalleryStore.open(file);
  const bad = { ...template(2), embedding: 'not a vector' as unknown as Float32Array };
  await assert.rejects(store.enroll({ name: 'Ada', templates: [template(1), bad] }));
  const raw = new Database(file, { readonly: true });
  assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM templates').get() as { n: number }).n, 0);
  assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM thumbnails').get() as { n: number }).n, 0);
  raw.close();
  await store.close();
});

test('change log: another connection reads what changed since its generation, or undefined past the log', async (t) => {
  const file = tmp(t);
  const writer = SqliteGalleryStore.open(file);
  const reader = SqliteGalleryStore.open(file);
  t.after(async () => {
    await writer.close();
    await reader.close();
  });
  const g0 = await reader.generation();
  assert.deepEqual(await reader.changesSince(g0), { generation: g0, changes: [] });
  const ada = await writer.enroll({ name: 'Ada', templates: [template(1)] });
  const bob = await writer.enroll({ name: 'Bob', templates: [template(2)] });
  await writer.forget('Ada');
  const log = await reader.changesSince(g0);
  // the log keeps no names: an enrolled person's comes from `people`, a forgotten one's is gone
  assert.deepEqual(log, {
    generation: g0 + 3,
    changes: [
      { kind: 'enroll', personId: ada.person.id },
      { kind: 'enroll', personId: bob.person.id, name: 'Bob' },
      { kind: 'forget', personId: ada.person.id },
    ],
  });
  assert.equal(await reader.changesSince(g0 - 1), undefined, 'older than the log: reload');
  assert.equal(await reader.changesSince(g0 + 5), undefined, 'ahead of the file (replaced): reload');
});

test('a forget whose checkpoint fails still commits, and says the scrub is pending', async (t) => {
  const file = tmp(t);
  let full = true;
  const store = SqliteGalleryStore.open(file, {
    faults: {
      beforeCheckpoint: () => {
        if (full) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      },
    },
  });
  t.after(() => store.close());
  await store.enroll({ name: 'Ada', templates: [template(1)] });
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const r = await store.forget('Ada');
  assert.equal(r.scrubbed, false);
  assert.equal(await store.findPerson('Ada'), undefined);
  full = false;
  await store.enroll({ name: 'Bo', templates: [template(2)] }); // the next write retries the checkpoint
  assert.equal((await store.forget('Bo')).scrubbed, true);
});
