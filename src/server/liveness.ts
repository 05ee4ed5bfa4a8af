/**
 * The active liveness check's glue to the server: the pipeline as the challenge's FrameAnalyzer (on the inference
 * queue), the frames of an answer read from a request, the same-person threshold, and the gate that verify and
 * enroll pass through: a `livenessToken` is spent there, and the photo's face must be the face that earned it.
 */
import { FaceError } from '../errors.js';
import { distance } from '../embed/vector.js';
import { tauForFar } from '../decide/calibration.js';
import { boxArea, iou } from '../detect/box.js';
import type { Box } from '../detect/types.js';
import type { AnswerFrame, FrameAnalyzer } from '../liveness-challenge/service.js';
import type { PassiveScorer } from '../liveness-challenge/types.js';
import type { ServerContext, ServerRecognizer } from './context.js';
import { boolOf, imageOf, type Body } from './request.js';

/**
 * The passive check (src/liveness) as the challenge's PassiveScorer: the recognizer's own detection with liveness
 * judged (in its workers when it has them), the score of the face that overlaps the answering face most.
 */
export function passiveScorer(recognizer: Pick<ServerRecognizer, 'detect'>, threshold: number): PassiveScorer {
  return {
    threshold,
    async score(frame: Buffer, box: Box): Promise<number> {
      const faces = await recognizer.detect(frame, { liveness: 'warn' });
      const best = [...faces].sort((a, b) => iou(b.box, box) - iou(a.box, box))[0];
      return best && iou(best.box, box) > 0 ? (best.liveness?.score ?? 0) : 0;
    },
  };
}

/** A typed error about one frame, numbered from 1, with the frame in its details. */
function aboutFrame(e: unknown, frame: number): unknown {
  if (!(e instanceof FaceError) || e.code === 'INTERNAL') return e;
  return new FaceError(e.code, `frame ${frame}: ${e.message}`, { ...e.details, frame }, { cause: e });
}

/** The pipeline, run on the server's inference queue, as the challenge's analyzer; errors name their frame. */
export function frameAnalyzer(ctx: ServerContext, frames: readonly AnswerFrame[]): FrameAnalyzer {
  const index = new Map(frames.map((f, i) => [f.image, i + 1]));
  const numbered = async <T>(img: Buffer, job: () => Promise<T>): Promise<T> => {
    try {
      return await ctx.infer(img, job);
    } catch (e) {
      throw aboutFrame(e, index.get(img) ?? 0);
    }
  };
  return {
    detect: (img) => numbered(img, () => ctx.recognizer.detect(img)),
    embed: async (img) => {
      const faces = await numbered(img, () => ctx.recognizer.embed(img, { flip: ctx.flip }));
      return [...faces].sort((a, b) => boxArea(b.box) - boxArea(a.box))[0]?.embedding;
    },
  };
}

/** The largest distance at which two faces are the same person: the gallery's verify threshold at the server's FAR. */
export async function sameFaceDistance(ctx: ServerContext): Promise<number> {
  return tauForFar((await ctx.gallery.calibration()).table, ctx.settings().verifyFar).threshold;
}

/** The frames of an answer: `{ frames: [{ t, image }] }`, each image base64 (or a data: URL), within the limits. */
export function answerFrames(body: Body | undefined, ctx: ServerContext): AnswerFrame[] {
  const { maxFrames, maxFrameBytes, maxAnswerBytes } = ctx.challengeLimits;
  const list = body?.frames;
  if (!Array.isArray(list))
    throw new FaceError('INVALID_INPUT', 'send the frames as JSON: { "frames": [{ "t": ms, "image": base64 }, …] }');
  if (list.length > maxFrames)
    throw new FaceError('INVALID_INPUT', `send at most ${maxFrames} frames, got ${list.length}`, { maxFrames });
  let total = 0;
  return list.map((f: unknown, i) => {
    const item = (f && typeof f === 'object' ? f : {}) as Body;
    let image: Buffer;
    try {
      image = imageOf(item, maxFrameBytes);
    } catch (e) {
      throw aboutFrame(e, i + 1);
    }
    total += image.length;
    if (total > maxAnswerBytes)
      throw new FaceError('BODY_TOO_LARGE', `the frames add up to more than ${maxAnswerBytes} bytes`, {
        maxAnswerBytes,
      });
    return { t: typeof item.t === 'number' ? item.t : Number.NaN, image };
  });
}

/**
 * Verify and enroll pass here first. Without a token: refused when the server requires one, else nothing happens.
 * With one: the token is spent (LIVENESS_TOKEN_INVALID / _EXPIRED / _USED), then the photo's face (the one chosen
 * by `face`, else the largest) must be within the same-person threshold of the face that answered the challenge
 * (LIVENESS_FACE_MISMATCH): a token earned by one face does not admit a photo of another.
 */
export async function livenessGate(ctx: ServerContext, body: Body, img: Buffer, face?: Box): Promise<void> {
  const token = body.livenessToken;
  if (token === undefined || token === '') {
    if (ctx.challengeLimits.requireToken)
      throw new FaceError(
        'LIVENESS_TOKEN_REQUIRED',
        'this server requires a liveness check first: answer a challenge (POST /v1/liveness/challenge) and send ' +
          'its token as livenessToken',
      );
    return;
  }
  if (typeof token !== 'string') throw new FaceError('INVALID_INPUT', 'livenessToken must be a string');
  const binding = ctx.challenges.redeem(token);
  const aligned = boolOf(body.aligned);
  const faces = await ctx.infer(img, () => ctx.recognizer.embed(img, { aligned, flip: ctx.flip }));
  if (!faces.length) throw new FaceError('NO_FACE', 'no face found in the photo');
  const chosen = face
    ? [...faces].sort((a, b) => iou(b.box, face) - iou(a.box, face))[0]
    : [...faces].sort((a, b) => boxArea(b.box) - boxArea(a.box))[0];
  const d = distance(binding.embedding, chosen.embedding);
  const tau = await sameFaceDistance(ctx);
  if (d > tau)
    throw new FaceError(
      'LIVENESS_FACE_MISMATCH',
      "the photo's face is not the face that answered the liveness challenge: nothing was done",
      { distance: Math.round(d * 1e4) / 1e4, threshold: Math.round(tau * 1e4) / 1e4 },
    );
}
