/** Recognition routes: detect, embed, verify (1:1) and identify (1:N open-set). */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { requestFar } from '../far-policy.js';
import { faceJson, livenessField } from '../../face-json.js';
import { livenessProp, requestLiveness } from '../liveness-policy.js';
import { livenessGate } from '../liveness.js';
import {
  boolOf,
  boxJson,
  consumes,
  errorResponse,
  farProp,
  imageBody,
  imageOf,
  livenessTokenProp,
  r4,
  secured,
  type Body,
} from '../request.js';

export function recognitionRoutes(ctx: ServerContext) {
  const { gallery, recognizer, limits } = ctx;
  return async (v1: FastifyInstance): Promise<void> => {
    v1.post(
      '/detect',
      {
        config: { role: 'recognize' },
        schema: {
          tags: ['recognize'],
          summary:
            "every face in the photo: box, score, and the pack's points " +
            "(68 landmarks for dlib packs, the detector's five points when it gives them), and its liveness when asked",
          consumes,
          security: secured,
          body: imageBody({ liveness: livenessProp('every face') }),
          response: { 400: errorResponse },
        },
      },
      async (req) => {
        const body = req.body as Body;
        const img = imageOf(body, limits.maxImageBytes);
        const liveness = requestLiveness(req, ctx, body.liveness, 'detect');
        const faces = await ctx.infer(img, () => recognizer.detect(img, { liveness }));
        return { modelId: ctx.modelId(), faces: faces.map((f) => faceJson(f)) };
      },
    );

    v1.post(
      '/embed',
      {
        config: { role: 'recognize' },
        schema: {
          tags: ['recognize'],
          summary: "L2-normalised embeddings of every face (the pack's dimension: 128 for dlib, 512 for EdgeFace)",
          consumes,
          security: secured,
          body: imageBody({
            aligned: {
              type: 'boolean',
              description: "the photo is an aligned chip (the pack's: 150×150 dlib, 112×112 ArcFace): skip detection",
            },
            liveness: livenessProp('every face'),
          }),
        },
      },
      async (req) => {
        const body = req.body as Body;
        const img = imageOf(body, limits.maxImageBytes);
        const liveness = requestLiveness(req, ctx, body.liveness, 'detect');
        const faces = await ctx.infer(img, () =>
          recognizer.embed(img, { aligned: boolOf(body.aligned), flip: ctx.flip, liveness }),
        );
        return {
          modelId: ctx.modelId(),
          faces: faces.map((f) => faceJson(f, { landmarks: false, embedding: true })),
        };
      },
    );

    v1.post(
      '/verify',
      {
        config: { role: 'recognize' },
        schema: {
          tags: ['recognize'],
          summary: '1:1: is the (largest) face in the photo the enrolled person `name`?',
          consumes,
          security: secured,
          body: imageBody(
            {
              name: { type: 'string', minLength: 1 },
              far: farProp('target false-accept rate (default: the server setting; larger needs an admin key)'),
              aligned: { type: 'boolean' },
              liveness: livenessProp('the verified face'),
              livenessToken: livenessTokenProp,
            },
            ['name'],
          ),
        },
      },
      async (req) => {
        const body = req.body as Body;
        const img = imageOf(body, limits.maxImageBytes);
        const far = requestFar(req, ctx, body.far, 'verifyFar');
        const liveness = requestLiveness(req, ctx, body.liveness, 'verify');
        await livenessGate(ctx, body, img);
        const r = await ctx.infer(img, () =>
          gallery.verify(String(body.name), img, { far, aligned: boolOf(body.aligned), liveness }),
        );
        return {
          modelId: ctx.modelId(),
          person: r.person,
          match: r.match,
          distance: r4(r.distance),
          threshold: r4(r.threshold),
          targetFar: r.targetFar,
          far: r.far,
          farAtDistance: r.farAtDistance,
          resolvable: r.resolvable,
          comparisons: r.comparisons,
          box: boxJson(r.box),
          score: r4(r.score),
          facesInImage: r.facesInImage,
          calibration: r.calibration,
          ...livenessField(r.liveness),
        };
      },
    );

    v1.post(
      '/identify',
      {
        config: { role: 'recognize' },
        schema: {
          tags: ['recognize'],
          summary: '1:N open-set: every face in the photo → a person or "unknown"',
          consumes,
          security: secured,
          body: imageBody({
            far: farProp('target open-set false-alarm rate (default: the server setting; larger needs an admin key)'),
            topK: { type: 'integer', minimum: 1, maximum: 50 },
            aligned: { type: 'boolean' },
            liveness: livenessProp('every face (require: a photo with a face judged not live is refused)'),
          }),
        },
      },
      async (req) => {
        const body = req.body as Body;
        const img = imageOf(body, limits.maxImageBytes);
        const far = requestFar(req, ctx, body.far, 'identifyFar');
        const liveness = requestLiveness(req, ctx, body.liveness, 'identify');
        const r = await ctx.infer(img, () =>
          gallery.identify(img, {
            far,
            topK: body.topK as number | undefined,
            aligned: boolOf(body.aligned),
            liveness,
          }),
        );
        return {
          modelId: ctx.modelId(),
          threshold: r4(r.threshold),
          openSetFar: r.openSetFar,
          perComparisonFar: r.perComparisonFar,
          far: r.far,
          people: r.people,
          comparisons: r.comparisons,
          resolvable: r.resolvable,
          ...(r.warning ? { warning: r.warning } : {}),
          calibration: r.calibration,
          faces: r.faces.map((f) => ({
            ...faceJson(f),
            person: f.person,
            distance: r4(f.distance),
            candidates: f.candidates.map((c) => ({ person: c.person, distance: r4(c.distance) })),
          })),
        };
      },
    );
  };
}
