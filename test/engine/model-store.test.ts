import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildModel } from '../../src/engine/model-store.js';
import { recognitionRecipe } from '../../src/embed/recognition-graph.js';

test('a graph layout change keeps the model id and gets its own cache file; a version change makes a new id', async () => {
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'facenet-models-'));
  try {
    const current = await buildModel(recognitionRecipe, { cacheDir });
    const oldLayout = await buildModel({ ...recognitionRecipe, layout: undefined }, { cacheDir });
    const newVersion = await buildModel({ ...recognitionRecipe, version: recognitionRecipe.version + 1 }, { cacheDir });
    assert.ok(recognitionRecipe.layout && recognitionRecipe.layout > 1);
    assert.equal(current.id, oldLayout.id, 'galleries, caches and calibrations are keyed by the id: a rewrite for speed must not change it');
    assert.notEqual(current.path, oldLayout.path);
    assert.notEqual(newVersion.id, current.id);
    assert.match(current.id, /^face-recognition-128@[0-9a-f]{12}$/);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
