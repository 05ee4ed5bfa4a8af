/** The passive check as the active challenge's PassiveScorer: the score of the face that answered, never another's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { passiveScorer } from '../../src/server/liveness.js';
import type { SerializableFace } from '../../src/face-json.js';

const face = (x: number, score: number) =>
  ({
    box: { x, y: 10, width: 50, height: 50 },
    score: 0.99,
    liveness: { live: score >= 0.91, score, threshold: 0.91 },
  }) as unknown as SerializableFace;

test('the score is the answering face’s; a photo without that face scores 0', async () => {
  const asked: unknown[] = [];
  const scorer = passiveScorer(
    {
      detect: async (_img, opts) => {
        asked.push(opts?.liveness);
        return [face(0, 0.2), face(200, 0.97)];
      },
    },
    0.91,
  );
  assert.equal(scorer.threshold, 0.91);
  assert.equal(await scorer.score(Buffer.from('x'), { x: 205, y: 12, width: 48, height: 48 }), 0.97);
  assert.equal(await scorer.score(Buffer.from('x'), { x: 2, y: 8, width: 50, height: 52 }), 0.2);
  assert.equal(await scorer.score(Buffer.from('x'), { x: 400, y: 400, width: 50, height: 50 }), 0);
  assert.deepEqual(asked, ['warn', 'warn', 'warn'], 'liveness judged, never refused inside the scorer');
});
