import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Gallery } from '../../src/gallery/gallery.js';
import { ExactIndex } from '../../src/search/search-index.js';
import { AdaptiveIndex } from '../../src/search/adaptive-index.js';
import { FaceError } from '../../src/errors.js';
import { tauForFar } from '../../src/decide/calibration.js';
import { FAKE_MODEL, FakeRecognizer, codedImage, codedPng, fakeCalibration, fakeEmbedding } from './fake-recognizer.js';

const calibration = fakeCalibration();

function tmpDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-gallery-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(file: string, recognizer = new FakeRecognizer(), combination?: 'nearest' | 'centroid') {
  return Gallery.open({ location: file, recognizer, calibration, combination });
}

const isCode = (code: string) => (e: unknown) => e instanceof FaceError && e.code === code;

/** Every row of every table, for "nothing changed" checks. */
function dump(file: string): string {
  const db = new Database(file, { readonly: true });
  const out: Record<string, unknown[]> = {};
  for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
    name: string;
  }[])
    out[name] = db.prepare(`SELECT * FROM "${name}"`).all();
  db.close();
  return JSON.stringify(out, (_k, v) =>
    v instanceof Buffer || v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
  );
}

test('one-shot enrollment, verification and open-set identification', async (t) => {
  const file = path.join(tmpDir(t), 'g.db');
  const g = await open(file);
  for (let id = 1; id <= 5; id++) {
    const r = await g.enroll(`person${id}`, codedImage(id, 1, 0));
    assert.equal(r.created, true);
    assert.equal(r.added.length, 1);
    assert.equal(r.added[0].detectionScore, 0.99);
    assert.equal(r.added[0].faceSize, 100);
    assert.deepEqual(r.warnings, []);
  }
  assert.equal(await g.size(), 5);
  // verify: another photo (variant) of person3
  const yes = await g.verify('person3', codedImage(3, 1, 4));
  assert.equal(yes.match, true);
  assert.ok(yes.distance < yes.threshold);
  assert.ok(yes.far <= 1e-3);
  assert.equal(yes.threshold, tauForFar(calibration, 1e-3).threshold);
  const no = await g.verify('person3', codedImage(4, 1, 4));
  assert.equal(no.match, false);
  await assert.rejects(g.verify('nobody', codedImage(4, 1, 4)), isCode('PERSON_NOT_FOUND'));

  // identify: known person, stranger, and a photo with two faces (person2 + stranger 52)
  const known = await g.identify(codedImage(2, 1, 7));
  assert.equal(known.faces.length, 1);
  assert.equal(known.faces[0].person, 'person2');
  assert.equal(known.faces[0].candidates.length, 5);
  assert.equal(known.faces[0].candidates[0].person, 'person2');
  assert.equal(known.comparisons, 5);
  assert.equal(known.people, 5);
  assert.equal(known.resolvable, true);
  const stranger = await g.identify(codedImage(99, 1, 1));
  assert.equal(stranger.faces[0].person, 'unknown');
  assert.ok(stranger.faces[0].distance >= stranger.threshold);
  const two = await g.identify(codedImage(2, 2, 3), { topK: 2 });
  assert.deepEqual(
    two.faces.map((f) => f.person),
    ['person2', 'unknown'],
  );
  assert.equal(two.faces[1].candidates.length, 2);
  const none = await g.identify(codedImage(2, 0, 0));
  assert.deepEqual(none.faces, []);
  await g.close();

  // the index is rebuilt from disk on reopen
  const again = await open(file);
  assert.equal((await again.identify(codedImage(5, 1, 9))).faces[0].person, 'person5');
  again.close();
});

test('the open-set threshold tightens as the gallery grows, warns when the calibration cannot resolve f', async (t) => {
  const g = await open(path.join(tmpDir(t), 'g.db'));
  await g.enroll('a', codedImage(1));
  const one = await g.openSet(0.01);
  for (let id = 2; id <= 40; id++) await g.enroll(`p${id}`, codedImage(id));
  const many = await g.openSet(0.01);
  assert.ok(many.threshold <= one.threshold);
  assert.ok(many.perComparisonFar < one.perComparisonFar);
  assert.equal(many.comparisons, 40);
  // fake calibration: ~28k impostor pairs → f below ~3.5e-5 is unresolvable
  const strict = await g.openSet(1e-4);
  assert.equal(strict.resolvable, false);
  assert.match(strict.warning ?? '', /^WARNING/);
  await g.close();
});

test('several photos each: nearest counts every template, centroid one entry; forget updates the index', async (t) => {
  const dir = tmpDir(t);
  for (const combination of ['nearest', 'centroid'] as const) {
    const g = await open(path.join(dir, `${combination}.db`), new FakeRecognizer(), combination);
    const r = await g.enroll('ada', [codedImage(1, 1, 1), codedImage(1, 1, 2), codedImage(1, 1, 3)]);
    assert.equal(r.templates, 3);
    await g.enroll('bob', codedImage(2, 1, 1));
    assert.equal((await g.openSet()).comparisons, combination === 'nearest' ? 4 : 2);
    assert.equal((await g.identify(codedImage(1, 1, 8))).faces[0].person, 'ada');
    // the same photo again is skipped, not duplicated
    const dup = await g.enroll('ada', codedImage(1, 1, 2));
    assert.equal(dup.added.length, 0);
    assert.equal(dup.warnings[0].code, 'ALREADY_ENROLLED');
    assert.equal(dup.templates, 3);
    await g.forget('ada');
    const after = await g.identify(codedImage(1, 1, 8));
    assert.equal(after.faces[0].person, 'unknown');
    assert.ok(after.faces[0].candidates.every((c) => c.person !== 'ada'));
    assert.equal((await g.openSet()).comparisons, 1);
    await assert.rejects(g.forget('ada'), isCode('PERSON_NOT_FOUND'));
    await g.close();
  }
});

test('enrollment warns about a likely duplicate and an inconsistent photo, and reports quality', async (t) => {
  const g = await open(path.join(tmpDir(t), 'g.db'));
  await g.enroll('ada', codedImage(1, 1, 0));
  const dup = await g.enroll('ada-again', codedImage(1, 1, 5));
  assert.equal(dup.added.length, 1, 'a warning, not a refusal');
  const w = dup.warnings.find((x) => x.code === 'DUPLICATE');
  assert.ok(w, JSON.stringify(dup.warnings));
  assert.equal(w.person, 'ada');
  const odd = await g.enroll('ada', codedImage(7, 1, 0));
  assert.ok(
    odd.warnings.some((x) => x.code === 'INCONSISTENT'),
    JSON.stringify(odd.warnings),
  );
  const ok = await g.enroll('bob', codedImage(2, 1, 0));
  assert.deepEqual(ok.warnings, []);
  await g.close();
});

test('corrupt, empty, missing, face-less and multi-face inputs: typed errors, nothing stored changes', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'g.db');
  const g = await open(file);
  await g.enroll('ada', codedImage(1));
  const before = dump(file);

  const empty = path.join(dir, 'empty.jpg');
  writeFileSync(empty, '');
  const text = path.join(dir, 'text.jpg');
  writeFileSync(text, 'hello, I am not a JPEG');
  const png = await codedPng(3);
  const truncated = path.join(dir, 'truncated.png');
  writeFileSync(truncated, png.subarray(0, Math.floor(png.length * 0.6)));
  const faceless = path.join(dir, 'faceless.png');
  writeFileSync(faceless, await codedPng(3, 0));
  const twoFaces = path.join(dir, 'two.png');
  writeFileSync(twoFaces, await codedPng(3, 2));
  const good = path.join(dir, 'good.png');
  writeFileSync(good, await codedPng(3, 1));

  const cases: [string, unknown[], string][] = [
    ['empty file', [empty], 'IMAGE_EMPTY'],
    ['text named .jpg', [text], 'IMAGE_UNSUPPORTED'],
    ['truncated PNG', [truncated], 'IMAGE_CORRUPT'],
    ['missing file', [path.join(dir, 'nope.jpg')], 'IMAGE_NOT_FOUND'],
    ['no face', [faceless], 'NO_FACE'],
    ['two faces', [twoFaces], 'MULTIPLE_FACES'],
    // a good photo followed by a bad one: the good one must not be stored either
    ['good then bad', [good, faceless], 'NO_FACE'],
    ['good then corrupt', [good, truncated], 'IMAGE_CORRUPT'],
  ];
  for (const [what, imgs, code] of cases) {
    for (const name of ['ada', 'carol']) {
      await assert.rejects(g.enroll(name, imgs as string[]), isCode(code), `${what} → ${code}`);
      assert.equal(dump(file), before, `${what}: the gallery changed`);
    }
  }
  await assert.rejects(g.enroll('unknown', good), isCode('INVALID_INPUT'));
  await assert.rejects(g.enroll('  ', good), isCode('INVALID_INPUT'));
  await assert.rejects(g.enroll('carol', []), isCode('INVALID_INPUT'));
  assert.equal(dump(file), before);
  // --largest accepts the multi-face photo and takes the largest face
  const r = await g.enroll('carol', twoFaces, { largest: true });
  assert.equal(r.added[0].facesInImage, 2);
  assert.equal(r.added[0].faceSize, 100);
  // the in-memory index was never touched by the failures
  assert.equal((await g.openSet()).comparisons, 2);
  await g.close();
});

test('a recognizer of another model is refused with MODEL_MISMATCH before any work', async (t) => {
  const file = path.join(tmpDir(t), 'g.db');
  const g = await open(file);
  await g.enroll('ada', codedImage(1));
  await g.close();
  const other = new FakeRecognizer('another-model@2');
  await assert.rejects(
    Gallery.open({ location: file, recognizer: other, calibration }),
    (e: unknown) => isCode('MODEL_MISMATCH')(e) && /another-model@2/.test((e as Error).message),
  );
  assert.equal(other.calls, 0);
  // without a recognizer people/forget still work
  const plain = await Gallery.open({ location: file });
  assert.deepEqual(
    (await plain.people()).map((p) => p.name),
    ['ada'],
  );
  await plain.forget('ada');
  await plain.close();
  // and an empty gallery accepts any model
  const g2 = await Gallery.open({
    location: file,
    recognizer: other,
    calibration: { ...calibration, modelId: 'another-model@2' },
  });
  await g2.enroll('bob', codedImage(2));
  await g2.close();
});

test('no calibration for the model: decisions say how to get one; enrollment still works', async (t) => {
  const g = await Gallery.open({
    location: path.join(tmpDir(t), 'g.db'),
    recognizer: new FakeRecognizer('uncalibrated@0'),
  });
  const r = await g.enroll('ada', codedImage(1));
  assert.equal(r.warnings[0].code, 'NO_CALIBRATION');
  await assert.rejects(
    g.identify(codedImage(1)),
    (e: unknown) => isCode('CALIBRATION_ERROR')(e) && /facenet calibrate/.test((e as Error).message),
  );
  // a calibration stored with the gallery is picked up
  const pairs = [];
  for (let i = 0; i < 50; i++)
    pairs.push({ distance: 0.3 + i / 500, same: true }, { distance: 1 + i / 100, same: false });
  const table = await g.saveCalibration(pairs, 'test pairs');
  assert.equal(table.modelId, 'uncalibrated@0');
  assert.equal((await g.calibration()).origin, 'gallery');
  assert.equal((await g.identify(codedImage(1, 1, 2))).faces[0].person, 'ada');
  await g.close();
});

test('a custom index implementation is used through the VectorIndex interface', async (t) => {
  let built = 0;
  const g = await Gallery.open({
    location: path.join(tmpDir(t), 'g.db'),
    recognizer: new FakeRecognizer(),
    calibration,
    createIndex: (dim) => {
      built++;
      return new ExactIndex(dim);
    },
  });
  await g.enroll('ada', codedImage(1));
  assert.equal(built, 1);
  assert.equal((await g.identifyEmbedding(fakeEmbedding(1, 3), 0.6)).person, 'ada');
  await g.close();
  assert.equal(FAKE_MODEL, calibration.modelId);
});

test('a gallery past the index threshold searches HNSW and decides exactly as the exact index does', async (t) => {
  const dir = tmpDir(t);
  const hnsw = await Gallery.open({
    location: path.join(dir, 'h.db'),
    recognizer: new FakeRecognizer(),
    calibration,
    createIndex: (d) => new AdaptiveIndex(d, { threshold: 20 }),
  });
  const exact = await Gallery.open({
    location: path.join(dir, 'e.db'),
    recognizer: new FakeRecognizer(),
    calibration,
    createIndex: (d) => new ExactIndex(d),
  });
  for (let id = 1; id <= 60; id++) for (const g of [hnsw, exact]) await g.enroll(`p${id}`, codedImage(id, 1, 0));
  for (const id of [3, 17, 42, 60, 200]) {
    const [a, b] = [await hnsw.identify(codedImage(id, 1, 5)), await exact.identify(codedImage(id, 1, 5))];
    assert.equal(a.threshold, b.threshold);
    assert.deepEqual(
      a.faces[0].candidates.map((c) => c.person),
      b.faces[0].candidates.map((c) => c.person),
      `probe ${id}: HNSW and exact candidates differ`,
    );
    a.faces[0].candidates.forEach((c, i) =>
      assert.ok(
        Math.abs(c.distance - b.faces[0].candidates[i].distance) < 1e-6,
        'distances are exact (re-scored), up to float summation order',
      ),
    );
    assert.equal(a.faces[0].person, id <= 60 ? `p${id}` : 'unknown');
  }
  // forget follows in HNSW mode too
  await hnsw.forget('p17');
  assert.notEqual((await hnsw.identify(codedImage(17, 1, 5))).faces[0].person, 'p17');
  await hnsw.close();
  await exact.close();
});

test('the HNSW graph is saved beside the gallery file and reused only while it is current', async (t) => {
  const file = path.join(tmpDir(t), 'g.db');
  const openAdaptive = () =>
    Gallery.open({
      location: file,
      recognizer: new FakeRecognizer(),
      calibration,
      createIndex: (d) => new AdaptiveIndex(d, { threshold: 20 }),
    });
  const g = await openAdaptive();
  for (let id = 1; id <= 40; id++) await g.enroll(`p${id}`, codedImage(id, 1, 0));
  assert.equal(g.indexInfo().mode, 'hnsw');
  const before = (await g.identify(codedImage(7, 1, 5))).faces[0];
  await g.close();
  assert.ok(existsSync(`${file}.hnsw`), 'graph saved on close');

  const again = await openAdaptive();
  assert.equal(again.indexInfo().graphRestored, true, 'reopened from the saved graph');
  assert.deepEqual((await again.identify(codedImage(7, 1, 5))).faces[0].candidates, before.candidates);
  await again.enroll('p41', codedImage(41, 1, 0)); // its own change: the graph follows and is saved again
  await again.close();
  const third = await openAdaptive();
  assert.equal(third.indexInfo().graphRestored, true);
  assert.equal((await third.identify(codedImage(41, 1, 5))).faces[0].person, 'p41');
  await third.close();

  // another writer changes the file: the saved graph is stale and is rebuilt, not trusted
  const other = await Gallery.open({
    location: file,
    recognizer: new FakeRecognizer(),
    calibration,
    createIndex: (d) => new ExactIndex(d),
  });
  await other.forget('p7');
  await other.close();
  const fourth = await openAdaptive();
  assert.equal(fourth.indexInfo().graphRestored, false);
  assert.notEqual((await fourth.identify(codedImage(7, 1, 5))).faces[0].person, 'p7');
  await fourth.close();

  // a damaged graph file is rebuilt too, never handed to usearch
  writeFileSync(`${file}.hnsw`, 'not a sidecar');
  const fifth = await openAdaptive();
  assert.equal(fifth.indexInfo().graphRestored, false);
  assert.equal((await fifth.identify(codedImage(3, 1, 5))).faces[0].person, 'p3');
  await fifth.close();
});
