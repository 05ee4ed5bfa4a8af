/**
 * The active liveness check: POST /liveness/challenge issues a random sequence of actions with a nonce and a deadline;
 * POST /liveness/challenge/{id}/frames judges the camera's frames and, when the sequence was performed, answers a
 * single-use token that POST /verify and the enroll routes accept as `livenessToken`.
 */
import type { FastifyInstance } from 'fastify';
import { PROMPTS } from '../../liveness-challenge/challenge.js';
import { DEFAULT_THRESHOLDS } from '../../liveness-challenge/events.js';
import type { IssuedToken } from '../../liveness-challenge/stores.js';
import type { ChallengeVerdict } from '../../liveness-challenge/types.js';
import type { ServerContext } from '../context.js';
import { answerFrames, frameAnalyzer, sameFaceDistance } from '../liveness.js';
import { errorResponse, r4, secured, type Body } from '../request.js';

const THRESHOLDS = {
  turnDegrees: DEFAULT_THRESHOLDS.turnDegrees,
  centreDegrees: DEFAULT_THRESHOLDS.centreDegrees,
  closedMs: DEFAULT_THRESHOLDS.closedMs,
};

/** The verdict as JSON: frames numbered from 1, the score to four places, the token when one was earned. */
function verdictJson(verdict: ChallengeVerdict, token?: IssuedToken) {
  return {
    passed: verdict.passed,
    asked: verdict.asked,
    seen: verdict.seen.map((s) => ({ action: s.action, firstFrame: s.firstFrame + 1, lastFrame: s.lastFrame + 1 })),
    ...(verdict.failure ? { failure: verdict.failure } : {}),
    message: verdict.message,
    frames: verdict.frames,
    faceFrames: verdict.faceFrames,
    passive: verdict.passive.run ? { ...verdict.passive, score: r4(verdict.passive.score) } : verdict.passive,
    ...(token ? { livenessToken: token.token, tokenExpires: new Date(token.expiresAt).toISOString() } : {}),
  };
}

export function livenessRoutes(ctx: ServerContext) {
  const { maxAnswerBytes } = ctx.challengeLimits;
  return async (v1: FastifyInstance): Promise<void> => {
    v1.post(
      '/liveness/challenge',
      {
        config: { role: 'recognize' },
        schema: {
          tags: ['recognize'],
          summary:
            'a liveness challenge: a random sequence of actions (turn-left, turn-right, blink), a nonce and a deadline',
          security: secured,
        },
      },
      async (_req, reply) => {
        const c = ctx.challenges.issue();
        return reply.code(201).send({
          id: c.id,
          actions: c.actions,
          prompts: c.actions.map((a) => PROMPTS[a]),
          deadline: new Date(c.deadline).toISOString(),
          expiresInMs: c.deadline - c.issuedAt,
          thresholds: THRESHOLDS,
          tokenRequired: ctx.challengeLimits.requireToken,
        });
      },
    );

    v1.post(
      '/liveness/challenge/:id/frames',
      {
        config: { role: 'recognize' },
        // the frames travel as base64: 4/3 of their bytes, plus the JSON around them
        bodyLimit: Math.ceil(maxAnswerBytes * 1.4) + 64 * 1024,
        schema: {
          tags: ['recognize'],
          summary:
            "the challenge's answer: the camera's frames in order, each with its capture time in ms " +
            '({ frames: [{ t, image: base64 JPEG }] }); a passed answer earns a single-use livenessToken',
          consumes: ['application/json'],
          security: secured,
          params: {
            type: 'object',
            required: ['id'],
            properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
          },
          body: { type: 'object', required: ['frames'], properties: { frames: { type: 'array' } } },
          response: { 400: errorResponse },
        },
      },
      async (req) => {
        const { id } = req.params as { id: string };
        const frames = answerFrames(req.body as Body, ctx);
        const tau = await sameFaceDistance(ctx);
        const { verdict, token } = await ctx.challenges.answer(id, frames, frameAnalyzer(ctx, frames), tau);
        return { modelId: ctx.modelId(), ...verdictJson(verdict, token) };
      },
    );
  };
}
