/** Recognition routes: detect, embed, verify (1:1) and identify (1:N open-set). */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { requestFar } from '../far-policy.js';
import { faceJson } from '../../face-json.js';
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
            "(68 landmarks for dlib packs, the detector's five points when it gives them)",
          consumes,
          security: secured,
          body: imageBody({}),
          response: { 400: errorResponse },
        },
      },
      async (req) => {
        const img = imageOf(req.body as Body, limits.maxImageBytes);
        const faces = await ctx.infer(img, () => recognizer.detect(img));
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
          }),
        },
      },
      async (req) => {
        const body = req.body as Body;
        const img = imageOf(body, limits.maxImageBytes);
        const faces = await ctx.infer(img, () =>
          recognizer.embed(img, { aligned: boolOf(body.aligned), flip: ctx.flip }),
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
        await livenessGate(ctx, body, img);
        const r = await ctx.infer(img, () =>
          gallery.verify(String(body.name), img, { far, aligned: boolOf(body.aligned) }),
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
          }),
        },
      },
      async (req) => {
        const body = req.body as Body;
        const img = imageOf(body, limits.maxImageBytes);
        const far = requestFar(req, ctx, body.far, 'identifyFar');
        const r = await ctx.infer(img, () =>
          gallery.identify(img, { far, topK: body.topK as number | undefined, aligned: boolOf(body.aligned) }),
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
