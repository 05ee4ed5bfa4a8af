/** identify --csv: the `second` column is the nearest candidate who is not the answer, as in the table. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identifyCsv } from '../../src/cli/commands/gallery.js';
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
  return rows.map((r) => [r[head.indexOf('person')], r[i], r[i + 1]]);
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
  assert.deepEqual(secondColumns(csv), [['Ada', 'Bob', '0.5']]);
});

test('for an unknown face, second is the nearest enrolled candidate; empty when everyone is the answer', () => {
  const unknown = identifyCsv(
    [
      {
        source: 'x.jpg',
        result: result('unknown', [
          ['Bob', 0.7],
          ['Cy', 0.8],
        ]),
      },
    ],
    0.4,
  );
  assert.deepEqual(secondColumns(unknown), [['unknown', 'Bob', '0.7']]);
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
  assert.deepEqual(secondColumns(alone), [['Ada', '', '']]);
});
