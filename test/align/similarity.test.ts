import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applySimilarity,
  estimateSimilarity,
  invertSimilarity,
  similarityAngle,
  similarityRms,
  similarityScale,
  type Similarity,
} from '../../src/align/similarity.js';
import type { Point } from '../../src/align/types.js';
import { FaceError } from '../../src/errors.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

const make = (scale: number, angle: number, tx: number, ty: number): Similarity => ({
  a: scale * Math.cos(angle),
  b: scale * Math.sin(angle),
  tx,
  ty,
});

function randomPoints(n: number, r: () => number): Point[] {
  return Array.from({ length: n }, () => ({ x: r() * 200 - 50, y: r() * 160 + 10 }));
}

test('recovers an exact similarity from transformed points', () => {
  const r = rng(1);
  for (const [s, ang, tx, ty] of [
    [1.7, 0.4, 12.5, -30],
    [0.35, -2.9, 300, 41],
    [1, 0, 0, 0],
    [2.5, Math.PI, -7, 7],
  ]) {
    const truth = make(s, ang, tx, ty);
    const src = randomPoints(20, r);
    const dst = src.map((p) => applySimilarity(truth, p));
    const est = estimateSimilarity(src, dst);
    for (const k of ['a', 'b', 'tx', 'ty'] as const)
      assert.ok(Math.abs(est[k] - truth[k]) < 1e-9, `${k}: ${est[k]} vs ${truth[k]}`);
    assert.ok(Math.abs(similarityScale(est) - s) < 1e-9);
    const dAng = Math.atan2(Math.sin(similarityAngle(est) - ang), Math.cos(similarityAngle(est) - ang));
    assert.ok(Math.abs(dAng) < 1e-9);
  }
});

test('with noise: close to the truth and a least-squares optimum', () => {
  const r = rng(2);
  const truth = make(1.3, 0.25, 40, -12);
  const src = randomPoints(68, r);
  const sigma = 0.5;
  const dst = src.map((p) => {
    const q = applySimilarity(truth, p);
    return { x: q.x + sigma * gaussian(r), y: q.y + sigma * gaussian(r) };
  });
  const est = estimateSimilarity(src, dst);
  assert.ok(Math.abs(similarityScale(est) - 1.3) < 0.01, `scale ${similarityScale(est)}`);
  assert.ok(Math.abs(similarityAngle(est) - 0.25) < 0.01, `angle ${similarityAngle(est)}`);
  const rms = similarityRms(est, src, dst);
  // residual of the fit ≈ the noise (2-D rms of N(0, σ²) per axis is σ·√2), and no worse than the truth's
  assert.ok(rms > sigma && rms < 2 * sigma, `rms ${rms}`);
  assert.ok(rms <= similarityRms(truth, src, dst) + 1e-12);
  // any small change of the four parameters makes the fit worse
  for (const k of ['a', 'b', 'tx', 'ty'] as const) {
    for (const d of [1e-3, -1e-3]) {
      const moved = { ...est, [k]: est[k] + d };
      assert.ok(similarityRms(moved, src, dst) > rms, `${k} ${d}`);
    }
  }
});

test('weights: a zero-weight outlier is ignored', () => {
  const r = rng(3);
  const truth = make(0.8, -0.6, 5, 9);
  const src = randomPoints(10, r);
  const dst = src.map((p) => applySimilarity(truth, p));
  dst[3] = { x: dst[3].x + 500, y: dst[3].y - 300 };
  const w = src.map((_, i) => (i === 3 ? 0 : 1));
  const est = estimateSimilarity(src, dst, w);
  assert.ok(Math.abs(est.a - truth.a) < 1e-9 && Math.abs(est.ty - truth.ty) < 1e-9);
  const unweighted = estimateSimilarity(src, dst);
  assert.ok(Math.abs(unweighted.tx - truth.tx) > 1);
});

test('never returns a reflection: a mirrored set gets the best proper rotation', () => {
  const r = rng(4);
  const src = randomPoints(12, r);
  const dst = src.map((p) => ({ x: -p.x + 3, y: p.y }));
  const est = estimateSimilarity(src, dst);
  // brute force over angles (scale and translation optimal per angle): nothing beats the closed form
  let best = Infinity;
  for (let i = 0; i < 3600; i++) {
    const th = (i / 3600) * 2 * Math.PI;
    const c = Math.cos(th),
      s = Math.sin(th);
    const mx = src.reduce((a, p) => a + p.x, 0) / src.length,
      my = src.reduce((a, p) => a + p.y, 0) / src.length;
    const nx = dst.reduce((a, p) => a + p.x, 0) / dst.length,
      ny = dst.reduce((a, p) => a + p.y, 0) / dst.length;
    let num = 0,
      den = 0;
    for (let k = 0; k < src.length; k++) {
      const px = src[k].x - mx,
        py = src[k].y - my,
        qx = dst[k].x - nx,
        qy = dst[k].y - ny;
      num += (c * px - s * py) * qx + (s * px + c * py) * qy;
      den += px * px + py * py;
    }
    const sc = Math.max(0, num / den);
    const t = make(sc, th, 0, 0);
    const moved = { ...t, tx: nx - (t.a * mx - t.b * my), ty: ny - (t.b * mx + t.a * my) };
    best = Math.min(best, similarityRms(moved, src, dst));
  }
  assert.ok(similarityRms(est, src, dst) <= best + 1e-9);
  // a + b·i is a rotation-scale: the determinant a² + b² is positive by construction, and not a perfect fit
  assert.ok(similarityRms(est, src, dst) > 1);
});

test('inverse round-trips', () => {
  const t = make(1.9, 1.1, -4, 17);
  const inv = invertSimilarity(t);
  for (const p of [
    { x: 0, y: 0 },
    { x: 12.5, y: -3 },
    { x: 100, y: 250 },
  ]) {
    const q = applySimilarity(inv, applySimilarity(t, p));
    assert.ok(Math.abs(q.x - p.x) < 1e-9 && Math.abs(q.y - p.y) < 1e-9);
  }
});

test('degenerate input gives a typed error', () => {
  const isDegenerate = (e: unknown) =>
    e instanceof FaceError &&
    e.code === 'INVALID_INPUT' &&
    (e.details as { reason?: string })?.reason === 'degenerate-points';
  const p = { x: 3, y: 4 };
  assert.throws(
    () =>
      estimateSimilarity(
        [p, p, p],
        [
          { x: 0, y: 0 },
          { x: 1, y: 0 },
          { x: 0, y: 1 },
        ],
      ),
    isDegenerate,
  );
  assert.throws(
    () =>
      estimateSimilarity(
        [
          { x: 0, y: 0 },
          { x: 1, y: 0 },
        ],
        [p, p],
      ),
    isDegenerate,
  );
  assert.throws(() => estimateSimilarity([p], [p]), isDegenerate);
  assert.throws(() => estimateSimilarity([], []), isDegenerate);
  assert.throws(() => estimateSimilarity([p, { x: 1, y: 1 }], [p]), isDegenerate);
  assert.throws(() => estimateSimilarity([p, { x: Number.NaN, y: 1 }], [p, { x: 2, y: 2 }]), isDegenerate);
  assert.throws(() => estimateSimilarity([p, { x: 1, y: 1 }], [p, { x: Infinity, y: 2 }]), isDegenerate);
  // near-coincident at large coordinates (float noise only) is degenerate too
  assert.throws(
    () =>
      estimateSimilarity(
        [
          { x: 1e6, y: 1e6 },
          { x: 1e6 + 1e-9, y: 1e6 },
        ],
        [
          { x: 0, y: 0 },
          { x: 1, y: 0 },
        ],
      ),
    isDegenerate,
  );
  // two distinct points are enough
  const t = estimateSimilarity(
    [
      { x: 0, y: 0 },
      { x: 1, y: 0 },
    ],
    [
      { x: 5, y: 5 },
      { x: 5, y: 7 },
    ],
  );
  assert.ok(Math.abs(similarityScale(t) - 2) < 1e-12 && Math.abs(similarityAngle(t) - Math.PI / 2) < 1e-12);
});
