/** `--liveness` on the command line: detect over folders, the JSON verdicts, exit code 4, and eval liveness. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { facenet } from '../helpers/cli.js';
import { ANTISPOOF_DATA, ASSEMBLE_HINT, needFile, SILENT_FACE_SAMPLES } from '../helpers/antispoof-data.js';

/** The long options `facenet COMMAND --help` lists. */
const listed = (command: string) =>
  new Set([...facenet([command, '--help']).stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]));

test('the liveness options: on the commands that judge faces and on serve, parsed before anything loads', () => {
  for (const command of ['detect', 'verify', 'identify', 'enroll', 'serve']) {
    const options = listed(command);
    for (const o of ['--liveness', '--liveness-threshold']) assert.ok(options.has(o), `${command} ${o}`);
  }
  assert.ok(listed('serve').has('--enroll-liveness'), 'serve --enroll-liveness');
  for (const command of ['embed', 'compare'])
    assert.ok(!listed(command).has('--liveness'), `${command}: no --liveness`);

  const threshold = facenet(['detect', 'nowhere.jpg', '--liveness', 'warn', '--liveness-threshold', '1.5', '--json']);
  assert.equal(threshold.code, 2);
  assert.equal(threshold.json.error.code, 'INVALID_INPUT');
  assert.match(threshold.json.error.message, /--liveness-threshold/);
  const serve = facenet(['serve', '--no-auth', '--port', '0', '--enroll-liveness', 'sometimes', '--json']);
  assert.equal(serve.code, 2);
  assert.equal(serve.json.error.code, 'INVALID_INPUT');
});

const skip = needFile(SILENT_FACE_SAMPLES.live, ASSEMBLE_HINT) || needFile(SILENT_FACE_SAMPLES.replay, ASSEMBLE_HINT);
const samples = path.join(ANTISPOOF_DATA, 'replay/silent-face');

test('detect takes folders and every face carries its verdict; require exits 4 with SPOOF_SUSPECTED', { skip }, () => {
  const warn = facenet(['detect', samples, SILENT_FACE_SAMPLES.live, '--liveness', 'warn', '--json'], 120_000);
  assert.equal(warn.code, 0, warn.stderr);
  assert.equal(warn.json.results.length, 2);
  const [replay, live] = warn.json.results;
  assert.equal(replay.source, SILENT_FACE_SAMPLES.replay);
  assert.equal(replay.faces[0].liveness.live, false);
  assert.equal(live.faces[0].liveness.live, true);
  assert.deepEqual(Object.keys(live.faces[0].liveness).sort(), ['live', 'score', 'threshold']);
  assert.equal(warn.json.summary.notLive, 1);

  const require = facenet(['detect', SILENT_FACE_SAMPLES.replay, '--liveness', 'require', '--json'], 120_000);
  assert.equal(require.code, 4);
  assert.equal(require.json.error.code, 'SPOOF_SUSPECTED');

  const off = facenet(['detect', SILENT_FACE_SAMPLES.replay, '--json'], 120_000);
  assert.equal(off.code, 0);
  assert.equal(off.json.faces[0].liveness, undefined, 'off by default on the command line');

  const bad = facenet(['detect', SILENT_FACE_SAMPLES.replay, '--liveness', 'maybe', '--json']);
  assert.equal(bad.code, 2);
  assert.equal(bad.json.error.code, 'INVALID_INPUT');
});

test('eval liveness: APCER per attack type, BPCER, ACER and a calibrated threshold, as JSON', { skip }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-liveness-eval-'));
  try {
    const scores = path.join(dir, 'scores.json');
    const r = facenet(
      [
        'eval',
        'liveness',
        '--live',
        SILENT_FACE_SAMPLES.live,
        '--attack',
        `replay=${SILENT_FACE_SAMPLES.replay}`,
        '--attack',
        `print=${SILENT_FACE_SAMPLES.print}`,
        '--target-apcer',
        '0',
        '--scores',
        scores,
        '--json',
      ],
      120_000,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.photos, 3);
    assert.deepEqual(r.json.shipped.bpcer, { count: 1, noFace: 0, errors: 0, rate: 0 });
    assert.equal(r.json.shipped.apcer.replay.rate, 0);
    assert.equal(r.json.shipped.apcer.print.rate, 0);
    assert.equal(r.json.shipped.acer, 0);
    // the lowest threshold accepting no attack lies just above the best-scoring attack
    const saved = JSON.parse(readFileSync(scores, 'utf8')) as { label: string; score: number }[];
    const worst = Math.max(...saved.filter((s) => s.label !== 'live').map((s) => s.score));
    assert.ok(r.json.calibrated.threshold > worst && r.json.calibrated.threshold < worst + 1e-5);
    assert.deepEqual(r.json.calibrated.target, { apcer: 0 });

    const again = facenet(['eval', 'liveness', '--from-scores', scores, '--threshold', '0', '--json']);
    assert.equal(again.json.given.apcerMax, 1, 'at threshold 0 every attack passes');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
