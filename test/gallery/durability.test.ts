import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Gallery } from '../../src/gallery/gallery.js';
import { FakeRecognizer, fakeCalibration } from './fake-recognizer.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'enroll-batch.ts');
const TEMPLATES = 6;

/** Run the enrolling child, SIGKILL it once `killAfter` enrollments have been reported; return the reported names. */
function enrollThenKill(file: string, start: number, killAfter: number): Promise<{ reported: string[]; signal: NodeJS.Signals | null; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, String(start), '100000'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
      else resolve({ reported, signal, finished });
    });
  });
}

test('SIGKILL mid-batch: the gallery opens cleanly with every returned enrollment and no partial one', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-durable-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'g.db');
  const reported: string[] = [];
  // three kills at different points, each continuing the same file
  for (const [round, killAfter] of [8, 13, 21].entries()) {
    const r = await enrollThenKill(file, round * 1000, killAfter);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.finished, false, 'the child must be killed midway, not after finishing');
    assert.ok(r.reported.length >= killAfter);
    reported.push(...r.reported);

    const raw = new Database(file);
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(raw.pragma('foreign_key_check'), []);
    const counts = new Map(
      (raw.prepare('SELECT p.name, COUNT(t.id) AS n, COUNT(h.template_id) AS thumbs FROM people p LEFT JOIN templates t ON t.person_id = p.id LEFT JOIN thumbnails h ON h.template_id = t.id GROUP BY p.id').all() as {
        name: string;
        n: number;
        thumbs: number;
      }[]).map((r) => [r.name, r] as const),
    );
    for (const name of reported) assert.ok(counts.has(name), `${name} had returned but is missing after the kill`);
    for (const [name, c] of counts) {
      assert.equal(c.n, TEMPLATES, `${name} is partially enrolled: ${c.n} templates`);
      assert.equal(c.thumbs, TEMPLATES, `${name} has ${c.thumbs} thumbnails`);
    }
    const orphans = raw.prepare('SELECT COUNT(*) AS n FROM templates WHERE person_id NOT IN (SELECT id FROM people)').get() as { n: number };
    assert.equal(orphans.n, 0);
    raw.close();
    t.diagnostic(`round ${round}: killed after ${r.reported.length} reported enrollments; ${counts.size} people in the file`);
  }
  // and the gallery itself opens and searches
  const g = Gallery.open({ path: file, recognizer: new FakeRecognizer(), calibration: fakeCalibration() });
  assert.ok(g.size >= reported.length);
  g.close();
});
