/** Recognition routes: detect, embed, verify (1:1) and identify (1:N open-set). */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { requestFar } from '../far-policy.js';
import { livenessProp, requestLiveness } from '../liveness-policy.js';
import {
  boolOf,
  boxJson,
  consumes,
  errorResponse,
  farProp,
  imageBody,
  imageOf,
  livenessJson,
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
          summary: 'every face in the photo: box, score, 68 landmarks (and its liveness, when asked)',
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
        return {
          modelId: ctx.modelId(),
          faces: faces.map((f) => ({
            box: boxJson(f.box),
            score: r4(f.score),
            ...livenessJson(f.liveness),
            landmarks: f.landmarks?.map((p) => [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10]),
          })),
        };
      },
    );

    v1.post(
      '/embed',
      {
        config: { role: 'recognize' },
        schema: {
          tags: ['recognize'],
          summary: 'embeddings (128-D, L2-normalised) of every face',
          consumes,
          security: secured,
          body: imageBody({
            aligned: { type: 'boolean', description: 'the photo is an aligned 150×150 chip: skip detection' },
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
          faces: faces.map((f) => ({
            box: boxJson(f.box),
            score: r4(f.score),
            ...livenessJson(f.liveness),
            embedding: Array.from(f.embedding, (v) => Math.round(v * 1e6) / 1e6),
          })),
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
        const r = await ctx.infer(img, () =>
          gallery.verify(img, String(body.name), { far, aligned: boolOf(body.aligned), liveness }),
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
          ...livenessJson(r.liveness),
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
            box: boxJson(f.box),
            score: r4(f.score),
            person: f.person,
            distance: r4(f.distance),
            ...livenessJson(f.liveness),
            candidates: f.candidates.map((c) => ({ person: c.person, distance: r4(c.distance) })),
          })),
        };
      },
    );
  };
}
