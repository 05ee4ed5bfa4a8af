/** MODEL_MISMATCH names what to do: the options that match the gallery, or re-enrolling into a new one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { modelMismatchAdvice } from '../../src/gallery/model-advice.js';
import { SqliteGalleryStore } from '../../src/gallery/store/sqlite/sqlite-store.js';
import { template } from './store/store-conformance.js';

const NET = 'face-recognition-128@c5fab9f794a1';

test("same network, other TTA: the advice gives the gallery's options and the re-enroll command", () => {
  // flip is named either way: its default depends on the pack
  const a = modelMismatchAdvice(`${NET}+flip`, [`${NET}+crops0.15,0.35+flip`]);
  assert.match(a, /`--crops 0\.15,0\.35 --flip`/);
  assert.match(a, /facenet enroll NAME PHOTO --gallery NEW\.db --crops none --flip`/);
  const b = modelMismatchAdvice(`${NET}+crops0.15,0.35`, [`${NET}+crops0.15,0.35+flip`]);
  assert.match(b, /`--crops 0\.15,0\.35 --flip`/);
  assert.match(b, /--crops 0\.15,0\.35 --no-flip`/);
  const c = modelMismatchAdvice(`${NET}+crops0.15,0.35+flip`, [`${NET}`]);
  assert.match(c, /`--crops none --no-flip`/);
});

test('another network: re-enroll, or the --model the gallery was built with', () => {
  assert.match(
    modelMismatchAdvice('my-net@1+flip', [`${NET}+flip`]),
    /--model the gallery was built with.*facenet enroll NAME PHOTO --gallery NEW\.db/,
  );
});

test('the SQLite store puts the advice in its MODEL_MISMATCH error', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-advice-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = SqliteGalleryStore.open(path.join(dir, 'g.db'));
  t.after(() => store.close());
  await store.enroll({ name: 'Ada', templates: [template(1, `${NET}+crops0.15,0.35+flip`)] });
  await assert.rejects(
    store.templates(`${NET}+flip`),
    (e: Error & { code?: string }) =>
      e.code === 'MODEL_MISMATCH' && /run the command with `--crops 0\.15,0\.35 --flip`/.test(e.message),
  );
});
