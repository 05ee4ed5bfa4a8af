/**
 * `facenet train` stores the calibration of its validation split inside model.onnx, so `compare --model` decides
 * with it at once; with TTA the table was not measured for, compare refuses with a typed error instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SmallArch } from '../../src/train/model.js';
import { runTraining } from '../../src/train/run.js';
import { readModelMeta } from '../../src/train/model-meta.js';
import { tauForFar } from '../../src/decide/calibration.js';
import { DEFAULT_VERIFY_FAR } from '../../src/decide/decisions.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import { facenet as runCli } from '../helpers/cli.js';

const facenet = (...args: string[]) => runCli(args, 300_000);

const TINY: SmallArch = {
  arch: 'small',
  inputSize: 32,
  layers: [
    { width: 8, stride: 2 },
    { width: 16, stride: 2 },
  ],
  pool: 'flatten',
  embeddingDim: 32,
};

const johns = (name: string, i: number) => {
  const dir = path.join(JOHNS_DIR, name);
  return path.join(
    dir,
    readdirSync(dir)
      .filter((f) => f.endsWith('.jpg'))
      .sort()[i],
  );
};

test(
  'a trained model carries its validation calibration, and compare --model decides with it at once',
  { skip: needDataset(JOHNS_DIR) },
  async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'facenet-train-cal-'));
    try {
      const run = await runTraining({
        data: JOHNS_DIR,
        out,
        archSettings: TINY,
        P: 3,
        K: 3,
        negatives: 0,
        valIdentities: 2,
        epochSteps: 2,
        seed: 3,
        budget: { steps: 2 },
      });
      const model = path.join(out, 'model.onnx');
      const meta = await readModelMeta(model);
      const stored = meta.calibration;
      assert.ok(stored, 'model.onnx stores a calibration');
      assert.equal(stored.flip, false);
      assert.deepEqual(stored.crops, []);
      assert.equal(stored.pack, 'dlib128-yunet', 'training aligned its chips with the default pack');
      assert.ok(stored.table.genuinePairs > 0 && stored.table.impostorPairs > 0);
      const settings = JSON.parse(readFileSync(run.settingsPath, 'utf8')) as {
        data: { valPairs: number };
        calibration: { impostorPairs: number };
      };
      assert.equal(
        stored.table.genuinePairs + stored.table.impostorPairs,
        settings.data.valPairs,
        'every validation pair',
      );
      assert.equal(settings.calibration.impostorPairs, stored.table.impostorPairs);
      assert.deepEqual(run.calibration?.table.points, stored.table.points);

      const expected = tauForFar(stored.table, DEFAULT_VERIFY_FAR).threshold;
      for (const [a, b] of [
        [johns('John_Simm', 0), johns('John_Simm', 1)],
        [johns('John_Simm', 0), johns('John_Salley', 0)],
      ]) {
        const r = facenet('compare', a, b, '--aligned', '--model', model, '--json');
        assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
        assert.equal(r.json.threshold, expected, "the model's own table at the default verification FAR");
        assert.equal((r.json.calibration as { origin: string }).origin, 'model');
        assert.equal(r.json.same, (r.json.distance as number) < expected);
        assert.equal(r.code, r.json.same ? 0 : 1);
        assert.match(String(r.json.model), /^dlib128-yunet:custom@[0-9a-f]{12}$/, 'under the default pack');
      }
      // flip TTA was not measured: a typed error naming the options that were, never a borrowed table
      const flip = facenet(
        'compare',
        johns('John_Simm', 0),
        johns('John_Simm', 1),
        '--aligned',
        '--model',
        model,
        '--flip',
        '--json',
      );
      assert.equal(flip.code, 2, flip.stderr);
      const err = flip.json.error as { code: string; message: string };
      assert.equal(err.code, 'CALIBRATION_ERROR');
      assert.match(err.message, /--crops none --no-flip/);
      // a gallery enrolled through --model decides with the model's calibration until `facenet calibrate` gives it one
      const g = [
        '--aligned',
        '--model',
        model,
        '--crops',
        'none',
        '--no-flip',
        '--gallery',
        path.join(out, 'g.db'),
        '--json',
      ];
      const enrolled = facenet('enroll', 'Simm', johns('John_Simm', 0), ...g);
      assert.equal(enrolled.code, 0, enrolled.stderr);
      const verified = facenet('verify', johns('John_Simm', 1), '--as', 'Simm', ...g);
      assert.ok(verified.code === 0 || verified.code === 1, `exit ${verified.code}: ${verified.stderr}`);
      assert.equal(verified.json.threshold, Math.round(expected * 1e4) / 1e4);
      assert.match(String(verified.json.calibration), /^model: facenet train validation split/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);
