/** The liveness challenge's error codes: each has its HTTP status (none falls to 500) and the CLI's exit code 2. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaceError, type FaceErrorCode } from '../../src/errors.js';
import { httpStatus } from '../../src/server/errors.js';
import { EXIT, reportError } from '../../src/cli/output.js';

const EXPECTED: Partial<Record<FaceErrorCode, number>> = {
  CHALLENGE_NOT_FOUND: 404,
  CHALLENGE_EXPIRED: 410,
  FRAMES_OUT_OF_ORDER: 400,
  LIVENESS_TOKEN_REQUIRED: 403,
  LIVENESS_TOKEN_INVALID: 403,
  LIVENESS_TOKEN_EXPIRED: 403,
  LIVENESS_TOKEN_USED: 403,
  LIVENESS_FACE_MISMATCH: 403,
};

test('liveness challenge codes: HTTP statuses and CLI exit codes', (t) => {
  // reportError writes the error; keep the test's output clean
  t.mock.method(process.stderr, 'write', () => true);
  for (const [code, status] of Object.entries(EXPECTED) as [FaceErrorCode, number][]) {
    assert.equal(httpStatus(code), status, code);
    assert.equal(reportError(new FaceError(code, 'x'), false), EXIT.error, code);
  }
});
