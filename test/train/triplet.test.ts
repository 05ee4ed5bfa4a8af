/**
 * Loss and miners against a brute-force enumeration of every triplet on small random batches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/train/rng.js';
import { pairDistanceMeans, selectTriplets, tripletLoss, tripletMasks, type Triplet } from '../../src/train/triplet.js';
import { tf, useBackend } from '../../src/train/backend.js';
import { l2Normalize, pairwiseSquaredDistances } from '../../src/train/ops.js';

const MARGIN = 0.2;

/** A random batch: n normalised embeddings in `dim` dimensions, labels with some singletons. */
function randomBatch(seed: number, n = 10, dim = 4) {
  const rng = new Rng(seed);
  const labels: number[] = [];
  // identities of 1–4 images
  let id = 0;
  while (labels.length < n) {
    const k = 1 + rng.int(4);
    for (let i = 0; i < k && labels.length < n; i++) labels.push(id);
    id++;
  }
  rng.shuffle(labels);
  const emb: number[][] = [];
  for (let i = 0; i < n; i++) {
    const v = Array.from({ length: dim }, () => rng.normal());
    const norm = Math.hypot(...v);
    emb.push(v.map((x) => x / norm));
  }
  const D = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) D[i * n + j] = emb[i].reduce((s, x, k) => s + (x - emb[j][k]) ** 2, 0);
  return { labels, emb, D, n };
}

/** Every valid (a, p, n): a ≠ p same identity, n another identity. */
function allTriplets(labels: number[]): Triplet[] {
  const out: Triplet[] = [];
  for (let a = 0; a < labels.length; a++)
    for (let p = 0; p < labels.length; p++)
      for (let q = 0; q < labels.length; q++)
        if (a !== p && labels[a] === labels[p] && labels[q] !== labels[a]) out.push({ a, p, n: q });
  return out;
}

const key = (t: Triplet) => `${t.a},${t.p},${t.n}`;
const hinge = (D: Float64Array, n: number, t: Triplet) => Math.max(D[t.a * n + t.p] - D[t.a * n + t.n] + MARGIN, 0);
const sorted = (ts: Triplet[]) => ts.map(key).sort();

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

test('batch-all selects every valid triplet; loss = mean over the non-zero ones', () => {
  for (const seed of SEEDS) {
    const { labels, D, n } = randomBatch(seed);
    const all = allTriplets(labels);
    const sel = selectTriplets(D, labels, 'batch-all');
    assert.deepEqual(sorted(sel.triplets), sorted(all), `seed ${seed}`);
    const losses = all.map((t) => hinge(D, n, t)).filter((l) => l > 0);
    const expected = losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : 0;
    const got = tripletLoss(D, n, sel, MARGIN);
    assert.ok(Math.abs(got.loss - expected) < 1e-12, `seed ${seed}: ${got.loss} vs ${expected}`);
    assert.equal(got.active, losses.length);
  }
});

test('batch-hard: per anchor the triplet with the largest D(a,p) − D(a,n) among all triplets of that anchor', () => {
  for (const seed of SEEDS) {
    const { labels, D, n } = randomBatch(seed);
    const all = allTriplets(labels);
    const expected: Triplet[] = [];
    for (let a = 0; a < n; a++) {
      const mine = all.filter((t) => t.a === a);
      if (!mine.length) continue;
      expected.push(
        mine.reduce((best, t) =>
          D[t.a * n + t.p] - D[t.a * n + t.n] > D[best.a * n + best.p] - D[best.a * n + best.n] ? t : best,
        ),
      );
    }
    const sel = selectTriplets(D, labels, 'batch-hard');
    assert.deepEqual(sorted(sel.triplets), sorted(expected), `seed ${seed}`);
    const loss = expected.reduce((s, t) => s + hinge(D, n, t), 0) / expected.length;
    assert.ok(Math.abs(tripletLoss(D, n, sel, MARGIN).loss - loss) < 1e-12);
  }
});

test('semi-hard: per positive pair the nearest negative farther than the positive, else the farthest negative', () => {
  let fallbacks = 0;
  let semi = 0;
  for (const seed of SEEDS) {
    const { labels, D, n } = randomBatch(seed);
    const all = allTriplets(labels);
    const expected: Triplet[] = [];
    const pairs = new Set(all.map((t) => `${t.a},${t.p}`));
    for (const ap of pairs) {
      const cands = all.filter((t) => `${t.a},${t.p}` === ap);
      const dap = D[cands[0].a * n + cands[0].p];
      const farther = cands.filter((t) => D[t.a * n + t.n] > dap);
      if (farther.length) {
        semi++;
        expected.push(farther.reduce((b, t) => (D[t.a * n + t.n] < D[b.a * n + b.n] ? t : b)));
      } else {
        fallbacks++;
        expected.push(cands.reduce((b, t) => (D[t.a * n + t.n] > D[b.a * n + b.n] ? t : b)));
      }
    }
    const sel = selectTriplets(D, labels, 'semi-hard');
    assert.deepEqual(sorted(sel.triplets), sorted(expected), `seed ${seed}`);
    const loss = expected.reduce((s, t) => s + hinge(D, n, t), 0) / expected.length;
    assert.ok(Math.abs(tripletLoss(D, n, sel, MARGIN).loss - loss) < 1e-12);
  }
  // both branches exercised
  assert.ok(semi > 0 && fallbacks > 0, `semi ${semi}, fallbacks ${fallbacks}`);
});

test('random: one valid triplet per positive pair, negatives spread over all candidates, seeded', () => {
  const { labels, D, n } = randomBatch(11, 12);
  const all = allTriplets(labels);
  const valid = new Set(all.map(key));
  const pairs = [...new Set(all.map((t) => `${t.a},${t.p}`))].sort();
  const counts = new Map<string, number>();
  const rng = new Rng(5);
  for (let r = 0; r < 400; r++) {
    const sel = selectTriplets(D, labels, 'random', rng);
    assert.deepEqual(sel.triplets.map((t) => `${t.a},${t.p}`).sort(), pairs);
    for (const t of sel.triplets) {
      assert.ok(valid.has(key(t)));
      counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
    }
    const loss = sel.triplets.reduce((s, t) => s + hinge(D, n, t), 0) / sel.triplets.length;
    assert.ok(Math.abs(tripletLoss(D, n, sel, MARGIN).loss - loss) < 1e-12);
  }
  // every valid triplet drawn at some point
  assert.equal(counts.size, valid.size);
  // same seed, same selection
  const a = selectTriplets(D, labels, 'random', new Rng(9)).triplets;
  const b = selectTriplets(D, labels, 'random', new Rng(9)).triplets;
  assert.deepEqual(a, b);
});

test('singletons are never anchors or positives', () => {
  const labels = [0, 0, 1, 2, 2, 3];
  const { D } = randomBatch(3, 6);
  for (const m of ['batch-all', 'batch-hard', 'semi-hard'] as const) {
    for (const t of selectTriplets(D, labels, m).triplets) {
      assert.notEqual(labels[t.a], 1);
      assert.notEqual(labels[t.a], 3);
      assert.equal(labels[t.a], labels[t.p]);
      assert.notEqual(labels[t.a], labels[t.n]);
    }
  }
  assert.equal(selectTriplets(D, [0, 1, 2, 3, 4, 5], 'batch-all').triplets.length, 0);
});

test('masked loss over the distance matrix equals the triplet loss, value and gradient (tfjs)', async () => {
  await useBackend('cpu');
  for (const mining of ['batch-all', 'batch-hard', 'semi-hard', 'random'] as const) {
    const { labels, emb, n } = randomBatch(21, 12, 6);
    const x = tf.tensor2d(
      emb.flat().map((v, i) => v * (1 + (i % 3) * 0.1)),
      [n, 6],
    ); // not normalised on purpose
    const rng = new Rng(1);
    let sel: ReturnType<typeof selectTriplets> | undefined;
    let masks: ReturnType<typeof tripletMasks> | undefined;
    const maskedLoss = (xi: tf.Tensor) => {
      const D = pairwiseSquaredDistances(l2Normalize(xi as tf.Tensor2D));
      const d = D.dataSync();
      sel ??= selectTriplets(d, labels, mining, rng);
      masks = tripletMasks(d, n, sel, MARGIN);
      return tf.add(tf.sum(tf.mul(D, tf.tensor2d(masks.weights, [n, n]))), masks.constant) as tf.Scalar;
    };
    // explicit form: gather the selected triplets' distances
    const explicitLoss = (xi: tf.Tensor) => {
      const e = l2Normalize(xi as tf.Tensor2D);
      const ts = sel!.triplets;
      const a = tf.gather(
        e,
        ts.map((t) => t.a),
      );
      const p = tf.gather(
        e,
        ts.map((t) => t.p),
      );
      const q = tf.gather(
        e,
        ts.map((t) => t.n),
      );
      const dap = tf.sum(tf.square(tf.sub(a, p)), 1);
      const dan = tf.sum(tf.square(tf.sub(a, q)), 1);
      const l = tf.relu(tf.add(tf.sub(dap, dan), MARGIN));
      const denom = sel!.reduction === 'mean-active' ? Math.max(1, masks!.stats.active) : ts.length;
      return tf.div(tf.sum(l), denom) as tf.Scalar;
    };
    const g1 = tf.valueAndGrad(maskedLoss)(x);
    const g2 = tf.valueAndGrad(explicitLoss)(x);
    const v1 = g1.value.dataSync()[0];
    const v2 = g2.value.dataSync()[0];
    assert.ok(v1 > 0, `${mining}: loss should be non-zero on a random batch`);
    assert.ok(Math.abs(v1 - v2) < 1e-5, `${mining}: ${v1} vs ${v2}`);
    const d1 = g1.grad.dataSync();
    const d2 = g2.grad.dataSync();
    let maxd = 0;
    for (let i = 0; i < d1.length; i++) maxd = Math.max(maxd, Math.abs(d1[i] - d2[i]));
    assert.ok(maxd < 1e-5, `${mining}: gradient differs by ${maxd}`);
  }
});

test('pairDistanceMeans averages positive and negative pairs', () => {
  const D = [0, 1, 4, 1, 0, 9, 4, 9, 0];
  assert.deepEqual(pairDistanceMeans(D, [0, 0, 1]), { pos: 1, neg: 6.5 });
});
