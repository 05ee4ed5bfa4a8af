import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceRecognizer, stagesOf } from '../../src/recognizer.js';
import { PooledRecognizer } from '../../src/workers/worker-pool.js';
import { embedImages, embedLabelledFace, evalDetect } from '../../src/eval/embed-images.js';
import { EmbeddingCache, type CachedEmbedding } from '../../src/eval/embedding-cache.js';
import { LFW_DIR, needDataset } from '../helpers/datasets.js';

/** First image of the first few LFW people (sorted), the same files the throughput measurement used. */
function lfwFiles(n: number): string[] {
  const root = path.join(LFW_DIR, 'lfw');
  return readdirSync(root)
    .sort()
    .slice(0, n)
    .map((p) =>
      path.join(
        root,
        p,
        readdirSync(path.join(root, p))
          .filter((f) => f.endsWith('.jpg'))
          .sort()[0],
      ),
    );
}

function maxDiff(a: CachedEmbedding, b: CachedEmbedding): number {
  assert.equal(a.embedding.length, b.embedding.length);
  let m = 0;
  for (let i = 0; i < a.embedding.length; i++)
    m = Math.max(m, Math.abs(a.embedding[i] - b.embedding[i]), Math.abs(a.flipped[i] - b.flipped[i]));
  return m;
}

test(
  'evaluation images on worker threads: same embeddings as on the main thread, one shared cache',
  { skip: needDataset(LFW_DIR), timeout: 180_000 },
  async (t) => {
    const opts = { threads: 1 };
    const [fr, pool] = await Promise.all([FaceRecognizer.load(opts), PooledRecognizer.start(2, opts)]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-embed-images-'));
    const cache = new EmbeddingCache(path.join(dir, 'cache.db'));
    t.after(async () => {
      cache.close();
      rmSync(dir, { recursive: true, force: true });
      await Promise.all([pool.close(), fr.close()]);
    });
    assert.equal(pool.pipelineKey, fr.pipelineKey);
    assert.equal(pool.detectorId, stagesOf(fr).detector.modelId);
    const files = lfwFiles(5);

    const local = await embedImages(fr, files, { concurrency: 2 });
    const pooled = await embedImages(pool, files, { cache });
    assert.equal(pooled.computed, files.length);
    for (const f of files) {
      const a = local.embeddings.get(f)!;
      const b = pooled.embeddings.get(f)!;
      assert.equal(b.status, a.status, f);
      assert.ok(maxDiff(a, b) <= 1e-6, `${f}: worker and main-thread embeddings differ by ${maxDiff(a, b)}`);
    }

    // the second call reads the cache, whichever path asks: both use the same cache key
    for (const again of [await embedImages(pool, files, { cache }), await embedImages(fr, files, { cache })]) {
      assert.deepEqual([again.computed, again.fromCache], [0, files.length]);
      for (const f of files) assert.equal(maxDiff(again.embeddings.get(f)!, local.embeddings.get(f)!), 0);
    }

    // detections handed in (from the cache) skip the detector on the worker and give the same result
    const bytes = readFileSync(files[0]);
    const direct = await embedLabelledFace(fr, bytes, evalDetect());
    const viaWorker = await pool.labelledFace(bytes, evalDetect(), direct.detections);
    assert.deepEqual(viaWorker.detections, direct.detections);
    assert.ok(maxDiff(viaWorker, direct) <= 1e-6);
  },
);
