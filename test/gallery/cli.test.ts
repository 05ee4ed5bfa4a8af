/**
 * The gallery commands as a script sees them: JSON on stdout, exit codes 0 match / 1 no match / 2 error.
 * Uses the real pipeline on the johns chips (--aligned).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import { facenet as run, type CliRun } from '../helpers/cli.js';

function facenet(args: string[]): CliRun {
  const pipeline = !['people', 'forget'].includes(args[0]);
  return run([...args, ...(pipeline ? ['--threads', '1'] : [])], 120_000);
}

const chips = (name: string) =>
  readdirSync(path.join(JOHNS_DIR, name))
    .sort()
    .map((f) => path.join(JOHNS_DIR, name, f));

test(
  'enroll, verify, identify, people, forget: JSON and exit codes',
  { skip: needDataset(JOHNS_DIR), timeout: 600_000 },
  (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'facenet-cli-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const db = path.join(dir, 'g.db');
    const G = ['--gallery', db, '--aligned'];
    const [salley, savage, simm] = [chips('John_Salley'), chips('John_Savage'), chips('John_Simm')];

    let r = facenet(['enroll', 'John Salley', salley[0], ...G, '--metadata', '{"team":"Lakers"}', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.json.person, 'John Salley');
    assert.equal(r.json.created, true);
    assert.equal(r.json.added.length, 1);
    assert.match(r.json.added[0].sha256, /^[0-9a-f]{64}$/);
    r = facenet(['enroll', 'John Savage', savage[0], savage[1], ...G, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.templates, 2);

    // verify: 0 on match, 1 on no match, 2 on an unknown name
    r = facenet(['verify', salley[4], '--as', 'John Salley', ...G, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.match, true);
    assert.ok(r.json.distance < r.json.threshold);
    assert.ok(r.json.far <= 1e-3);
    r = facenet(['verify', simm[0], '--as', 'John Salley', ...G, '--json']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.json.match, false);
    r = facenet(['verify', simm[0], '--as', 'Nobody', ...G, '--json']);
    assert.equal(r.code, 2);
    assert.equal(r.json.error.code, 'PERSON_NOT_FOUND');

    // identify a folder (recursive) as CSV: every Salley chip but the enrolled one is recognised
    r = facenet(['identify', path.join(JOHNS_DIR, 'John_Salley'), ...G, '--csv']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0].split(',').slice(0, 5).join(','), 'source,face,person,distance,threshold');
    assert.equal(lines.length, 12);
    assert.ok(
      lines.slice(1).every((l) => l.split(',')[2] === 'John Salley'),
      r.stdout,
    );
    // a stranger's photos: nobody recognised → 1
    r = facenet(['identify', simm[2], simm[3], ...G, '--json']);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(
      r.json.results.map((x: { faces: { person: string }[] }) => x.faces[0].person),
      ['unknown', 'unknown'],
    );
    assert.equal(r.json.comparisons, 3, 'one comparison per template (nearest-template matching)');
    assert.equal(r.json.summary.unknown, 2);
    // a corrupt file among good ones: reported per file, exit 2
    const bad = path.join(dir, 'bad.jpg');
    writeFileSync(bad, 'not a jpeg');
    r = facenet(['identify', salley[1], bad, ...G, '--json']);
    assert.equal(r.code, 2);
    assert.equal(r.json.results[0].faces[0].person, 'John Salley');
    assert.equal(r.json.results[1].error.code, 'IMAGE_UNSUPPORTED');

    // typed errors on enroll leave the gallery as it was
    const empty = path.join(dir, 'empty.jpg');
    writeFileSync(empty, '');
    r = facenet(['enroll', 'John Simm', simm[0], empty, ...G, '--json']);
    assert.equal(r.code, 2);
    assert.equal(r.json.error.code, 'IMAGE_EMPTY');

    r = facenet(['people', '--gallery', db, '--json']);
    assert.equal(r.code, 0);
    assert.deepEqual(
      r.json.people.map((p: { name: string; templates: number }) => [p.name, p.templates]),
      [
        ['John Salley', 1],
        ['John Savage', 2],
      ],
    );
    assert.deepEqual(r.json.people[0].metadata, { team: 'Lakers' });

    r = facenet(['forget', 'John Savage', '--gallery', db, '--json']);
    assert.equal(r.code, 0);
    assert.equal(r.json.templatesRemoved, 2);
    r = facenet(['forget', 'John Savage', '--gallery', db, '--json']);
    assert.equal(r.code, 2);
    assert.equal(r.json.error.code, 'PERSON_NOT_FOUND');
    const raw = new Database(db, { readonly: true });
    assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM templates').get() as { n: number }).n, 1);
    assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM thumbnails').get() as { n: number }).n, 1);
    raw.close();

    // human output names the decision
    r = facenet(['verify', savage[3], '--as', 'John Salley', ...G]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^NO MATCH: /);
    // and what each threshold promises, in words
    assert.match(
      r.stdout,
      /τ 0\.\d{4} is set so that a stranger claiming to be John Salley is accepted about 1 in 1,000 times/,
    );
    r = facenet(['identify', savage[3], ...G]);
    assert.match(
      r.stdout,
      /τ\(K\) 0\.\d{4} for K = 1 person: a stranger is taken for anyone enrolled at most 1 in 100 times/,
    );
    assert.doesNotMatch(r.stdout, /1 people/);
  },
);
