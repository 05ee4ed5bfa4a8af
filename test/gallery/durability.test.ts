import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Gallery } from '../../src/gallery/gallery.js';
import { FakeRecognizer, fakeCalibration } from './fake-recognizer.js';
import { BATCH_TEMPLATES, enrollThenKill } from './store/store-conformance.js';

const TEMPLATES = BATCH_TEMPLATES;

test(
  'SIGKILL mid-batch (SQLite file): the file passes integrity checks with every returned enrollment and no partial one',
  { timeout: 180_000 },
  async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'facenet-durable-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'g.db');
    const reported: string[] = [];
    // three kills at different points, each continuing the same file
    for (const [round, killAfter] of [8, 13, 21].entries()) {
      const r = await enrollThenKill(file, round * 1000, killAfter);
      assert.equal(r.finished, false, 'the child must be killed midway, not after finishing');
      assert.ok(r.reported.length >= killAfter);
      reported.push(...r.reported);

      const raw = new Database(file);
      assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(raw.pragma('foreign_key_check'), []);
      const counts = new Map(
        (
          raw
            .prepare(
              'SELECT p.name, COUNT(t.id) AS n, COUNT(h.template_id) AS thumbs FROM people p ' +
                'LEFT JOIN templates t ON t.person_id = p.id LEFT JOIN thumbnails h ON h.template_id = t.id ' +
                'GROUP BY p.id',
            )
            .all() as {
            name: string;
            n: number;
            thumbs: number;
          }[]
        ).map((r) => [r.name, r] as const),
      );
      for (const name of reported) assert.ok(counts.has(name), `${name} had returned but is missing after the kill`);
      for (const [name, c] of counts) {
        assert.equal(c.n, TEMPLATES, `${name} is partially enrolled: ${c.n} templates`);
        assert.equal(c.thumbs, TEMPLATES, `${name} has ${c.thumbs} thumbnails`);
      }
      const orphans = raw
        .prepare('SELECT COUNT(*) AS n FROM templates WHERE person_id NOT IN (SELECT id FROM people)')
        .get() as { n: number };
      assert.equal(orphans.n, 0);
      raw.close();
      t.diagnostic(
        `round ${round}: killed after ${r.reported.length} reported enrollments; ${counts.size} people in the file`,
      );
    }
    // and the gallery itself opens and searches
    const g = await Gallery.open({ location: file, recognizer: new FakeRecognizer(), calibration: fakeCalibration() });
    assert.ok((await g.size()) >= reported.length);
    await g.close();
  },
);
