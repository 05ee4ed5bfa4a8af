/**
 * `--face x,y,width,height`, the CLI twin of the API's `face` box: enroll, verify, identify and embed use the chosen
 * face of a group photo instead of the largest; malformed boxes and contradictory options are INVALID_INPUT (exit 2)
 * before any model loads; a box that matches no face is NO_FACE (exit 1) and lists the faces found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DETECTION_DIR, needDataset } from '../helpers/datasets.js';
import { facenet } from '../helpers/cli.js';

// two faces: the chosen one is the smaller (the default would take the other)
const GROUP = path.join(DETECTION_DIR, 'dlib_faces', '2008_001009.jpg');
type Box = { x: number; y: number; width: number; height: number };
const iou = (a: Box, b: Box) => {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (w * h) / (a.width * a.height + b.width * b.height - w * h);
};

test('--face: malformed or contradictory → INVALID_INPUT, exit 2', { skip: needDataset(GROUP) }, (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-face-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const G = ['--gallery', path.join(dir, 'g.db'), '--json'];
  for (const args of [
    ['enroll', 'A', GROUP, '--face', '1,2,3', ...G],
    ['enroll', 'A', GROUP, '--face', '1,2,0,4', ...G],
    ['enroll', 'A', GROUP, '--face', 'a,b,c,d', ...G],
    ['enroll', 'A', GROUP, '--face', '1,2,3,4,5', ...G],
    ['enroll', 'A', GROUP, '--face', '1,,3,4', ...G],
    ['enroll', 'A', GROUP, GROUP, '--face', '1,2,3,4', ...G],
    ['enroll', 'A', GROUP, '--face', '1,2,3,4', '--largest', ...G],
    ['verify', GROUP, '--as', 'A', '--face', '1,2,3,4', '--aligned', ...G],
    ['identify', GROUP, GROUP, '--face', '1,2,3,4', ...G],
    ['embed', GROUP, '--face', '-1,2,3,-4', '--json'],
  ]) {
    const r = facenet(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.json?.error?.code, 'INVALID_INPUT', args.join(' '));
  }
});

test(
  '--face picks the chosen face of a group photo in enroll, verify, identify and embed',
  {
    skip: needDataset(GROUP),
    timeout: 600_000,
  },
  (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'facenet-face-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const G = ['--gallery', path.join(dir, 'g.db'), '--threads', '1', '--json'];
    const det = facenet(['detect', GROUP, '--json', '--threads', '1']);
    assert.equal(det.code, 0, det.stderr);
    const boxes = (det.json.faces as { box: Box }[]).map((f) => f.box);
    assert.equal(boxes.length, 2);
    const small = [...boxes].sort((a, b) => a.width * a.height - b.width * b.height)[0];
    const arg = [small.x, small.y, small.width, small.height].map(Math.round).join(',');

    let r = facenet(['enroll', 'Guest', GROUP, '--face', arg, ...G]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(iou(r.json.added[0].box, small) > 0.5, 'the chosen face was enrolled, not the largest');

    r = facenet(['verify', GROUP, '--as', 'Guest', '--face', arg, ...G]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(r.json.distance < 0.05, `the enrolled face itself (${r.json.distance})`);
    assert.ok(iou(r.json.box, small) > 0.5);

    r = facenet(['identify', GROUP, '--face', arg, ...G]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.json.results[0].faces.length, 1, 'only the chosen face');
    assert.equal(r.json.results[0].faces[0].person, 'Guest');

    r = facenet(['embed', GROUP, '--face', arg, '--json', '--threads', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.faces.length, 1);
    assert.ok(iou(r.json.faces[0].box, small) > 0.5);

    // a box over no face: NO_FACE, exit 1, and the message lists the faces to choose from
    r = facenet(['verify', GROUP, '--as', 'Guest', '--face', '0,0,10,10', ...G]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.equal(r.json.error.code, 'NO_FACE');
    assert.match(r.json.error.message, /faces found: \d+,\d+,\d+,\d+; \d+,\d+,\d+,\d+/);
  },
);
