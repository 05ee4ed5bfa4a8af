/**
 * identify --csv and the table: `nearest` is the nearest enrolled person (the answer, or for an unknown face the
 * closest candidate), `second` the nearest candidate who is someone else; an unknown face's row never repeats its
 * nearest person and distance as the runner-up. The table's footer says what τ(K) promises.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identifyCsv } from '../../src/cli/commands/gallery.js';
import { identifyTable } from '../../src/cli/commands/identify-output.js';
import type { IdentifyResult } from '../../src/gallery/gallery.js';

const box = { x: 1, y: 2, width: 30, height: 40 };
const info = {
  threshold: 0.4,
  openSetFar: 1e-2,
  perComparisonFar: 1e-3,
  far: 1e-3,
  people: 3,
  comparisons: 5,
  resolvable: true,
  calibration: 'test',
};

function result(person: string, candidates: [string, number][]): IdentifyResult {
  return {
    ...info,
    source: 'x.jpg',
    faces: [
      {
        box,
        score: 0.9,
        person,
        distance: candidates[0][1],
        candidates: candidates.map(([p, distance]) => ({ person: p, distance })),
      },
    ],
  };
}

function secondColumns(csv: string): string[][] {
  const [head, ...rows] = csv.split('\n').map((l) => l.split(','));
  const i = head.indexOf('second');
  return rows.map((r) => [r[head.indexOf('person')], r[head.indexOf('nearest')], r[i], r[i + 1]]);
}

test('second is the nearest other person, not a second template of the same one', () => {
  const csv = identifyCsv(
    [
      {
        source: 'x.jpg',
        result: result('Ada', [
          ['Ada', 0.2],
          ['Ada', 0.25],
          ['Bob', 0.5],
          ['Cy', 0.6],
        ]),
      },
    ],
    0.4,
  );
  assert.deepEqual(secondColumns(csv), [['Ada', 'Ada', 'Bob', '0.5']]);
});

test('for an unknown face, nearest is the closest candidate and second the next person; empty when nobody else', () => {
  const unknown = identifyCsv(
    [
      {
        source: 'x.jpg',
        result: result('unknown', [
          ['Bob', 0.7],
          ['Bob', 0.75],
          ['Cy', 0.8],
        ]),
      },
    ],
    0.4,
  );
  assert.deepEqual(secondColumns(unknown), [['unknown', 'Bob', 'Cy', '0.8']]);
  const alone = identifyCsv(
    [
      {
        source: 'x.jpg',
        result: result('Ada', [
          ['Ada', 0.2],
          ['Ada', 0.3],
        ]),
      },
    ],
    0.4,
  );
  assert.deepEqual(secondColumns(alone), [['Ada', 'Ada', '', '']]);
});

test('the table shows an unknown face’s nearest person once, the next person beside it, and what τ(K) promises', () => {
  const rows = [
    {
      source: 'x.jpg',
      result: result('unknown', [
        ['Bob', 0.7],
        ['Bob', 0.75],
        ['Cy', 0.8],
      ]),
    },
  ];
  const table = identifyTable({ ...info, people: 3, comparisons: 5 }, rows, {
    images: 1,
    faces: 1,
    recognised: 0,
    unknown: 1,
    imagesWithoutFace: 0,
    errors: 0,
  });
  const row = table.split('\n')[1];
  assert.match(row, /unknown \(nearest: Bob\)\s+0\.7000\s+Cy 0\.8000$/);
  assert.equal(row.match(/0\.7000/g)?.length, 1, `the nearest distance appears once: ${row}`);
  assert.match(
    table,
    /τ\(K\) 0\.4000 for K = 5 stored photos of 3 people: a stranger is taken for anyone enrolled at most 1 in 100 times/,
  );
});
