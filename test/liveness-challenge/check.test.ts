/**
 * The challenge's judgement on SYNTHETIC landmark sequences (test/helpers/synthetic-face.ts: a mean 3-D face turned
 * and projected, eyelids opened to a share): which sequences pass, which fail and why, and the typed errors for
 * frames no judgement can be made on. Real detector output is judged in real-sequences.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertOpen, judgeSequence } from '../../src/liveness-challenge/check.js';
import { DEFAULT_THRESHOLDS } from '../../src/liveness-challenge/events.js';
import { poseOf } from '../../src/liveness-challenge/pose.js';
import type { Challenge, ChallengeAction } from '../../src/liveness-challenge/types.js';
import { FaceError } from '../../src/errors.js';
import { framesOf, performing, syntheticFace } from '../helpers/synthetic-face.js';

const challenge = (actions: ChallengeAction[]): Challenge => ({ id: 'c', actions, issuedAt: 0, deadline: 30_000 });
const ASKED: ChallengeAction[] = ['turn-left', 'blink', 'turn-right', 'turn-left'];

const code = (code: string) => (e: unknown) => e instanceof FaceError && e.code === code;

test('the synthetic face reads back its yaw, width and eye ratio', () => {
  for (const yaw of [-40, -15, 0, 10, 30]) assert.ok(Math.abs(poseOf(syntheticFace({ yaw })).yaw - yaw) < 1e-9);
  assert.ok(Math.abs(poseOf(syntheticFace({ yaw: 30 })).width - Math.cos(Math.PI / 6)) < 1e-9);
  assert.ok(Math.abs(poseOf(syntheticFace({ eyes: 0.5 })).ear! / poseOf(syntheticFace()).ear! - 0.5) < 1e-9);
  // a five-point pack's face (no 68 landmarks): the same yaw, no eye ratio
  const five = { ...syntheticFace({ yaw: 20 }), landmarks: undefined };
  assert.ok(Math.abs(poseOf(five).yaw - 20) < 1e-9);
  assert.equal(poseOf(five).ear, undefined);
});

test('the sequence asked, performed in order, passes; every action is seen once', () => {
  const j = judgeSequence(challenge(ASKED), framesOf(performing(ASKED)));
  assert.equal(j.passed, true, j.message);
  assert.deepEqual(
    j.seen.map((s) => s.action),
    ASKED,
  );
  // a facing frame before each action and one after the last, for the face and passive checks
  assert.equal(j.facing.length, ASKED.length + 1);
});

test('another order, a missing action, an extra action and no motion at all fail, each named', () => {
  const wrong = judgeSequence(
    challenge(ASKED),
    framesOf(performing(['turn-left', 'turn-right', 'blink', 'turn-left'])),
  );
  assert.equal(wrong.failure, 'wrong-action');
  assert.match(wrong.message, /Step 2 asked for closed eyes and saw a turn to the right/);
  const missing = judgeSequence(challenge(ASKED), framesOf(performing(ASKED.slice(0, 3))));
  assert.equal(missing.failure, 'missing-action');
  const extra = judgeSequence(challenge(ASKED), framesOf(performing([...ASKED, 'blink'])));
  assert.equal(extra.failure, 'extra-action');
  const still = judgeSequence(challenge(ASKED), framesOf(Array(24).fill(syntheticFace())));
  assert.equal(still.passed, false);
  assert.equal(still.failure, 'missing-action');
});

test('a turn counts once however long it is held; two need a return to the camera between them', () => {
  const [facing, left] = [syntheticFace(), syntheticFace({ yaw: 30 })];
  const held = [facing, facing, facing, left, left, left, left, left, facing];
  assert.equal(judgeSequence(challenge(['turn-left']), framesOf(held)).passed, true);
  // left, through "between" (10°) but never back within the centre band, then left again: one turn
  const between = syntheticFace({ yaw: 10 });
  const noReturn = [facing, facing, facing, left, between, left, facing];
  assert.equal(judgeSequence(challenge(['turn-left', 'turn-left']), framesOf(noReturn)).failure, 'missing-action');
});

test('the turn threshold: 15° from the start pose, wherever the start pose is', () => {
  const asked = challenge(['turn-right']);
  const seq = (start: number, turn: number) =>
    framesOf(
      [...Array(3).fill(syntheticFace({ yaw: start })), syntheticFace({ yaw: start + turn })].concat(
        syntheticFace({ yaw: start }),
      ),
    );
  assert.equal(judgeSequence(asked, seq(0, -DEFAULT_THRESHOLDS.turnDegrees - 0.5)).passed, true);
  assert.equal(judgeSequence(asked, seq(0, -DEFAULT_THRESHOLDS.turnDegrees + 0.5)).passed, false);
  // a camera off to one side: the person starts at 12° and turns 16° from there
  assert.equal(judgeSequence(asked, seq(12, -16)).passed, true);
  // starting turned away from the camera is refused
  assert.equal(judgeSequence(asked, seq(30, -20)).failure, 'not-facing-camera');
});

test('closed eyes count when held 250 ms; an ordinary blink (one frame) is not an answer and spoils nothing', () => {
  const [facing, closed] = [syntheticFace(), syntheticFace({ eyes: 0.5 })];
  const asked = challenge(['blink', 'turn-left']);
  const left = syntheticFace({ yaw: 25 });
  const held = framesOf([facing, facing, facing, closed, closed, facing, left, facing]); // 167 ms apart: 167 ms
  assert.match(judgeSequence(asked, held).message, /Step 1 asked for closed eyes and saw a turn to the left/);
  const longer = framesOf([facing, facing, facing, closed, closed, closed, facing, left, facing]); // 333 ms
  assert.equal(judgeSequence(asked, longer).passed, true);
  // a blink of one frame before the turn asked: not counted, the turn still is
  const blinkThenTurn = framesOf([facing, facing, facing, closed, facing, left, facing]);
  assert.equal(judgeSequence(challenge(['turn-left']), blinkThenTurn).passed, true);
  // half-open eyes (0.8 of open) are not closed
  const squint = syntheticFace({ eyes: 0.8 });
  assert.equal(
    judgeSequence(challenge(['blink']), framesOf([facing, facing, facing, squint, squint, squint, facing])).passed,
    false,
  );
});

test('a turn that narrows the face like a flat print turning is not a turn', () => {
  const facing = syntheticFace();
  // yaw read 25°, but the face is half as wide: what the landmark nets make of a print turned ~60°
  const flat = syntheticFace({ yaw: 25, squeeze: 0.5 });
  const j = judgeSequence(challenge(['turn-left']), framesOf([facing, facing, facing, flat, flat, facing]));
  assert.equal(j.passed, false);
  assert.equal(j.failure, 'flat-turn');
  // a real 40° turn narrows by cos 40° and counts
  const real = syntheticFace({ yaw: 40 });
  assert.equal(judgeSequence(challenge(['turn-left']), framesOf([facing, facing, facing, real, facing])).passed, true);
});

test('frames without a face neither start nor end an action; too few faces fail', () => {
  const [facing, left] = [syntheticFace(), syntheticFace({ yaw: 25 })];
  const gaps = framesOf([facing, undefined, facing, facing, left, undefined, left, facing]);
  assert.equal(judgeSequence(challenge(['turn-left']), gaps).passed, true);
  const sparse = framesOf([facing, undefined, undefined, undefined, facing]);
  assert.equal(judgeSequence(challenge(['turn-left']), sparse).failure, 'too-few-face-frames');
});

test('bad input: out of order, several faces, no face, too few frames, too long, after the deadline', () => {
  const asked = challenge(['turn-left']);
  const ok = framesOf(performing(['turn-left']));
  const swapped = ok.map((f, i) => (i === 3 ? { ...f, t: ok[2].t } : f));
  assert.throws(
    () => judgeSequence(asked, swapped),
    (e: unknown) => code('FRAMES_OUT_OF_ORDER')(e) && /frame 4/.test((e as Error).message),
  );
  const back = ok.map((f, i) => (i === 5 ? { ...f, t: 1 } : f));
  assert.throws(() => judgeSequence(asked, back), code('FRAMES_OUT_OF_ORDER'));
  const crowd = ok.map((f, i) => (i === 4 ? { ...f, faces: [syntheticFace(), syntheticFace({ scale: 40 })] } : f));
  assert.throws(
    () => judgeSequence(asked, crowd),
    (e: unknown) => code('MULTIPLE_FACES')(e) && (e as FaceError).details?.frame === 5,
  );
  assert.throws(() => judgeSequence(asked, framesOf(Array(6).fill(undefined))), code('NO_FACE'));
  assert.throws(() => judgeSequence(asked, ok.slice(0, 2)), code('INVALID_INPUT'));
  assert.throws(
    () =>
      judgeSequence(
        asked,
        ok.map((f) => ({ ...f, t: Number.NaN })),
      ),
    code('INVALID_INPUT'),
  );
  const slow = ok.map((f, i) => ({ ...f, t: i * 10_000 }));
  assert.throws(() => judgeSequence(asked, slow), code('CHALLENGE_EXPIRED'));
  assert.doesNotThrow(() => assertOpen(asked, asked.deadline));
  assert.throws(() => assertOpen(asked, asked.deadline + 1), code('CHALLENGE_EXPIRED'));
});
