/**
 * facenet cluster | name | groups on the johns chips (5 people × 11 aligned chips, --aligned), as a script sees them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import { facenet as runCli } from '../helpers/cli.js';

const facenet = (args: string[]) => runCli(args, 300_000);

const people = () =>
  readdirSync(JOHNS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
const chips = (name: string) =>
  readdirSync(path.join(JOHNS_DIR, name))
    .sort()
    .map((f) => path.join(JOHNS_DIR, name, f));

interface FaceJson {
  id: number;
  file: string;
}

/** The person a copied chip belongs to: its folder name. */
const personOf = (file: string) => path.basename(path.dirname(file));

test(
  'cluster the johns: 5 groups, no false merge; naming enrolls; ' +
    'new photos join the named group; bad input changes nothing',
  { skip: needDataset(JOHNS_DIR), timeout: 900_000 },
  (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'facenet-cluster-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const state = path.join(dir, 'clusters.db');
    const gallery = path.join(dir, 'gallery.db');
    const S = ['--state', state];
    // first run: the first 10 chips of each person; second run: the 11th
    for (const p of people())
      chips(p).forEach((c, i) => {
        const to = path.join(dir, i < 10 ? 'run1' : 'run2', p);
        mkdirSync(to, { recursive: true });
        copyFileSync(c, path.join(to, path.basename(c)));
      });

    let r = facenet([
      'cluster',
      path.join(dir, 'run1'),
      '--aligned',
      '--threads',
      '1',
      ...S,
      '--json',
      '--html',
      path.join(dir, 'sheet.html'),
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(
      r.json.groups.length,
      5,
      JSON.stringify(r.json.groups.map((g: { faces: FaceJson[] }) => g.faces.map((f) => personOf(f.file)))),
    );
    for (const g of r.json.groups)
      assert.equal(new Set(g.faces.map((f: FaceJson) => personOf(f.file))).size, 1, `group ${g.id} mixes people`);
    assert.deepEqual(
      new Set(r.json.groups.map((g: { faces: FaceJson[] }) => personOf(g.faces[0].file))),
      new Set(people()),
    );
    assert.ok(r.json.threshold.value > 0 && r.json.threshold.source === 'calibration');
    for (const g of r.json.groups) for (const f of g.faces) assert.ok(f.box.width > 0 && typeof f.file === 'string');
    const html = readFileSync(path.join(dir, 'sheet.html'), 'utf8');
    assert.equal((html.match(/<section class="group"/g) ?? []).length, 5);
    assert.ok((html.match(/data:image\/jpeg;base64,/g) ?? []).length >= 45);
    const salley = r.json.groups.find((g: { faces: FaceJson[] }) => personOf(g.faces[0].file) === 'John_Salley');

    // a rerun over the same photos adds nothing and keeps the ids
    r = facenet(['cluster', path.join(dir, 'run1'), '--aligned', '--threads', '1', ...S, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.added, 0);
    assert.ok(r.json.groups.some((g: { id: number }) => g.id === salley.id));

    // naming the group enrolls its faces
    r = facenet(['name', String(salley.id), 'John Salley', '--gallery', gallery, '--threads', '1', ...S, '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.json.person, 'John Salley');
    assert.equal(r.json.templatesAdded + r.json.skipped, salley.faces.length);
    r = facenet(['people', '--gallery', gallery, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.stringify(r.json).includes('John Salley'), true);

    // second run: the 11th chips join their people's groups; Salley's joins the named group, which matches the gallery
    r = facenet([
      'cluster',
      path.join(dir, 'run2'),
      '--aligned',
      '--threads',
      '1',
      ...S,
      '--gallery',
      gallery,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.json.groups.length, 5);
    assert.equal(r.json.newGroups.length, 0);
    const named = r.json.groups.find((g: { id: number }) => g.id === salley.id);
    assert.equal(named.person, 'John Salley');
    assert.equal(named.match?.person, 'John Salley');
    const newChip = chips('John_Salley')[10];
    assert.ok(
      named.faces.some(
        (f: FaceJson) => path.basename(f.file) === path.basename(newChip) && personOf(f.file) === 'John_Salley',
      ),
    );
    for (const g of r.json.groups) {
      assert.equal(
        new Set(g.faces.map((f: FaceJson) => personOf(f.file))).size,
        1,
        `group ${g.id} mixes people after the second run`,
      );
      if (g.id !== salley.id) assert.equal(g.match, null, 'only the enrolled person matches');
    }
    const before = facenet(['groups', 'list', ...S, '--json']);
    assert.equal(before.code, 0, before.stderr);

    // bad input: an empty folder, a folder of non-images and a corrupt .jpg → typed errors per file, nothing changes
    mkdirSync(path.join(dir, 'empty'));
    r = facenet(['cluster', path.join(dir, 'empty'), '--aligned', ...S, '--json']);
    assert.equal(r.code, 2);
    assert.equal(r.json.error.code, 'INVALID_INPUT');
    mkdirSync(path.join(dir, 'junk'));
    writeFileSync(path.join(dir, 'junk', 'notes.txt'), 'not a photo');
    // no image signature: the decoder says unsupported
    writeFileSync(path.join(dir, 'junk', 'broken.jpg'), Buffer.from('definitely not a jpeg'));
    writeFileSync(path.join(dir, 'junk', 'empty.png'), Buffer.alloc(0));
    r = facenet(['cluster', path.join(dir, 'junk'), '--aligned', '--threads', '1', ...S, '--json']);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    const codes = Object.fromEntries(
      r.json.errors.map((e: { file: string; error: { code: string } }) => [path.basename(e.file), e.error.code]),
    );
    assert.deepEqual(codes, {
      'notes.txt': 'IMAGE_UNSUPPORTED',
      'broken.jpg': 'IMAGE_UNSUPPORTED',
      'empty.png': 'IMAGE_EMPTY',
    });
    // bad ids and names are typed errors too
    for (const args of [
      ['groups', 'rename', '999', 'X'],
      ['groups', 'delete', '999'],
      ['groups', 'move', '999', String(salley.id)],
      ['groups', 'rename', String(salley.id), '   '],
      ['groups', 'show', 'abc'],
    ]) {
      r = facenet([...args, ...S, '--json']);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
      assert.ok(['NOT_FOUND', 'INVALID_INPUT'].includes(r.json.error.code));
    }
    r = facenet(['name', '999', 'Nobody', '--gallery', gallery, ...S, '--json']);
    assert.equal(r.json.error.code, 'NOT_FOUND');
    const after = facenet(['groups', 'list', ...S, '--json']);
    assert.deepEqual(after.json, before.json, 'bad input changed the stored groups');
    assert.equal(facenet(['people', '--gallery', gallery, '--json']).json.people?.length ?? 1, 1);

    // rename, clear, move a face out, delete a group: each readable afterwards, delete means gone
    const other = after.json.groups.find((g: { id: number }) => g.id !== salley.id);
    r = facenet(['groups', 'rename', String(other.id), 'Maybe Savage', ...S, '--json']);
    assert.equal(r.json.group.name, 'Maybe Savage');
    r = facenet(['groups', 'rename', String(other.id), '--clear', ...S, '--json']);
    assert.equal(r.json.group.name, null);
    const faces = facenet(['groups', 'show', String(other.id), ...S, '--json']).json.faces as FaceJson[];
    r = facenet(['groups', 'move', String(faces[0].id), 'none', ...S, '--json']);
    assert.equal(r.json.group, null);
    assert.ok(
      facenet(['groups', 'show', 'unclustered', ...S, '--json']).json.faces.some((f: FaceJson) => f.id === faces[0].id),
    );
    r = facenet(['groups', 'delete', String(other.id), ...S, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.facesRemoved, faces.length - 1);
    const list = facenet(['groups', 'list', ...S, '--json']).json;
    assert.equal(list.groups.length, 4);
    assert.ok(!list.groups.some((g: { id: number }) => g.id === other.id));
    assert.equal(facenet(['groups', 'show', String(other.id), ...S, '--json']).json.error.code, 'NOT_FOUND');
  },
);
