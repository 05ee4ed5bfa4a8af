/**
 * Cluster groups (issue 20, probes 2, 3, 6, 7), through the real server on 127.0.0.1 and the real CLI: a group's faces
 * belong to one person (20 concurrent namings with 20 names: one 201, the rest 409, one person stored), group names
 * follow the one name rule, ids are plain decimal integers, and a forgotten person's group is unnamed again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { FaceRecognizer } from '../../src/recognizer.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import { facenet, type CliRun } from '../helpers/cli.js';
import { alive, call, hasRawControl, johnsState, serve, stored, type Answer, type Served } from './harness.js';

const skip = needDataset(JOHNS_DIR);
let fr: FaceRecognizer;
let s: Served;
let stateFile = '';
/** The two largest groups (John Simm's and John Salley's chips). */
let g1 = 0;
let g2 = 0;

function typed(r: Answer, status: number, code: string) {
  assert.equal(r.status, status, `${r.status} ${r.text}`);
  assert.equal(r.json?.error?.code, code, r.text);
}

function refusedCli(r: CliRun, code: string) {
  assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}${r.stdout}`);
  assert.equal(r.json?.error?.code, code, r.stdout);
}

before(async () => {
  if (skip) return;
  fr = await FaceRecognizer.load({ threads: 1 });
  s = await serve(fr, { clusters: async (dir) => (stateFile = await johnsState(fr, dir)) });
  const groups = s.clusters!.groups();
  assert.ok(groups.length >= 2, JSON.stringify(groups));
  [g1, g2] = groups.map((g) => g.id);
});
after(async () => {
  await s?.close();
  await fr?.close();
});

const groupOf = async (id: number) => (await call(s.base, 'GET', `/v1/clusters/${id}`, { key: s.recognize })).json;
const nameIt = (id: number | string, person: string) =>
  call(s.base, 'POST', `/v1/clusters/${id}/enroll`, { key: s.admin, body: { person } });

test('20 concurrent namings of one group with 20 names: one 201, nineteen 409, one person', { skip }, async () => {
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => nameIt(g1, `Claimant ${i}`)));
  const created = answers.filter((r) => r.status === 201);
  assert.equal(created.length, 1, answers.map((r) => r.status).join(','));
  for (const r of answers.filter((a) => a.status !== 201)) typed(r, 409, 'GROUP_ENROLLED');
  const winner = created[0].json.person as string;
  assert.deepEqual(
    (await stored(s.file)).map((p) => p.name),
    [winner],
    'one person holds the faces',
  );
  assert.equal((await groupOf(g1)).person, winner);

  // again, one at a time: another name is a conflict, the same name adds nothing new
  typed(await nameIt(g1, 'Someone Else'), 409, 'GROUP_ENROLLED');
  const same = await nameIt(g1, winner);
  assert.equal(same.status, 200, same.text);
  assert.equal(same.json.templatesAdded, 0);
  assert.equal((await stored(s.file)).length, 1);

  // and from the CLI, another process: the same conflict, nothing stored
  const cli = facenet([
    'name',
    String(g1),
    'Cli Name',
    '--state',
    stateFile,
    '--gallery',
    s.file,
    '--no-flip',
    '--json',
  ]);
  refusedCli(cli, 'GROUP_ENROLLED');
  assert.deepEqual(
    (await stored(s.file)).map((p) => p.name),
    [winner],
  );

  // forgotten: the group is no longer shown as enrolled, and can be named anew
  const del = await call(s.base, 'DELETE', `/v1/people/${encodeURIComponent(winner)}`, { key: s.admin });
  assert.equal(del.status, 200, del.text);
  assert.deepEqual(del.json.groupsUnnamed, [g1]);
  const after = await groupOf(g1);
  assert.equal(after.person, null);
  assert.equal(after.name, null);
  const unnamed = await call(s.base, 'GET', '/v1/clusters?unnamed=true', { key: s.recognize });
  assert.ok(unnamed.json.groups.some((g: { id: number }) => g.id === g1));
  const again = await nameIt(g1, 'John Simm');
  assert.equal(again.status, 201, again.text);
  assert.ok(await alive(s.base));
});

test('group names follow the one name rule (REST and CLI); nothing stored changes', { skip }, async () => {
  const before = s.clusters!.group(g2);
  for (const bad of ['G\u001b]0;pwned\u0007', 'Ad\u200Ba', '\u202Eevil', 'x'.repeat(100_000), 'unknown', '   ', '..']) {
    const r = await call(s.base, 'PATCH', `/v1/clusters/${g2}`, { key: s.admin, body: { name: bad } });
    typed(r, 400, 'INVALID_INPUT');
  }
  // HTML is a valid name, as for people: stored as given, never interpreted (the page sets it as text)
  const html = await call(s.base, 'PATCH', `/v1/clusters/${g2}`, { key: s.admin, body: { name: '<b>Bo</b>' } });
  assert.equal(html.status, 200, html.text);
  await call(s.base, 'PATCH', `/v1/clusters/${g2}`, { key: s.admin, body: { name: null } });
  assert.deepEqual(s.clusters!.group(g2), before);

  const r = facenet(['groups', 'rename', String(g2), 'G\u001b]0;pwned\u0007', '--state', stateFile, '--json']);
  refusedCli(r, 'INVALID_INPUT');
  const human = facenet(['groups', 'rename', String(g2), 'G\u001b]0;pwned\u0007', '--state', stateFile]);
  assert.equal(human.code, 2);
  assert.ok(!hasRawControl(human.stderr + human.stdout), 'no raw control character');
  assert.deepEqual(s.clusters!.group(g2), before);
});

test('every CLI output escapes control characters: labels stored before the rule, file names', { skip }, async () => {
  // a label and a file name written by an older version (or by hand), with escapes, BEL, a C1 CSI and a bidi override
  const raw = new Database(stateFile);
  raw.prepare('UPDATE cluster_groups SET name = ? WHERE id = ?').run('G\u001b]0;pwned\u0007\u009b2J\u202e', g2);
  raw.prepare('UPDATE cluster_faces SET file = ? WHERE group_id = ?').run('/tmp/\u001b[31mred\u0007.jpg', g2);
  raw.close();
  try {
    for (const args of [
      ['groups', 'list'],
      ['groups', 'show', String(g2)],
      ['groups', 'list', '--json'],
      ['groups', 'show', String(g2), '--json'],
    ]) {
      const r = facenet([...args, '--state', stateFile]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!hasRawControl(r.stdout + r.stderr), args.join(' '));
    }
    const list = facenet(['groups', 'list', '--state', stateFile]);
    assert.match(list.stdout, /G\\u\{1b\}\]0;pwned\\u\{7\}\\u\{9b\}2J\\u\{202e\}/);
    const json = facenet(['groups', 'list', '--state', stateFile, '--json']);
    assert.ok(json.json.groups.some((g: { name: string }) => g.name === 'G\u001b]0;pwned\u0007\u009b2J\u202e'));
  } finally {
    s.clusters!.rename(g2, null);
  }
});

test('group and face ids are plain decimal integers (REST and CLI)', { skip }, async () => {
  for (const id of ['0x1', '1e0', '+1', '01', '1.0', ' 1', '0', '-1', '9'.repeat(30)])
    for (const [method, url, body] of [
      ['GET', `/v1/clusters/${encodeURIComponent(id)}`, undefined],
      ['PATCH', `/v1/clusters/${encodeURIComponent(id)}`, { name: 'X' }],
      ['POST', `/v1/clusters/${encodeURIComponent(id)}/enroll`, { person: 'X' }],
      ['DELETE', `/v1/clusters/faces/${encodeURIComponent(id)}`, undefined],
    ] as const) {
      const r = await call(s.base, method, url, { key: s.admin, body });
      typed(r, 400, 'INVALID_INPUT');
    }
  const face = s.clusters!.faces(g2)[0].id;
  for (const group of ['0x1', '1', 1.5, true])
    typed(
      await call(s.base, 'PATCH', `/v1/clusters/faces/${face}`, { key: s.admin, body: { group } }),
      400,
      'INVALID_INPUT',
    );
  assert.equal(s.clusters!.face(face).groupId, g2, 'the face did not move');
  for (const args of [
    ['name', '0x1', 'X', '--gallery', s.file],
    ['groups', 'show', '1e0'],
    ['groups', 'rename', '+1', 'X'],
    ['groups', 'delete', '01'],
    ['groups', 'move', '1', '0x2'],
  ]) {
    const r = facenet([...args, '--state', stateFile, '--json']);
    refusedCli(r, 'INVALID_INPUT');
    assert.match(r.json.error.message, /decimal integer/, r.stdout);
  }
  assert.ok(s.clusters!.groups().length >= 2, 'nothing was deleted');
});

test('facenet forget unnames the groups enrolled as the person (another process)', { skip }, async () => {
  const named = await nameIt(g2, 'John Salley');
  assert.equal(named.status, 201, named.text);
  const r = facenet(['forget', 'John Salley', '--gallery', s.file, '--state', stateFile, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.groupsUnnamed, [g2]);
  const g = await groupOf(g2);
  assert.equal(g.person, null);
  assert.equal(g.name, null);
});
