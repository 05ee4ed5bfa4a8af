import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrate, openSetThreshold } from '../../src/decide/calibration.js';
import {
  evaluateOpenSet,
  evaluateTemplates,
  lfwOpenSetSplit,
  oracleThreshold,
  sampleIndices,
  seededRandom,
} from '../../src/eval/identify.js';
import { lineChartSvg } from '../../src/eval/identify-plot.js';
import { identifyPlot } from '../../src/eval/identify-plot.js';
import { fakeEmbedding, randomUnit } from '../gallery/fake-recognizer.js';

const dist = (a: Float32Array, b: Float32Array) => Math.hypot(...a.map((x, i) => x - b[i]));

test('LFW split: first image of people with ≥ 2 images is the gallery, others known probes, singletons unknown', () => {
  const split = lfwOpenSetSplit([
    { name: 'A', files: ['a1', 'a2', 'a3'] },
    { name: 'B', files: ['b1'] },
    { name: 'C', files: ['c1', 'c2'] },
    { name: 'D', files: ['d1'] },
  ]);
  assert.deepEqual(split.gallery, [
    { person: 'A', file: 'a1' },
    { person: 'C', file: 'c1' },
  ]);
  assert.deepEqual(split.known, [
    { person: 0, file: 'a2' },
    { person: 0, file: 'a3' },
    { person: 1, file: 'c2' },
  ]);
  assert.deepEqual(split.unknown, ['b1', 'd1']);
});

test('seeded subsets are reproducible, distinct and in range', () => {
  const a = sampleIndices(100, 10, seededRandom(3));
  assert.deepEqual(a, sampleIndices(100, 10, seededRandom(3)));
  assert.notDeepEqual(a, sampleIndices(100, 10, seededRandom(4)));
  assert.equal(new Set(a).size, 10);
  assert.ok(a.every((i) => i >= 0 && i < 100));
});

test('oracle threshold accepts at most ⌊F·n⌋ unknown probes', () => {
  const d = Float64Array.from({ length: 1000 }, (_, i) => 0.5 + i / 1000);
  const t = oracleThreshold(d, 0.01);
  assert.equal(d.filter((x) => x < t).length, 10);
  assert.equal(oracleThreshold(d, 0.0001), d[0], '0 false alarms allowed: below the nearest stranger');
  assert.equal(oracleThreshold(d, 1), Infinity);
});

/** G identities; known probes are noisy copies; unknown probes other identities. */
function synthetic(G: number, perPerson: number, U: number, noise: number) {
  const gallery = Array.from({ length: G }, (_, i) => fakeEmbedding(i, 0, noise));
  const known = [];
  for (let i = 0; i < G; i++)
    for (let v = 1; v <= perPerson; v++) known.push({ person: i, embedding: fakeEmbedding(i, v, noise) });
  const unknown = Array.from({ length: U }, (_, i) => randomUnit(50_000 + i));
  return { gallery, known, unknown };
}

test('open-set metrics on the full gallery equal a brute-force computation', () => {
  const data = synthetic(30, 3, 400, 6); // noisy: some probes are misidentified or far
  const pairs = [];
  for (let i = 0; i < 40; i++)
    for (let v = 1; v < 4; v++) {
      pairs.push({ distance: dist(fakeEmbedding(900 + i, 0, 1.3), fakeEmbedding(900 + i, v, 1.3)), same: true });
      pairs.push({ distance: dist(fakeEmbedding(900 + i, v, 1.3), randomUnit(70_000 + i * 4 + v)), same: false });
    }
  const calibration = calibrate(pairs, { modelId: 'm', source: 'synthetic' });
  const [full] = evaluateOpenSet(data, { sizes: [30], fars: [0.05, 0.01], seed: 1, calibration });
  assert.equal(full.k, 30);
  assert.equal(full.draws, 1);
  assert.equal(full.knownProbes, 90);
  // brute force
  const nearest = (q: Float32Array) => {
    let best = 0;
    for (let i = 1; i < data.gallery.length; i++) if (dist(q, data.gallery[i]) < dist(q, data.gallery[best])) best = i;
    return { arg: best, d: dist(q, data.gallery[best]) };
  };
  const known = data.known.map((k) => ({ ...nearest(k.embedding), person: k.person }));
  const unknownD = data.unknown.map((u) => nearest(u).d).sort((a, b) => a - b);
  const rank1 = known.filter((k) => k.arg === k.person).length / known.length;
  assert.ok(Math.abs(full.rank1 - rank1) < 1e-12, `rank-1 ${full.rank1} vs ${rank1}`);
  assert.ok(rank1 > 0.3 && rank1 < 1, `the synthetic set should be hard enough to test anything (rank-1 ${rank1})`);
  for (const [i, F] of [0.05, 0.01].entries()) {
    const tau = unknownD[Math.floor(F * unknownD.length)];
    assert.ok(Math.abs(full.dir[i].threshold - tau) < 1e-6);
    const dir = known.filter((k) => k.arg === k.person && k.d < tau).length / known.length;
    assert.ok(Math.abs(full.dir[i].dir - dir) < 1e-12, `DIR@${F} ${full.dir[i].dir} vs ${dir}`);
    const c = full.calibrated![i];
    const ct = openSetThreshold(calibration, F, 30).threshold;
    assert.equal(c.threshold, ct);
    assert.ok(Math.abs(c.measuredFalseAlarm - unknownD.filter((d) => d < ct).length / unknownD.length) < 1e-12);
    assert.ok(Math.abs(c.dir - known.filter((k) => k.arg === k.person && k.d < ct).length / known.length) < 1e-12);
  }
  assert.ok(full.dir[0].dir >= full.dir[1].dir, 'a stricter false-alarm rate cannot raise DIR');
});

test('small galleries are averaged over several seeded draws; rank-1 does not fall as K shrinks', () => {
  const data = synthetic(60, 2, 300, 6);
  const res = evaluateOpenSet(data, { sizes: [5, 20, 60, 1000], fars: [0.01], seed: 7 });
  assert.deepEqual(
    res.map((r) => [r.k, r.draws]),
    [
      [5, 10],
      [20, 10],
      [60, 1],
      [60, 1],
    ],
  );
  assert.ok(res[0].rank1 >= res[2].rank1, `rank-1 K=5 ${res[0].rank1} < K=60 ${res[2].rank1}`);
  assert.deepEqual(
    res,
    evaluateOpenSet(data, { sizes: [5, 20, 60, 1000], fars: [0.01], seed: 7 }),
    'same seed, same numbers',
  );
});

test('template combinations: identical with one photo, and several photos help on noisy data', () => {
  const people = Array.from({ length: 25 }, (_, i) =>
    Array.from({ length: 9 }, (_, v) => fakeEmbedding(i, v + 1, 1.5)),
  );
  const unknown = Array.from({ length: 300 }, (_, i) => randomUnit(80_000 + i));
  const rows = evaluateTemplates({ people, unknown }, { counts: [1, 5], fars: [0.01] });
  assert.equal(rows.length, 6);
  const one = rows.filter((r) => r.templates === 1);
  for (const r of one) {
    assert.ok(Math.abs(r.rank1 - one[0].rank1) < 1e-12, `${r.combination}: ${r.rank1} vs ${one[0].rank1}`);
    assert.ok(Math.abs(r.dir[0].dir - one[0].dir[0].dir) < 1e-12);
  }
  for (const c of ['nearest', 'centroid', 'mean-distance'] as const) {
    const r1 = rows.find((r) => r.templates === 1 && r.combination === c)!;
    const r5 = rows.find((r) => r.templates === 5 && r.combination === c)!;
    assert.ok(r5.rank1 > r1.rank1, `${c}: 5 photos ${r5.rank1} ≤ 1 photo ${r1.rank1}`);
  }
});

test('the SVG chart holds every series, its points and escaped labels', () => {
  const svg = lineChartSvg({
    title: 'DIR <vs> K',
    xLabel: 'K',
    yLabel: 'DIR',
    series: [
      {
        name: 'F=1%',
        points: [
          [10, 0.99],
          [100, 0.95],
          [1680, 0.9],
        ],
        colour: '#00f',
      },
      {
        name: 'F=0.1% & more',
        points: [
          [10, 0.97],
          [100, 0.9],
          [1680, 0.8],
        ],
        colour: '#f00',
        dashed: true,
      },
    ],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.equal((svg.match(/<path /g) ?? []).length, 2);
  assert.equal((svg.match(/<circle /g) ?? []).length, 6);
  assert.ok(svg.includes('DIR &lt;vs&gt; K') && svg.includes('F=0.1% &amp; more'));
  assert.ok(!svg.includes('NaN'));
  assert.ok(svg.includes('1,680'));
  // the command's chart: rank-1 + oracle and calibrated DIR for each F
  const sizes = evaluateOpenSet(synthetic(20, 2, 200, 1.2), {
    sizes: [5, 20],
    fars: [0.01],
    seed: 1,
    calibration: calibrate(
      [
        { distance: 0.3, same: true },
        { distance: 1.2, same: false },
      ],
      { modelId: 'm', source: 's' },
    ),
  });
  const chart = identifyPlot(sizes, [0.01], 'm');
  assert.equal((chart.match(/<path /g) ?? []).length, 3);
});
