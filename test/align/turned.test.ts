/** Yaw from five points, and how packs align faces turned away from the camera (src/align/pose.ts, turned.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fivePointsOf68, yawFromFivePoints } from '../../src/align/pose.js';
import {
  axisPoints,
  checkTurnedOptions,
  DLIB_FIVE_POINT_TEMPLATE,
  isTurned,
  turnedPoints,
} from '../../src/align/turned.js';
import { alignFivePoint, ARCFACE_112_TEMPLATE, templateInBox } from '../../src/align/five-point.js';
import { FaceRecognizer, stagesOf } from '../../src/recognizer.js';
import { decodeImage } from '../../src/image/decode.js';
import { isFaceError } from '../../src/errors.js';
import { MODEL_FILES } from '../../src/pack/packs.js';
import { CFP_DIR, MODELS_DIR, needDataset, needModel } from '../helpers/datasets.js';

const T = ARCFACE_112_TEMPLATE;
const box = { x: 0, y: 0, width: 112, height: 112 };

/** The template's points with the head turned by `deg` on a cylinder: eyes closer together, nose off their midpoint. */
function turnedTemplate(deg: number): { x: number; y: number }[] {
  const r = (deg * Math.PI) / 180;
  const cx = 56;
  return T.map((p, i) => ({
    x: cx + (p.x - cx) * Math.cos(r) + (i === 2 ? 13.4 : 0) * Math.sin(r),
    y: p.y,
  }));
}

test('yaw from five points: 0 for the frontal template, its sign and size for turned ones, any roll', () => {
  assert.ok(Math.abs(yawFromFivePoints(T)) < 1, `frontal: ${yawFromFivePoints(T)}`);
  for (const deg of [20, 45, 70]) {
    const y = yawFromFivePoints(turnedTemplate(deg));
    assert.ok(Math.abs(y - deg) < 12, `${deg}° read as ${y.toFixed(1)}°`);
    const mirrored = turnedTemplate(deg).map((p) => ({ x: 112 - p.x, y: p.y }));
    // mirrored: the left and right points swap, so the list is re-sorted image left to right
    const [re, le, nose, rm, lm] = mirrored;
    assert.ok(Math.abs(yawFromFivePoints([le, re, nose, lm, rm]) + y) < 1e-9, 'mirror: the opposite sign');
  }
  // a profile: both eyes at the face's edge, the nose beyond them
  const profile = [
    { x: 60, y: 50 },
    { x: 63, y: 50 },
    { x: 80, y: 70 },
    { x: 62, y: 90 },
    { x: 66, y: 90 },
  ];
  assert.ok(yawFromFivePoints(profile) > 80);
  // roll: the same turned face rotated by 30° in the image keeps its yaw
  const a = (30 * Math.PI) / 180;
  const rolled = turnedTemplate(45).map((p) => ({
    x: 56 + (p.x - 56) * Math.cos(a) - (p.y - 56) * Math.sin(a),
    y: 56 + (p.x - 56) * Math.sin(a) + (p.y - 56) * Math.cos(a),
  }));
  assert.ok(Math.abs(yawFromFivePoints(rolled) - yawFromFivePoints(turnedTemplate(45))) < 1e-6);
  // five points from 68: eye centres, nose tip, mouth corners
  const l68 = Array.from({ length: 68 }, (_, i) => ({ x: i, y: 2 * i }));
  assert.deepEqual(fivePointsOf68(l68), [
    { x: 38.5, y: 77 },
    { x: 44.5, y: 89 },
    { x: 30, y: 60 },
    { x: 48, y: 96 },
    { x: 54, y: 108 },
  ]);
});

test('turned faces: which count, and the points each alignment gives them', () => {
  const opts = checkTurnedOptions({ yawAbove: 45, align: 'axis' });
  assert.equal(isTurned({ box, points: T }, opts), false);
  assert.equal(isTurned({ box, points: turnedTemplate(70) }, opts), true);
  assert.equal(isTurned({ box }, opts), false, 'no points, no yaw');
  assert.equal(isTurned({ box, points: turnedTemplate(70) }, undefined), false);
  // 'axis' keeps the eyes' and the mouth's midpoints and spreads the points as a frontal face's
  for (const [p, q] of axisPoints(T).map((p, i) => [p, T[i]] as const)) {
    assert.ok(Math.abs(p.x - q.x) < 0.01 && Math.abs(p.y - q.y) < 0.01, 'the frontal template is its own axis');
  }
  const crowded = turnedTemplate(80);
  const axis = axisPoints(crowded);
  const mid = (ps: { x: number; y: number }[], i: number, j: number) => [
    (ps[i].x + ps[j].x) / 2,
    (ps[i].y + ps[j].y) / 2,
  ];
  for (const [i, j] of [
    [0, 1],
    [3, 4],
  ]) {
    const [ax, ay] = mid(axis, i, j);
    const [cx, cy] = mid(crowded, i, j);
    assert.ok(Math.hypot(ax - cx, ay - cy) < 1e-9);
  }
  assert.ok(axis[1].x - axis[0].x > 30, 'the eyes spread out again');
  assert.deepEqual(turnedPoints({ box, points: crowded }, 'axis'), axis);
  assert.deepEqual(turnedPoints({ box, points: crowded }, 'five'), crowded);
  assert.deepEqual(turnedPoints({ box, points: crowded }, 'box'), templateInBox(box, { size: 112, template: T }));
  assert.equal(turnedPoints({ box, points: crowded }, 'points'), undefined);
  for (const p of DLIB_FIVE_POINT_TEMPLATE.points) assert.ok(p.x > 0 && p.x < 1 && p.y > 0 && p.y < 1);
  for (const bad of [{ yawAbove: -1 }, { yawAbove: 45, align: 'sideways' }, { yawAbove: 45, collapsedBelow: 0 }])
    assert.throws(
      () => checkTurnedOptions(bad as never),
      (e) => isFaceError(e) && e.code === 'INVALID_INPUT',
    );
});

const skip = needDataset(CFP_DIR) || needModel(path.join(MODELS_DIR, MODEL_FILES.edgefaceXs.path));

test(
  "a five-point pack aligns a profile on its axis (the pack's `turned`), and false turns it off",
  { skip, timeout: 120_000 },
  async () => {
    const photo = path.join(CFP_DIR, 'Data/Images/020/profile/03.jpg');
    const opts = { pack: 'edgeface-xs-yunet', acceptLicense: true, models: MODELS_DIR, threads: 1 };
    const [fr, plain] = await Promise.all([FaceRecognizer.load(opts), FaceRecognizer.load({ ...opts, turned: false })]);
    try {
      assert.deepEqual(stagesOf(fr).turned, { yawAbove: 45, align: 'axis' });
      assert.equal(stagesOf(plain).turned, undefined);
      assert.notEqual(fr.pipelineKey, plain.pipelineKey, 'the cache key names the setting');
      const img = await decodeImage(photo);
      const [face] = await fr.detect(img);
      assert.ok(isTurned(face, stagesOf(fr).turned), 'a profile');
      const spec = { size: 112, template: T };
      assert.deepEqual(
        stagesOf(fr).faceChips(img, face)[0].data,
        alignFivePoint(img, axisPoints(face.points!), spec).data,
      );
      assert.deepEqual(stagesOf(plain).faceChips(img, face)[0].data, alignFivePoint(img, face.points!, spec).data);
      // a frontal photo is aligned the same either way
      const frontal = await decodeImage(path.join(CFP_DIR, 'Data/Images/020/frontal/01.jpg'));
      const [f] = await fr.detect(frontal);
      assert.deepEqual(stagesOf(fr).faceChips(frontal, f)[0].data, stagesOf(plain).faceChips(frontal, f)[0].data);
      // turned.flip: a turned face is embedded with its mirror image too, a frontal one as it is
      const flipping = await FaceRecognizer.load({ ...opts, turned: { yawAbove: 45, align: 'axis', flip: true } });
      try {
        const [p] = await flipping.embed(img);
        const [pFlip] = await fr.embed(img, { flip: true });
        const [pPlain] = await fr.embed(img);
        assert.deepEqual(Array.from(p.embedding), Array.from(pFlip.embedding));
        assert.notDeepEqual(Array.from(p.embedding), Array.from(pPlain.embedding));
        const [q] = await flipping.embed(frontal);
        const [qPlain] = await fr.embed(frontal);
        assert.deepEqual(Array.from(q.embedding), Array.from(qPlain.embedding));
      } finally {
        await flipping.close();
      }
    } finally {
      await Promise.all([fr.close(), plain.close()]);
    }
  },
);
