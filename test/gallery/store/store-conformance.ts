/**
 * The contract every GalleryStore keeps, as one suite run against each backend (SQLite file, PostgreSQL).
 * A backend supplies a fresh empty gallery location per test and opens stores on it; everything here goes
 * through the GalleryStore interface only. Backend-specific checks (raw tables, file bytes, migrations of old
 * files) live in that backend's own test file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaceError } from '../../../src/errors.js';
import type { GalleryStore, NewTemplate } from '../../../src/gallery/store/store.js';
import { FAKE_MODEL, fakeCalibration, randomUnit } from '../fake-recognizer.js';

export interface StoreBackend {
  readonly name: string;
  /** Why the backend cannot run here (e.g. no server configured); the suite then reports itself skipped. */
  readonly unavailable?: string;
  /** A fresh, empty gallery location (file path or URL), removed after the test. */
  fresh(t: { after: (fn: () => void | Promise<void>) => void }): Promise<string>;
  open(location: string): Promise<GalleryStore>;
}

export function template(seed: number, modelId = FAKE_MODEL): NewTemplate {
  return {
    modelId,
    embedding: randomUnit(seed),
    sourceSha256: seed.toString(16).padStart(64, '0'),
    detectionScore: 0.9,
    faceSize: 80 + seed,
    thumbnail: Uint8Array.from({ length: 300 }, (_, i) => (i * 31 + seed * 7) & 255),
  };
}

export const isCode = (code: string) => (e: unknown) => e instanceof FaceError && e.code === code;

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'enroll-batch.ts');
export const BATCH_TEMPLATES = 6;

/**
 * Run the enrolling child on `location`, SIGKILL it once `killAfter` enrollments have been reported; return the
 * reported names.
 */
export function enrollThenKill(
  location: string,
  start: number,
  killAfter: number,
): Promise<{ reported: string[]; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, location, String(start), '100000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const reported: string[] = [];
    let finished = false;
    let buf = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('enrolled ')) reported.push(line.slice(9));
        if (line === 'done') finished = true;
        if (reported.length === killAfter) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} before the kill: ${stderr}`));
      else resolve({ reported, finished });
    });
  });
}

export function storeConformance(backend: StoreBackend): void {
  const opts = backend.unavailable ? { skip: backend.unavailable } : {};
  const name = (s: string) => `${backend.name}: ${s}`;

  test(
    name('round trip: people, templates, thumbnails, metadata and calibration survive a reopen'),
    opts,
    async (t) => {
      const location = await backend.fresh(t);
      const store = await backend.open(location);
      const r1 = await store.enroll({ name: 'Ada', metadata: { team: 'x' }, templates: [template(1), template(2)] });
      assert.equal(r1.created, true);
      assert.equal(r1.templateIds.length, 2);
      const r2 = await store.enroll({ name: 'Ada', metadata: { badge: 7 }, templates: [template(3)] });
      assert.equal(r2.created, false);
      assert.equal(r2.person.id, r1.person.id);
      const bob = await store.enroll({ name: 'Bob', templates: [template(4)] });
      const cal = fakeCalibration();
      await store.saveCalibration(cal);
      await store.close();

      const again = await backend.open(location);
      t.after(() => again.close());
      const people = await again.people();
      assert.deepEqual(
        people.map((p) => [p.name, p.templates, p.modelIds]),
        [
          ['Ada', 3, [FAKE_MODEL]],
          ['Bob', 1, [FAKE_MODEL]],
        ],
      );
      assert.deepEqual(people[0].metadata, { team: 'x', badge: 7 });
      assert.equal((await again.findPerson(' Ada '))?.id, r1.person.id, 'names are trimmed');
      assert.equal(await again.findPerson('Nobody'), undefined);
      const ts = await again.templates(FAKE_MODEL);
      assert.equal(ts.length, 4);
      for (const [i, tpl] of ts.entries()) {
        const want = template(i + 1);
        assert.deepEqual(Array.from(tpl.embedding), Array.from(want.embedding), 'float32 embedding bit-exact');
        assert.equal(tpl.sourceSha256, want.sourceSha256);
        assert.equal(tpl.faceSize, want.faceSize);
        assert.equal(tpl.detectionScore, 0.9);
        assert.deepEqual(await again.thumbnail(tpl.id), want.thumbnail);
      }
      assert.deepEqual(
        (await again.personTemplates(r1.person.id, FAKE_MODEL)).map((x) => x.id),
        [...r1.templateIds, ...r2.templateIds],
      );
      assert.deepEqual(await again.personTemplates(bob.person.id, 'other-model'), []);
      assert.deepEqual(await again.counts(FAKE_MODEL), { people: 2, templates: 4 });
      assert.deepEqual(await again.counts('other-model'), { people: 0, templates: 0 });
      assert.deepEqual(await again.calibration(FAKE_MODEL), cal);
      assert.equal(await again.calibration('other'), undefined);
      assert.deepEqual(await again.modelIds(), [FAKE_MODEL]);
    },
  );

  test(name('people() lists a model id that contains commas as one id'), opts, async (t) => {
    const store = await backend.open(await backend.fresh(t));
    t.after(() => store.close());
    const id = 'net@1+crops0.15,0.35+flip'; // the shape of real pipeline ids
    await store.enroll({ name: 'Ada', templates: [template(1, id)] });
    assert.deepEqual(
      (await store.people()).map((p) => p.modelIds),
      [[id]],
    );
  });

  test(
    name('model ids never mix: other-model reads and writes are MODEL_MISMATCH and change nothing'),
    opts,
    async (t) => {
      const store = await backend.open(await backend.fresh(t));
      t.after(() => store.close());
      await store.enroll({ name: 'Ada', templates: [template(1)] });
      await assert.rejects(
        store.templates('other-model'),
        (e: unknown) =>
          isCode('MODEL_MISMATCH')(e) && /holds 1 template\(s\) of model fake-model@1/.test((e as Error).message),
      );
      await assert.rejects(
        store.enroll({ name: 'Bob', templates: [template(2, 'other-model')] }),
        isCode('MODEL_MISMATCH'),
      );
      await assert.rejects(
        store.enroll({ name: 'Bob', templates: [template(2), template(3, 'other-model')] }),
        isCode('MODEL_MISMATCH'),
      );
      assert.deepEqual(
        (await store.people()).map((p) => p.name),
        ['Ada'],
      );
      assert.equal((await store.templates(FAKE_MODEL)).length, 1);
    },
  );

  test(
    name('forget removes the person with every template and thumbnail; the generation counts every change'),
    opts,
    async (t) => {
      const store = await backend.open(await backend.fresh(t));
      t.after(() => store.close());
      const g0 = await store.generation();
      const { person, templateIds } = await store.enroll({
        name: 'Ada',
        templates: [template(11), template(12), template(13)],
      });
      const g1 = await store.generation();
      assert.ok(g1 > g0, 'enroll advances the generation');
      await store.enroll({ name: 'Bob', templates: [template(14)] });
      const res = await store.forget('Ada');
      const g2 = await store.generation();
      assert.ok(g2 > g1, 'forget advances the generation');
      assert.equal(res.templatesRemoved, 3);
      assert.equal(res.person.id, person.id);
      await assert.rejects(store.forget('Ada'), isCode('PERSON_NOT_FOUND'));
      assert.equal(await store.generation(), g2, 'a refused forget changes nothing');
      assert.equal(await store.findPerson('Ada'), undefined);
      assert.deepEqual(await store.personTemplates(person.id, FAKE_MODEL), []);
      for (const id of templateIds) assert.equal(await store.thumbnail(id), undefined);
      assert.deepEqual(
        (await store.templates(FAKE_MODEL)).map((x) => x.sourceSha256),
        [template(14).sourceSha256],
      );
    },
  );

  test(name('bad input is a typed error and a failing enrollment leaves nothing behind'), opts, async (t) => {
    const store = await backend.open(await backend.fresh(t));
    t.after(() => store.close());
    await assert.rejects(store.enroll({ name: '  ', templates: [template(1)] }), isCode('INVALID_INPUT'));
    await assert.rejects(store.enroll({ name: 'Ada', templates: [] }), isCode('INVALID_INPUT'));
    const bad = { ...template(2), embedding: 'not a vector' as unknown as Float32Array };
    await assert.rejects(store.enroll({ name: 'Ada', templates: [template(1), bad] }));
    assert.deepEqual(await store.people(), []);
    assert.deepEqual(await store.counts(FAKE_MODEL), { people: 0, templates: 0 });
  });

  test(
    name('enroll modes and photos: create refuses a taken name, add an unknown one, a photo is stored once per person'),
    opts,
    async (t) => {
      const store = await backend.open(await backend.fresh(t));
      t.after(() => store.close());
      const first = await store.enroll({ name: 'José'.normalize('NFD'), mode: 'create', templates: [template(1)] });
      assert.equal(first.person.name, 'José'.normalize('NFC'), 'names are stored in NFC');
      await assert.rejects(
        store.enroll({ name: 'José', mode: 'create', templates: [template(2)] }),
        isCode('PERSON_EXISTS'),
      );
      await assert.rejects(
        store.enroll({ name: 'Nobody', mode: 'add', templates: [template(2)] }),
        isCode('PERSON_NOT_FOUND'),
      );
      await assert.rejects(store.enroll({ name: 'Ad\u200Ba', templates: [template(2)] }), isCode('INVALID_INPUT'));
      await assert.rejects(store.enroll({ name: '..', templates: [template(2)] }), isCode('INVALID_INPUT'));
      const again = await store.enroll({
        name: 'José',
        mode: 'add',
        templates: [template(1), template(3), template(3)],
      });
      assert.deepEqual(again.skipped, [0, 2], 'the stored photo and the repeat are skipped');
      assert.equal(again.templateIds[0], first.templateIds[0], 'a skipped photo reports the template that holds it');
      assert.equal(again.templateIds[1], again.templateIds[2]);
      assert.deepEqual(await store.counts(FAKE_MODEL), { people: 1, templates: 2 });
      assert.equal((await store.findPerson('José'.normalize('NFD')))?.id, first.person.id, 'lookups normalise too');
    },
  );

  test(
    name('concurrent readers: a second store on the same gallery sees committed enrollments while the writer works'),
    opts,
    async (t) => {
      const location = await backend.fresh(t);
      const writer = await backend.open(location);
      const readers = await Promise.all([backend.open(location), backend.open(location)]);
      t.after(async () => {
        await writer.close();
        for (const r of readers) await r.close();
      });
      const writes = (async () => {
        for (let i = 0; i < 20; i++)
          await writer.enroll({ name: `p${i}`, templates: [template(100 + 2 * i), template(101 + 2 * i)] });
      })();
      // readers poll while the writer commits: every snapshot they see is whole (2 templates per person, never 1)
      let seen = 0;
      const reads = readers.map(async (r) => {
        for (let k = 0; k < 15; k++) {
          const people = await r.people();
          for (const p of people) assert.equal(p.templates, 2, `${p.name} seen half-enrolled`);
          const c = await r.counts(FAKE_MODEL);
          assert.equal(c.templates % 2, 0);
          seen = Math.max(seen, people.length);
          await new Promise((res) => setTimeout(res, 5));
        }
      });
      await Promise.all([writes, ...reads]);
      for (const r of readers) assert.deepEqual(await r.counts(FAKE_MODEL), { people: 20, templates: 40 });
      t.diagnostic(`readers saw up to ${seen} people while writing`);
    },
  );

  test(
    name('SIGKILL mid-batch: every enrollment that had returned is there, and no partial one'),
    { ...opts, timeout: 180_000 },
    async (t) => {
      const location = await backend.fresh(t);
      const reported: string[] = [];
      for (const [round, killAfter] of [5, 9].entries()) {
        const r = await enrollThenKill(location, round * 1000, killAfter);
        assert.equal(r.finished, false, 'the child must be killed midway, not after finishing');
        reported.push(...r.reported);
        const store = await backend.open(location);
        const people = new Map((await store.people()).map((p) => [p.name, p] as const));
        for (const who of reported) assert.ok(people.has(who), `${who} had returned but is missing after the kill`);
        for (const p of people.values())
          assert.equal(p.templates, BATCH_TEMPLATES, `${p.name} is partially enrolled: ${p.templates} templates`);
        const all = await store.templates(FAKE_MODEL);
        assert.equal(all.length, people.size * BATCH_TEMPLATES, 'no template without its person');
        await store.close();
        t.diagnostic(
          `round ${round}: killed after ${r.reported.length} reported enrollments; ${people.size} people stored`,
        );
      }
    },
  );
}
