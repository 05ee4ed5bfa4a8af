/**
 * TTA variants in one gallery: a query of another variant of the gallery's network is decided against its templates
 * with the cross-variant table (the gallery's own, else the shipped one); an uncalibrated combination is
 * MODEL_MISMATCH with advice; enrollment never mixes variants; old tables and files still load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CALIBRATION_FORMAT,
  CROSS_CALIBRATION_FORMAT,
  calibrationKey,
  parseCalibrationTable,
  perComparisonFar,
  tauForFar,
  type CalibrationTable,
} from '../../src/decide/calibration.js';
import {
  calibrationFromFile,
  defaultCalibration,
  shippedCalibrations,
  withTable,
} from '../../src/decide/default-calibration.js';
import { FaceError } from '../../src/errors.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { SqliteGalleryStore } from '../../src/gallery/store/sqlite/sqlite-store.js';
import { FakeRecognizer, codedImage, fakeCalibration } from './fake-recognizer.js';

const NET = 'face-recognition-128@c5fab9f794a1';
const DEFAULT = `${NET}+crops0.15,0.35+flip`;
const NO_FLIP = `${NET}+crops0.15,0.35`;
const NO_CROPS = `${NET}+flip`;
const PLAIN = NET;

function tmpFile(t: { after: (fn: () => void) => void }, name = 'g.db'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-tta-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, name);
}

const isMismatch = (pattern: RegExp) => (e: unknown) =>
  e instanceof FaceError && e.code === 'MODEL_MISMATCH' && pattern.test(e.message);

/** A gallery of `people` persons enrolled with variant `modelId` (photo variant 0), closed. */
async function enrolled(file: string, modelId: string, people = 5): Promise<void> {
  const g = await Gallery.open({ location: file, recognizer: new FakeRecognizer(modelId) });
  for (let id = 1; id <= people; id++) await g.enroll(`person${id}`, codedImage(id, 1, 0));
  await g.close();
}

test('the shipped tables include each pack default against its cheaper variants, keyed by both variants', () => {
  for (const probe of [NO_FLIP, NO_CROPS, PLAIN]) {
    const t = defaultCalibration(DEFAULT, probe);
    assert.ok(t, `shipped cross table ${DEFAULT} ← ${probe}`);
    assert.equal(t.format, CROSS_CALIBRATION_FORMAT);
    assert.equal(t.probeModelId, probe);
    assert.equal(t.genuinePairs + t.impostorPairs, 5_925_403, 'every pair of pairsDevTrain’s 3,443 images');
  }
  // the same-variant table is still found by the model id alone, and is not a cross table
  assert.equal(defaultCalibration(DEFAULT)?.probeModelId, undefined);
  for (const pack of ['edgeface-xs', 'edgeface-xs-yunet']) {
    const net = `${pack}:edgeface-xs@14e8fda2676a`;
    assert.ok(
      defaultCalibration(`${net}+flip`, net),
      `${pack}: flip templates (a gallery enrolled with --flip), plain queries`,
    );
  }
  assert.equal(
    defaultCalibration(`dlib128-yunet:${DEFAULT}`, `dlib128-yunet:${PLAIN}`)?.probeModelId,
    `dlib128-yunet:${PLAIN}`,
  );
});

test('a default-variant gallery answers a --no-flip query with the shipped cross τ and the right person', async (t) => {
  const file = tmpFile(t);
  await enrolled(file, DEFAULT);
  const g = await Gallery.open({ location: file, recognizer: new FakeRecognizer(NO_FLIP) });
  t.after(() => g.close());
  const cross = defaultCalibration(DEFAULT, NO_FLIP)!;
  const same = defaultCalibration(NO_FLIP)!;

  const r = await g.identify(codedImage(3, 1, 5));
  assert.equal(r.faces[0].person, 'person3');
  assert.equal(g.templateModelId, DEFAULT, 'the stored templates are searched');
  assert.equal(
    r.threshold,
    tauForFar(cross, perComparisonFar(0.01, 5)).threshold,
    'τ of the cross table, adjusted to the gallery size',
  );
  assert.match(
    r.calibration,
    /^default: .*templates face-recognition-128@c5fab9f794a1\+crops0\.15,0\.35\+flip, queries face-recognition-128@c5fab9f794a1\+crops0\.15,0\.35\)$/,
  );
  assert.notEqual(
    tauForFar(cross, 1e-3).threshold,
    tauForFar(same, 1e-3).threshold,
    'the cross table is not the query variant’s own',
  );
  const stranger = await g.identify(codedImage(99, 1, 1));
  assert.equal(stranger.faces[0].person, 'unknown');

  const v = await g.verify('person2', codedImage(2, 1, 4));
  assert.equal(v.match, true);
  assert.equal(v.threshold, tauForFar(cross, 1e-3).threshold);
  assert.equal((await g.verify('person2', codedImage(4, 1, 4))).match, false);
  assert.equal((await g.calibration()).table, cross);
});

test("the gallery's own cross table takes precedence over the shipped one", async (t) => {
  const file = tmpFile(t);
  await enrolled(file, DEFAULT);
  const own = fakeCalibration(DEFAULT, PLAIN, 1.1);
  const store = SqliteGalleryStore.open(file);
  await store.saveCalibration(own);
  await store.saveCalibration(fakeCalibration(DEFAULT)); // the variant's own table under its own key: both kept
  assert.equal((await store.calibration(DEFAULT, PLAIN))?.probeModelId, PLAIN);
  assert.equal((await store.calibration(DEFAULT))?.probeModelId, undefined);
  await store.close();

  const g = await Gallery.open({ location: file, recognizer: new FakeRecognizer(PLAIN) });
  t.after(() => g.close());
  const c = await g.calibration();
  assert.equal(c.origin, 'gallery');
  assert.equal(c.table.probeModelId, PLAIN);
  const v = await g.verify('person1', codedImage(1, 1, 2));
  assert.equal(v.threshold, tauForFar(own, 1e-3).threshold);
  assert.equal(v.match, true);
});

test('an uncalibrated combination: MODEL_MISMATCH naming the matching options, calibrate and re-enroll', async (t) => {
  const file = tmpFile(t);
  await enrolled(file, DEFAULT);
  // crops 0.2 is another variant of the same network, but no table covers it
  await assert.rejects(
    Gallery.open({ location: file, recognizer: new FakeRecognizer(`${NET}+crops0.2`) }),
    isMismatch(
      /`--crops 0\.15,0\.35 --flip` \(as the gallery\), or enroll .*facenet enroll NAME PHOTO --gallery NEW\.db --crops 0\.2 --no-flip/,
    ),
  );
  // crops 0.15,0.35 without flip: `calibrate --cross` covers it, so the advice names it (here for a gallery without a
  // shipped table; dlib128 is no longer the default pack, so the command names it)
  const file3 = tmpFile(t);
  await enrolled(file3, `${NET}+crops0.15,0.3+flip`);
  await assert.rejects(
    Gallery.open({ location: file3, recognizer: new FakeRecognizer(`${NET}+crops0.15,0.3`) }),
    isMismatch(
      /calibrate the combination for this gallery \(`facenet calibrate --pack dlib128 --lfw DIR --exhaustive --crops 0\.15,0\.3 --cross flip --gallery GALLERY`\)/,
    ),
  );

  // a fake network with templates of its flip variant and no cross table anywhere
  const file2 = tmpFile(t);
  await enrolled(file2, 'fake-model@1+flip');
  const store = SqliteGalleryStore.open(file2);
  await store.saveCalibration(fakeCalibration('fake-model@1+flip'));
  await store.close();
  await assert.rejects(
    Gallery.open({ location: file2, recognizer: new FakeRecognizer('fake-model@1') }),
    isMismatch(/run the command with `--crops none --flip` \(as the gallery\)/),
  );
  // an override that does not fit the pair is not used to accept the combination either
  await assert.rejects(
    Gallery.open({
      location: file2,
      recognizer: new FakeRecognizer('fake-model@1'),
      calibration: fakeCalibration('fake-model@1'),
    }),
    isMismatch(/no cross-variant calibration/),
  );
  // with a cross table stored in the gallery the same query is accepted
  const s2 = SqliteGalleryStore.open(file2);
  await s2.saveCalibration(fakeCalibration('fake-model@1+flip', 'fake-model@1'));
  await s2.close();
  const ok = await Gallery.open({ location: file2, recognizer: new FakeRecognizer('fake-model@1') });
  t.after(() => ok.close());
  assert.equal((await ok.identify(codedImage(2, 1, 3))).faces[0].person, 'person2');
});

test('enrolling another variant stays refused, even where its queries are calibrated; nothing is stored', async (t) => {
  const file = tmpFile(t);
  await enrolled(file, DEFAULT, 2);
  const g = await Gallery.open({ location: file, recognizer: new FakeRecognizer(NO_FLIP) });
  t.after(() => g.close());
  await assert.rejects(
    g.enroll('person9', codedImage(9, 1, 0)),
    isMismatch(
      /would mix two variants.*To add people, run the command with `--crops 0\.15,0\.35 --flip` \(as the gallery\)/,
    ),
  );
  await assert.rejects(g.enroll('person1', codedImage(1, 1, 3)), isMismatch(/would mix/));
  const people = await g.people();
  assert.deepEqual(
    people.map((p) => [p.name, p.templates, p.modelIds]),
    [
      ['person1', 1, [DEFAULT]],
      ['person2', 1, [DEFAULT]],
    ],
  );
  // once everyone is forgotten the gallery holds no variant, and enrolling with the query's starts it afresh
  await g.forget('person1');
  await g.forget('person2');
  assert.equal((await g.enroll('person9', codedImage(9, 1, 0))).created, true);
  assert.equal(g.templateModelId, NO_FLIP);
  assert.equal((await g.identify(codedImage(9, 1, 2))).faces[0].person, 'person9');
});

test('old tables, files, galleries load; a cross table (keyed by both variants) is no variant’s own', async (t) => {
  const old = fakeCalibration('m@1');
  assert.equal(old.format, CALIBRATION_FORMAT);
  assert.equal('probeModelId' in old, false, 'a same-variant table is written exactly as before (format 1)');
  assert.deepEqual(parseCalibrationTable(JSON.parse(JSON.stringify(old)), 'old'), JSON.parse(JSON.stringify(old)));
  const cross = fakeCalibration('m@1+flip', 'm@1');
  assert.equal(cross.format, CROSS_CALIBRATION_FORMAT);
  assert.equal(calibrationKey('m@1+flip', 'm@1'), 'm@1+flip|probe=m@1');
  assert.equal(calibrationKey('m@1'), 'm@1');
  // malformed: format 2 without a probe model, format 1 with one, a probe equal to the gallery side
  const bad = (x: Partial<CalibrationTable> & Record<string, unknown>) =>
    assert.throws(() => parseCalibrationTable({ ...old, ...x }, 'bad'), /not a valid calibration table/);
  bad({ format: CROSS_CALIBRATION_FORMAT });
  bad({ probeModelId: 'm@1+flip' });
  bad({ format: CROSS_CALIBRATION_FORMAT, probeModelId: 'm@1' });

  // an old calibration file (format-1 tables only) still loads; a cross table added to it does not shadow them
  const file = tmpFile(t, 'cal.json');
  const oldFile = { about: 'old', tables: [fakeCalibration('m@1+flip'), old] };
  writeFileSync(file, JSON.stringify(oldFile));
  assert.equal(calibrationFromFile(file, 'm@1').modelId, 'm@1');
  assert.throws(() => calibrationFromFile(file, 'm@1+flip', 'm@1'), /no table for model m@1\+flip with queries of m@1/);
  const merged = withTable(withTable(oldFile, cross), fakeCalibration('m@1+flip', 'm@1', 1.2));
  assert.equal(merged.tables.length, 3, 'a cross table replaces only the cross table of the same pair');
  writeFileSync(file, JSON.stringify(merged));
  assert.equal(calibrationFromFile(file, 'm@1+flip').probeModelId, undefined);
  assert.equal(calibrationFromFile(file, 'm@1+flip', 'm@1').probeModelId, 'm@1');
  // every shipped file parses; every pack still has its same-variant tables
  assert.ok(shippedCalibrations().tables.filter((x) => !x.probeModelId).length >= 8);

  // an old gallery: a format-1 row keyed by the model id, written as before this change
  const db = tmpFile(t);
  await enrolled(db, 'm@1', 3);
  const s = SqliteGalleryStore.open(db);
  await s.saveCalibration(old);
  await s.close();
  const g = await Gallery.open({ location: db, recognizer: new FakeRecognizer('m@1') });
  t.after(() => g.close());
  const c = await g.calibration();
  assert.equal(c.origin, 'gallery');
  assert.deepEqual(c.table, JSON.parse(JSON.stringify(old)));
  assert.equal((await g.identify(codedImage(2, 1, 1))).faces[0].person, 'person2');
});
