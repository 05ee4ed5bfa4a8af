import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildModel } from '../../src/engine/model-store.js';
import { recognitionRecipe } from '../../src/embed/recognition-graph.js';

test('a graph layout change keeps the model id and gets its own cache file; a new version makes a new id', async () => {
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'facenet-models-'));
  try {
    const current = await buildModel(recognitionRecipe, { cacheDir });
    const oldLayout = await buildModel({ ...recognitionRecipe, layout: undefined }, { cacheDir });
    const newVersion = await buildModel({ ...recognitionRecipe, version: recognitionRecipe.version + 1 }, { cacheDir });
    assert.ok(recognitionRecipe.layout && recognitionRecipe.layout > 1);
    assert.equal(
      current.id,
      oldLayout.id,
      'galleries, caches and calibrations are keyed by the id: a rewrite for speed must not change it',
    );
    assert.notEqual(current.path, oldLayout.path);
    assert.notEqual(newVersion.id, current.id);
    assert.match(current.id, /^face-recognition-128@[0-9a-f]{12}$/);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test(
  'threads building the same graph into a cold cache leave one whole model file and no temporary files',
  { timeout: 120_000 },
  async () => {
    // Worker threads share the process id; the cache once wrote one temporary file per pid, and two threads writing
    // it at once left a corrupt model that made onnxruntime abort the process (CI, cold cache).
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'facenet-models-'));
    const storeTs = new URL('../../src/engine/model-store.ts', import.meta.url).href;
    const ssdTs = new URL('../../src/detect/ssd-graph.ts', import.meta.url).href;
    const code = `
    import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};
    import { parentPort, workerData } from 'node:worker_threads';
    import { createHash } from 'node:crypto';
    register();
    const { buildModel } = await import(${JSON.stringify(storeTs)});
    const { ssdRecipeFor } = await import(${JSON.stringify(ssdTs)});
    const m = await buildModel(ssdRecipeFor(256), { cacheDir: workerData });
    parentPort.postMessage(createHash('sha256').update(m.bytes).digest('hex'));`;
    try {
      const digests = await Promise.all(
        Array.from({ length: 4 }, () => {
          const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData: cacheDir });
          return new Promise<string>((resolve, reject) => {
            w.once('message', resolve);
            w.once('error', reject);
          });
        }),
      );
      assert.equal(new Set(digests).size, 1, 'every thread built the same bytes');
      const files = readdirSync(cacheDir);
      assert.equal(files.length, 1, `cache holds ${files.join(', ')}`);
      assert.match(files[0], /^ssd-mobilenetv1-256-[0-9a-f]{12}\.onnx$/);
      assert.equal(
        createHash('sha256')
          .update(readFileSync(path.join(cacheDir, files[0])))
          .digest('hex'),
        digests[0],
        'the cached file is whole',
      );
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  },
);
