/** The room a SQLite gallery keeps for a forget on a full disk (the disk itself: test/reliability/forget.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DiskReserve, isDiskFull } from '../../../src/gallery/store/sqlite/reserve.js';
import { SqliteGalleryStore } from '../../../src/gallery/store/sqlite/sqlite-store.js';

test('a reserve is made at full size, released once, made again; a short one is topped up', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-reserve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = new DiskReserve(path.join(dir, 'g.db.reserve'), 100_000);
  assert.equal(r.ensure(), true);
  assert.equal(statSync(r.file).size, 100_000);
  assert.equal(r.release(), true);
  assert.equal(existsSync(r.file), false);
  assert.equal(r.release(), false, 'nothing left to free');
  writeFileSync(r.file, 'short');
  assert.equal(r.ensure(), true);
  assert.equal(statSync(r.file).size, 100_000);
  assert.ok(
    isDiskFull({ code: 'SQLITE_FULL' }) && isDiskFull({ code: 'ENOSPC' }) && !isDiskFull({ code: 'SQLITE_BUSY' }),
  );
});

test('a writable file gallery keeps a reserve beside it; read-only, in-memory or reserveBytes 0 do not', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-reserve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'g.db');
  await SqliteGalleryStore.open(file).close();
  assert.equal(statSync(`${file}.reserve`).size, 2 * 1024 * 1024);
  rmSync(`${file}.reserve`);
  await SqliteGalleryStore.open(file, { readonly: true }).close();
  await SqliteGalleryStore.open(file, { reserveBytes: 0 }).close();
  await SqliteGalleryStore.open(':memory:').close();
  assert.equal(existsSync(`${file}.reserve`), false);
});
