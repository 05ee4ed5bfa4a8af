/**
 * Challenges, answers and tokens without a model: a fake analyzer maps each "frame" (a Buffer naming a SYNTHETIC
 * face, test/helpers/synthetic-face.ts) to its face, and a fake clock moves time. Covers the challenge's shape and
 * randomness, single use of challenges and tokens, expiry, the face that answered, and the passive part.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createChallenge, defaultLength, sequenceCount } from '../../src/liveness-challenge/challenge.js';
import { LivenessChallenges, type FrameAnalyzer } from '../../src/liveness-challenge/service.js';
import { ChallengeStore, TokenStore } from '../../src/liveness-challenge/stores.js';
import { CHALLENGE_ACTIONS, type ChallengeAction, type ObservedFace } from '../../src/liveness-challenge/types.js';
import { FaceError } from '../../src/errors.js';
import { performing } from '../helpers/synthetic-face.js';

const code = (c: string) => (e: unknown) => e instanceof FaceError && e.code === c;

/** Frames whose bytes index a face list; the analyzer reads them back. Embeddings: `who` per frame. */
function fakeCamera(faces: readonly ObservedFace[], who: (i: number) => number[] = () => [1, 0]) {
  const frames = faces.map((_, i) => ({ t: Math.round((i * 1000) / 6), image: Buffer.from(String(i)) }));
  const analyzer: FrameAnalyzer = {
    detect: async (img) => [faces[Number(img.toString())]],
    embed: async (img) => Float32Array.from(who(Number(img.toString()))),
  };
  return { frames, analyzer };
}

function service(opts: { passive?: { threshold: number; score: number }; now?: { t: number } } = {}) {
  const clock = opts.now ?? { t: 1_000_000 };
  const fixed: ChallengeAction[] = ['turn-left', 'blink', 'turn-right', 'turn-left'];
  const s = new LivenessChallenges({
    now: () => clock.t,
    challenge: { choose: () => fixed },
    ...(opts.passive ? { passive: { threshold: opts.passive.threshold, score: async () => opts.passive!.score } } : {}),
  });
  return { s, clock, fixed };
}

test('a challenge: 4 actions of 3 (81 sequences), 6 of 2 turns (64), a 128-bit nonce, a deadline', () => {
  assert.equal(defaultLength(3), 4);
  assert.equal(defaultLength(2), 6);
  assert.equal(sequenceCount(3, 4), 81);
  const c = createChallenge({}, 1000);
  assert.equal(c.actions.length, 4);
  assert.match(c.id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(c.deadline, 1000 + 30_000);
  assert.equal(createChallenge({ actions: ['turn-left', 'turn-right'] }).actions.length, 6);
  // drawn at random: over 300 challenges each action shows up at each position, and the nonces differ
  const many = Array.from({ length: 300 }, () => createChallenge());
  for (let k = 0; k < 4; k++)
    assert.deepEqual(new Set(many.map((m) => m.actions[k])), new Set(CHALLENGE_ACTIONS), `position ${k}`);
  assert.equal(new Set(many.map((m) => m.id)).size, 300);
  assert.throws(() => createChallenge({ length: 0 }), code('INVALID_INPUT'));
  assert.throws(() => createChallenge({ actions: ['blink'] }), code('INVALID_INPUT'));
  assert.throws(() => createChallenge({ ttlMs: 10 }), code('INVALID_INPUT'));
});

test('a passed answer earns one token bound to the answering face; it is spent once', async () => {
  const { s, fixed } = service();
  const c = s.issue();
  assert.deepEqual(c.actions, fixed);
  const { frames, analyzer } = fakeCamera(performing(fixed));
  const { verdict, token } = await s.answer(c.id, frames, analyzer, 0.5);
  assert.equal(verdict.passed, true, verdict.message);
  assert.deepEqual(verdict.passive, { run: false, reason: 'no passive check is configured on this server' });
  assert.ok(token?.token.startsWith('flt_'));
  assert.deepEqual([...s.redeem(token!.token).embedding], [1, 0]);
  assert.throws(() => s.redeem(token!.token), code('LIVENESS_TOKEN_USED'));
  assert.throws(() => s.redeem('flt_forged'), code('LIVENESS_TOKEN_INVALID'));
  // the challenge was spent by its answer
  await assert.rejects(s.answer(c.id, frames, analyzer, 0.5), code('CHALLENGE_NOT_FOUND'));
});

test('a failed answer earns no token and spends the challenge', async () => {
  const { s } = service();
  const c = s.issue();
  const { frames, analyzer } = fakeCamera(performing(['turn-right', 'blink']));
  const { verdict, token } = await s.answer(c.id, frames, analyzer, 0.5);
  assert.equal(verdict.passed, false);
  assert.equal(verdict.failure, 'wrong-action');
  assert.equal(token, undefined);
  await assert.rejects(s.answer(c.id, frames, analyzer, 0.5), code('CHALLENGE_NOT_FOUND'));
});

test('expiry: an answer after the deadline, a token after its time', async () => {
  const { s, clock, fixed } = service();
  const late = s.issue();
  clock.t += 30_001;
  const cam = fakeCamera(performing(fixed));
  await assert.rejects(s.answer(late.id, cam.frames, cam.analyzer, 0.5), code('CHALLENGE_EXPIRED'));
  const c = s.issue();
  const { token } = await s.answer(c.id, cam.frames, cam.analyzer, 0.5);
  clock.t += 120_001;
  assert.throws(() => s.redeem(token!.token), code('LIVENESS_TOKEN_EXPIRED'));
});

test('out-of-order frames are refused before any frame is analysed', async () => {
  const { s, fixed } = service();
  const c = s.issue();
  const cam = fakeCamera(performing(fixed));
  let analysed = 0;
  const counting: FrameAnalyzer = { ...cam.analyzer, detect: (img) => (analysed++, cam.analyzer.detect(img)) };
  const frames = [...cam.frames];
  [frames[3], frames[4]] = [frames[4], frames[3]];
  await assert.rejects(s.answer(c.id, frames, counting, 0.5), code('FRAMES_OUT_OF_ORDER'));
  assert.equal(analysed, 0);
});

test('a face that changes during the challenge fails it', async () => {
  const { s, fixed } = service();
  const c = s.issue();
  // frames after the 10th show someone else
  const cam = fakeCamera(performing(fixed), (i) => (i < 10 ? [1, 0] : [0, 1]));
  const { verdict, token } = await s.answer(c.id, cam.frames, cam.analyzer, 0.5);
  assert.equal(verdict.failure, 'face-changed');
  assert.equal(token, undefined);
});

test('the passive part: run when plugged in, and a low score fails the challenge', async () => {
  for (const [score, passed] of [
    [0.9, true],
    [0.2, false],
  ] as const) {
    const { s, fixed } = service({ passive: { threshold: 0.5, score } });
    const c = s.issue();
    const cam = fakeCamera(performing(fixed));
    const { verdict, token } = await s.answer(c.id, cam.frames, cam.analyzer, 0.5);
    assert.equal(verdict.passed, passed);
    assert.equal(!!token, passed);
    assert.ok(verdict.passive.run && verdict.passive.score === score && verdict.passive.frames === 5);
    if (!passed) assert.equal(verdict.failure, 'passive-check');
  }
});

test('the stores are bounded: a flood of challenges or tokens is refused, not kept', () => {
  const store = new ChallengeStore(2);
  store.add(createChallenge({}, 0), 0);
  store.add(createChallenge({}, 0), 0);
  assert.throws(() => store.add(createChallenge({}, 0), 0), code('QUEUE_FULL'));
  // expired challenges make room
  assert.doesNotThrow(() => store.add(createChallenge({}, 40_000), 40_000));
  const tokens = new TokenStore(1000, 1);
  tokens.issue({ challengeId: 'a', embedding: new Float32Array(2) }, 0);
  assert.throws(() => tokens.issue({ challengeId: 'b', embedding: new Float32Array(2) }, 0), code('QUEUE_FULL'));
  assert.throws(() => tokens.consume('x'.repeat(10_000), 0), code('LIVENESS_TOKEN_INVALID'));
});
