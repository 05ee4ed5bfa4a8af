import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tracker, type TrackDetection } from '../../src/track/tracker.js';
import { iou } from '../../src/track/box.js';

const face = (x: number, y: number, size = 80, score = 0.95): TrackDetection => ({
  box: { x, y, width: size, height: size },
  score,
});

test('a track keeps its id through missed detections and ends after maxMissSeconds', () => {
  const tr = new Tracker({ maxMissSeconds: 0.5 });
  const ids: number[] = [];
  let ended: number[] = [];
  for (let n = 0; n < 40; n++) {
    const t = n / 25;
    const missing = n >= 10 && n < 18; // 8 frames (0.32 s) without a detection
    const step = tr.update(missing ? [] : [face(100 + 3 * n, 100)], t);
    ended = ended.concat(step.ended.map((x) => x.id));
    for (const x of tr.active) if (x.confirmed) ids.push(x.id);
  }
  assert.deepEqual([...new Set(ids)], [1], 'one id throughout');
  assert.deepEqual(ended, []);
  // then the face is gone for good
  let endedAt = -1;
  for (let n = 40; n < 70 && endedAt < 0; n++) if (tr.update([], n / 25).ended.length) endedAt = n / 25;
  assert.ok(endedAt > 39 / 25 + 0.5 && endedAt < 39 / 25 + 0.6, `ended at ${endedAt}`);
});

test('the prediction carries a moving face across a gap: the detection after it pairs with the same track', () => {
  const tr = new Tracker({ maxMissSeconds: 2 });
  for (let n = 0; n < 20; n++) tr.update([face(10 * n, 50)], n / 25); // 250 px/s
  for (let n = 20; n < 30; n++) tr.predict(n / 25); // no detector on these frames
  const step = tr.update([face(300, 50)], 30 / 25);
  assert.equal(step.matched.length, 1);
  assert.equal(step.matched[0].id, 1);
  assert.equal(tr.active.length, 1);
});

test('two faces crossing keep their ids (one hidden behind the other for a few frames)', () => {
  const tr = new Tracker();
  const seen = new Map<number, Set<string>>();
  for (let n = 0; n < 60; n++) {
    const t = n / 25;
    const a = face(20 + 8 * n, 100); // left to right
    const b = face(500 - 8 * n, 110); // right to left
    const hidden = Math.abs(a.box.x - b.box.x) < 40; // a passes behind b
    const dets = hidden ? [b] : [a, b];
    tr.update(dets, t);
    for (const x of tr.active) {
      if (!x.confirmed || !x.detection) continue;
      const who = x.detection === a ? 'a' : 'b';
      seen.set(x.id, (seen.get(x.id) ?? new Set()).add(who));
    }
  }
  assert.deepEqual(
    [...seen.values()].map((s) => [...s].join('')),
    ['a', 'b'],
    'each id followed one face only',
  );
});

test('a one-frame false detection never becomes a track', () => {
  const tr = new Tracker();
  const confirmed: number[] = [];
  for (let n = 0; n < 10; n++) {
    const dets = [face(100, 100)];
    if (n === 4) dets.push(face(400, 300, 60, 0.81));
    confirmed.push(...tr.update(dets, n / 25).confirmed.map((x) => x.id));
  }
  assert.deepEqual(confirmed, [1]);
});

test('far or differently sized boxes never pair; ids are dense and never reused', () => {
  const tr = new Tracker({ maxMissSeconds: 0.1 });
  tr.update([face(0, 0)], 0);
  tr.update([face(0, 0)], 0.04);
  const jump = tr.update([face(400, 300)], 0.08); // a jump across the frame is a new face
  assert.equal(jump.matched.filter((x) => x.confirmed).length, 0);
  const grown = tr.update([face(400, 300, 250)], 0.12); // size ×3: not the same face
  assert.equal(grown.matched.filter((x) => x.confirmed).length, 0);
  tr.update([face(400, 300, 250)], 0.16);
  assert.deepEqual(
    tr.active.filter((x) => x.confirmed).map((x) => x.id),
    [2],
  );
  assert.ok(iou(face(0, 0).box, face(40, 0).box) > 0.3);
});
