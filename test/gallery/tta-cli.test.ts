/**
 * The README's speed options against an existing gallery: a gallery enrolled with the default TTA answers
 * `identify --no-flip` and `verify --crops none` with the shipped cross-variant τ; an uncalibrated variant and
 * enrolling with another variant are MODEL_MISMATCH with advice. Real pipeline on the johns chips (--aligned).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { perComparisonFar, tauForFar } from '../../src/decide/calibration.js';
import { defaultCalibration } from '../../src/decide/default-calibration.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import { facenet as run, type CliRun } from '../helpers/cli.js';

const facenet = (args: string[]): CliRun => run([...args, '--threads', '1', '--json'], 120_000);
const NET = 'dlib128-yunet:face-recognition-128@c5fab9f794a1'; // the default pack
const DEFAULT = `${NET}+crops0.15,0.35+flip`;

const chips = (name: string) =>
  readdirSync(path.join(JOHNS_DIR, name))
    .sort()
    .map((f) => path.join(JOHNS_DIR, name, f));

test(
  'identify --no-flip and verify --crops none against a gallery of the default variant; other variants: advice',
  { skip: needDataset(JOHNS_DIR), timeout: 600_000 },
  (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'facenet-tta-cli-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const G = ['--gallery', path.join(dir, 'g.db'), '--aligned'];
    const [salley, savage, simm] = [chips('John_Salley'), chips('John_Savage'), chips('John_Simm')];
    let r = facenet(['enroll', 'John Salley', salley[0], ...G]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    r = facenet(['enroll', 'John Savage', savage[0], ...G]);
    assert.equal(r.code, 0, r.stderr + r.stdout);

    const noFlip = defaultCalibration(DEFAULT, `${NET}+crops0.15,0.35`)!;
    r = facenet(['identify', salley[3], simm[0], ...G, '--no-flip']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.json.threshold, Number(tauForFar(noFlip, perComparisonFar(0.01, 2)).threshold.toFixed(4)));
    assert.match(
      r.json.calibration,
      /templates dlib128-yunet:face-recognition-128@c5fab9f794a1\+crops0\.15,0\.35\+flip, queries dlib128-yunet:face-recognition-128@c5fab9f794a1\+crops0\.15,0\.35\)/,
    );
    assert.deepEqual(
      r.json.results.map((x: { faces: { person: string }[] }) => x.faces[0].person),
      ['John Salley', 'unknown'],
    );

    const noCrops = defaultCalibration(DEFAULT, `${NET}+flip`)!;
    r = facenet(['verify', salley[4], '--as', 'John Salley', ...G, '--crops', 'none']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.json.match, true);
    assert.equal(r.json.threshold, Number(tauForFar(noCrops, 1e-3).threshold.toFixed(4)));
    r = facenet(['verify', simm[1], '--as', 'John Salley', ...G, '--crops', 'none', '--no-flip']);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.json.calibration, /queries dlib128-yunet:face-recognition-128@c5fab9f794a1\)$/);

    // no table for crops 0.2: the error names the gallery's options and the re-enroll command
    r = facenet(['identify', salley[3], ...G, '--crops', '0.2']);
    assert.equal(r.code, 2, r.stdout);
    assert.equal(r.json.error.code, 'MODEL_MISMATCH');
    assert.match(
      r.json.error.message,
      /`--crops 0\.15,0\.35 --flip` \(as the gallery\).*facenet enroll NAME PHOTO --gallery NEW\.db --crops 0\.2/,
    );
    // enrolling with a cheaper variant would mix templates: refused, the gallery unchanged
    r = facenet(['enroll', 'John Simm', simm[0], ...G, '--no-flip']);
    assert.equal(r.code, 2, r.stdout);
    assert.equal(r.json.error.code, 'MODEL_MISMATCH');
    assert.match(r.json.error.message, /would mix two variants/);
    r = run(['people', '--gallery', G[1], '--json']);
    assert.deepEqual(
      r.json.people.map((p: { name: string }) => p.name),
      ['John Salley', 'John Savage'],
    );
  },
);
