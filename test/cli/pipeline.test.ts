import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DETECTION_DIR, JOHNS_DIR, LFW_DIR, needDataset } from '../helpers/datasets.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'facenet-cli-'));

function facenet(...args: string[]): {
  code: number | null;
  json: Record<string, unknown>;
  stdout: string;
  stderr: string;
} {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(r.stdout);
  } catch {
    /* not JSON */
  }
  return { code: r.status, json, stdout: r.stdout, stderr: r.stderr };
}

const johns = (name: string, i: number) => {
  const dir = path.join(JOHNS_DIR, name);
  return path.join(dir, readdirSync(dir).sort()[i]);
};

test('compare --json: same person → exit 0, keys distance/same/threshold', { skip: needDataset(JOHNS_DIR) }, () => {
  const r = facenet('compare', johns('John_Simm', 0), johns('John_Simm', 1), '--aligned', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(typeof r.json.distance, 'number');
  assert.equal(r.json.same, true);
  assert.ok((r.json.threshold as number) > 0);
  assert.ok((r.json.distance as number) < (r.json.threshold as number));
});

test('compare: different people → exit 1', { skip: needDataset(JOHNS_DIR) }, () => {
  const r = facenet('compare', johns('John_Simm', 0), johns('John_Salley', 0), '--aligned', '--json');
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json.same, false);
  // where τ comes from, and what it lets through on the shipped calibration
  assert.equal(r.json.thresholdFrom, 'pack');
  assert.ok((r.json.farAtThreshold as number) > 0 && (r.json.farAtThreshold as number) < 0.1);
});

test(
  'compare says what its threshold is: the most accurate on LFW, no target false-accept rate',
  {
    skip: needDataset(JOHNS_DIR),
  },
  () => {
    const r = facenet('compare', johns('John_Simm', 0), johns('John_Salley', 0), '--aligned');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^distance 0\.\d{4} ≥ τ 0\.\d{4}: different people\n/);
    assert.match(r.stdout, /τ 0\.\d{4} is the distance that best separates .* no target false-accept rate/);
    assert.match(r.stdout, /about 1 in [\d,]+ pairs of different people are closer than that/);
  },
);

test('bad input → exit 2 with a stable error code, for every kind', { skip: needDataset(JOHNS_DIR) }, () => {
  const empty = path.join(tmp, 'empty.jpg');
  writeFileSync(empty, '');
  const text = path.join(tmp, 'text.jpg');
  writeFileSync(text, 'not an image');
  const cases: [string, string][] = [
    [empty, 'IMAGE_EMPTY'],
    [text, 'IMAGE_UNSUPPORTED'],
    [path.join(tmp, 'missing.jpg'), 'IMAGE_NOT_FOUND'],
  ];
  for (const [file, code] of cases) {
    const r = facenet('compare', file, johns('John_Simm', 0), '--json');
    assert.equal(r.code, 2, `${file}: ${r.stderr}`);
    assert.equal((r.json.error as { code: string }).code, code);
  }
  const bad = facenet('detect', johns('John_Simm', 0), '--detect-size', 'huge', '--json');
  assert.equal(bad.code, 2, bad.stderr);
  assert.equal((bad.json.error as { code: string }).code, 'INVALID_INPUT');
  const native = facenet('detect', johns('John_Simm', 0), '--detect-size', 'native', '--json');
  assert.notEqual(native.code, 2, native.stderr);
});

test(
  'face-less photo: detect → exit 1 with no faces; compare → NO_FACE, exit 1 (the README: 1 = no match / no face)',
  { skip: needDataset(DETECTION_DIR) || needDataset(JOHNS_DIR) },
  () => {
    const dog = path.join(DETECTION_DIR, 'no_faces/horses.jpg');
    const d = facenet('detect', dog, '--json');
    assert.equal(d.code, 1, d.stderr);
    assert.deepEqual(d.json.faces, []);
    const c = facenet('compare', dog, johns('John_Simm', 0), '--json');
    assert.equal(c.code, 1);
    assert.equal((c.json.error as { code: string }).code, 'NO_FACE');
  },
);

test('embed --json prints 128 numbers per face and the model id', { skip: needDataset(JOHNS_DIR) }, () => {
  const r = facenet('embed', johns('John_Savage', 0), '--aligned', '--json');
  assert.equal(r.code, 0, r.stderr);
  const faces = r.json.faces as { embedding: number[] }[];
  assert.equal(faces.length, 1);
  assert.equal(faces[0].embedding.length, 128);
  assert.match(String(r.json.model), /^dlib128-yunet:face-recognition-128@/, 'the default pack');
});

test(
  'eval lfw on a fixed 2-fold subset: JSON keys, then a rerun served from the cache',
  { skip: needDataset(LFW_DIR) },
  () => {
    // 2 folds × (5 same + 5 different) taken from the first two View 2 folds
    const lines = readFileSync(path.join(LFW_DIR, 'pairs.txt'), 'utf8').split('\n');
    const fold = (k: number) => [
      ...lines.slice(1 + 600 * k, 6 + 600 * k),
      ...lines.slice(301 + 600 * k, 306 + 600 * k),
    ];
    const pairs = path.join(tmp, 'pairs-small.txt');
    writeFileSync(pairs, ['2\t5', ...fold(0), ...fold(1)].join('\n'));
    const cache = path.join(tmp, 'emb.db');
    const first = facenet('eval', 'lfw', '--data', LFW_DIR, '--pairs', pairs, '--cache', cache, '--json');
    assert.equal(first.code, 0, first.stderr);
    for (const k of ['accuracy', 'std', 'auc', 'tarAtFar1e3', 'threshold', 'seconds'])
      assert.equal(typeof first.json[k], 'number', k);
    assert.ok((first.json.accuracy as number) >= 0.85, `accuracy ${first.json.accuracy}`);
    assert.equal(first.json.pairs, 20);
    const second = facenet('eval', 'lfw', '--data', LFW_DIR, '--pairs', pairs, '--cache', cache, '--json');
    assert.equal(second.json.embeddingsComputed, 0);
    assert.equal(second.json.embeddingsFromCache, first.json.images);
    assert.equal(second.json.accuracy, first.json.accuracy);
  },
);
