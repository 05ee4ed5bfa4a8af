import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enforceLiveness, judgeOnly, parseLivenessPolicy, strictness } from '../../src/liveness/policy.js';
import { FaceError } from '../../src/errors.js';

const box = { x: 0, y: 0, width: 10, height: 10 };
const live = { box, liveness: { live: true, score: 0.9, threshold: 0.5 } };
const spoof = { box, liveness: { live: false, score: 0.1, threshold: 0.5 } };
const code = (c: string) => (e: unknown) => e instanceof FaceError && e.code === c;

test('policies parse from flags and request fields; anything else is INVALID_INPUT', () => {
  assert.equal(parseLivenessPolicy('require'), 'require');
  assert.equal(parseLivenessPolicy(undefined), undefined);
  assert.equal(parseLivenessPolicy(''), undefined);
  for (const bad of ['REQUIRE', 'on', 1, true, {}])
    assert.throws(() => parseLivenessPolicy(bad), code('INVALID_INPUT'));
  assert.ok(strictness('off') < strictness('warn') && strictness('warn') < strictness('require'));
});

test('require refuses when any judged face is not live, listing each refused face; warn and off never refuse', () => {
  assert.throws(
    () => enforceLiveness('require', [live, spoof], 'door.jpg'),
    (e: unknown) =>
      e instanceof FaceError &&
      e.code === 'SPOOF_SUSPECTED' &&
      (e.details?.faces as unknown[]).length === 1 &&
      e.details?.source === 'door.jpg',
  );
  enforceLiveness('require', [live], 'door.jpg');
  enforceLiveness('require', [], 'no-face.jpg'); // no face: the caller's NO_FACE decides
  enforceLiveness('warn', [spoof], 'door.jpg');
  enforceLiveness('off', [spoof], 'door.jpg');
  enforceLiveness(undefined, [spoof], 'door.jpg');
});

test('require refuses a face the check could not judge (an aligned chip) rather than letting it through', () => {
  assert.throws(() => enforceLiveness('require', [{ box }], 'chip.jpg'), code('INVALID_INPUT'));
  enforceLiveness('warn', [{ box }], 'chip.jpg');
});

test('callers that pick a face themselves ask the pipeline to judge only (warn) whenever the check runs', () => {
  assert.deepEqual(judgeOnly('require'), { liveness: 'warn' });
  assert.deepEqual(judgeOnly('warn'), { liveness: 'warn' });
  assert.deepEqual(judgeOnly('off'), {});
  assert.deepEqual(judgeOnly(undefined), {});
});
