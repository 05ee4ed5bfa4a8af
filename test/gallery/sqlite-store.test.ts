import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION, SqliteGalleryStore } from '../../src/gallery/sqlite-store.js';
import type { NewTemplate } from '../../src/gallery/store.js';
import { FaceError } from '../../src/errors.js';
import { FAKE_MODEL, fakeCalibration, randomUnit } from './fake-recognizer.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'gallery.db');
}

function template(seed: number, modelId = FAKE_MODEL): NewTemplate {
  return {
    modelId,
    embedding: randomUnit(seed),
    sourceSha256: seed.toString(16).padStart(64, '0'),
    detectionScore: 0.9,
    faceSize: 80 + seed,
    thumbnail: Uint8Array.from({ length: 300 }, (_, i) => (i * 31 + seed * 7) & 255),
  };
}

const isCode = (code: string) => (e: unknown) => e instanceof FaceError && e.code === code;

test('round trip: people, templates, thumbnails, metadata and calibration survive a reopen', (t) => {
  const file = tmp(t);
  const store = SqliteGalleryStore.open(file);
  assert.equal(store.schemaVersion, SCHEMA_VERSION);
  const r1 = store.enroll({ name: 'Ada', metadata: { team: 'x' }, templates: [template(1), template(2)] });
  assert.equal(r1.created, true);
  assert.equal(r1.templateIds.length, 2);
  const r2 = store.enroll({ name: 'Ada', metadata: { badge: 7 }, templates: [template(3)] });
  assert.equal(r2.created, false);
  assert.equal(r2.person.id, r1.person.id);
  store.enroll({ name: 'Bob', templates: [template(4)] });
  const cal = fakeCalibration();
  store.saveCalibration(cal);
  store.close();

  const again = SqliteGalleryStore.open(file);
  const people = again.people();
  assert.deepEqual(
    people.map((p) => [p.name, p.templates, p.modelIds]),
    [
      ['Ada', 3, [FAKE_MODEL]],
      ['Bob', 1, [FAKE_MODEL]],
    ],
  );
  assert.deepEqual(people[0].metadata, { team: 'x', badge: 7 });
  const ts = again.templates(FAKE_MODEL);
  assert.equal(ts.length, 4);
  for (const [i, tpl] of ts.entries()) {
    const want = template(i + 1);
    assert.deepEqual(Array.from(tpl.embedding), Array.from(want.embedding), 'float32 embedding bit-exact');
    assert.equal(tpl.sourceSha256, want.sourceSha256);
    assert.equal(tpl.faceSize, want.faceSize);
    assert.equal(tpl.detectionScore, 0.9);
    assert.deepEqual(again.thumbnail(tpl.id), want.thumbnail);
  }
  assert.deepEqual(again.calibration(FAKE_MODEL), cal);
  assert.equal(again.calibration('other'), undefined);
  assert.deepEqual(again.modelIds(), [FAKE_MODEL]);
  again.close();

  const raw = new Database(file, { readonly: true });
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  raw.close();
});

test('migrations: a version-1 file is upgraded in place with its data; a newer file is refused', (t) => {
  const file = tmp(t);
  // build a genuine v1 file: only the first migration, v1 columns
  const v1 = SqliteGalleryStore.open(file, { targetVersion: 1 });
  assert.equal(v1.schemaVersion, 1);
  v1.close();
  const raw = new Database(file);
  raw.prepare("INSERT INTO people (id, name, created) VALUES (1, 'Old', '2020-01-01T00:00:00Z')").run();
  const emb = randomUnit(9);
  raw.prepare("INSERT INTO templates (person_id, model_id, embedding, source_sha256, detection_score, created) VALUES (1, ?, ?, 'abc', 0.8, '2020')").run(
    FAKE_MODEL,
    Buffer.from(emb.buffer),
  );
  assert.throws(() => raw.prepare('SELECT face_size FROM templates').all(), /no such column/);
  raw.close();

  const store = SqliteGalleryStore.open(file);
  assert.equal(store.schemaVersion, SCHEMA_VERSION);
  const [tpl] = store.templates(FAKE_MODEL);
  assert.deepEqual(Array.from(tpl.embedding), Array.from(emb));
  assert.equal(tpl.faceSize, 0, 'new column gets its default');
  store.saveCalibration(fakeCalibration()); // table from migration 2 exists
  store.close();

  const bump = new Database(file);
  bump.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  bump.close();
  assert.throws(() => SqliteGalleryStore.open(file), (e: unknown) => isCode('GALLERY_ERROR')(e) && /newer than this facenet-ts/.test((e as Error).message));
});

test('a file that is not a database is a GALLERY_ERROR, not a crash', (t) => {
  const file = tmp(t);
  writeFileSync(file, 'this is not sqlite at all, just some text padding the header out '.repeat(20));
  assert.throws(() => SqliteGalleryStore.open(file), isCode('GALLERY_ERROR'));
});

test('model ids never mix: other-model reads and writes are MODEL_MISMATCH and change nothing', (t) => {
  const file = tmp(t);
  const store = SqliteGalleryStore.open(file);
  store.enroll({ name: 'Ada', templates: [template(1)] });
  assert.throws(
    () => store.templates('other-model'),
    (e: unknown) => isCode('MODEL_MISMATCH')(e) && /holds 1 template\(s\) of model fake-model@1/.test((e as Error).message),
  );
  assert.throws(() => store.enroll({ name: 'Bob', templates: [template(2, 'other-model')] }), isCode('MODEL_MISMATCH'));
  assert.throws(() => store.enroll({ name: 'Bob', templates: [template(2), template(3, 'other-model')] }), isCode('MODEL_MISMATCH'));
  assert.deepEqual(
    store.people().map((p) => p.name),
    ['Ada'],
  );
  assert.equal(store.templates(FAKE_MODEL).length, 1);
  store.close();
});

test('forget removes the person, every template and every thumbnail, and leaves no bytes of them in the file', (t) => {
  const file = tmp(t);
  const store = SqliteGalleryStore.open(file);
  const ada = [template(11), template(12), template(13)];
  const { person } = store.enroll({ name: 'Ada', templates: ada });
  store.enroll({ name: 'Bob', templates: [template(14)] });
  const res = store.forget('Ada');
  assert.equal(res.templatesRemoved, 3);
  assert.equal(res.person.id, person.id);
  assert.throws(() => store.forget('Ada'), isCode('PERSON_NOT_FOUND'));
  store.close();

  const raw = new Database(file, { readonly: true });
  assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM people WHERE name = ?').get('Ada') as { n: number }).n, 0);
  assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM templates WHERE person_id = ?').get(person.id) as { n: number }).n, 0);
  const thumbs = raw.prepare('SELECT t.template_id, p.id AS person FROM thumbnails t LEFT JOIN templates x ON x.id = t.template_id LEFT JOIN people p ON p.id = x.person_id').all() as {
    template_id: number;
    person: number | null;
  }[];
  assert.equal(thumbs.length, 1, 'only Bob’s thumbnail is left');
  assert.ok(thumbs.every((r) => r.person !== null), 'no orphan thumbnail');
  assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM templates').get() as { n: number }).n, 1);
  raw.close();

  // secure_delete + checkpoint: neither the embeddings nor the thumbnails survive anywhere in the files
  const bytes = Buffer.concat([readFileSync(file), ...['-wal'].map((s) => { try { return readFileSync(file + s); } catch { return Buffer.alloc(0); } })]);
  for (const tpl of ada) {
    assert.equal(bytes.indexOf(Buffer.from(tpl.embedding.buffer)), -1, 'embedding bytes remain in the file');
    assert.equal(bytes.indexOf(Buffer.from(tpl.thumbnail!)), -1, 'thumbnail bytes remain in the file');
  }
});

test('a failing enrollment leaves nothing behind (one transaction)', (t) => {
  const file = tmp(t);
  const store = SqliteGalleryStore.open(file);
  const bad = { ...template(2), embedding: 'not a vector' as unknown as Float32Array };
  assert.throws(() => store.enroll({ name: 'Ada', templates: [template(1), bad] }));
  assert.deepEqual(store.people(), []);
  const raw = new Database(file, { readonly: true });
  assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM templates').get() as { n: number }).n, 0);
  assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM thumbnails').get() as { n: number }).n, 0);
  raw.close();
  store.close();
});
