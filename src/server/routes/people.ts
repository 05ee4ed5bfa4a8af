/**
 * People routes: list, enroll, one person's detail, add a photo, a template's thumbnail, forget.
 * A person is addressed by their name as one percent-encoded path segment (encodeURIComponent): every name the
 * library's rule allows (src/gallery/names.ts) round-trips, `.` and `..` are not names, and the router carries
 * the longest one. Enrollment decides create-or-add inside the store's transaction, so concurrent POSTs of one
 * name make one person.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FaceError } from '../../errors.js';
import { MAX_NAME_LENGTH, personName } from '../../gallery/names.js';
import { livenessField } from '../../face-json.js';
import type { ServerContext } from '../context.js';
import { livenessProp, requestLiveness } from '../liveness-policy.js';
import { livenessGate } from '../liveness.js';
import {
  boolOf,
  boxJson,
  consumes,
  faceBoxOf,
  imageBody,
  imageOf,
  livenessTokenProp,
  metadataOf,
  nameParam,
  r4,
  secured,
  type Body,
} from '../request.js';

/** One face of a group photo, as /v1/detect boxed it (pixels); the detected face overlapping it best is enrolled. */
const FACE_BOX = {
  description:
    'the face to enroll from a photo with several: ' +
    '{x, y, width, height} in pixels as /v1/detect returns it (or its JSON text in multipart)',
};

const ENROLL_LIVENESS = livenessProp(
  'the enrolled face (require: nothing is enrolled when it looks like a photo or a screen; ' +
    'default off: an ID photo is a photo)',
);

export function peopleRoutes(ctx: ServerContext) {
  const { gallery, limits } = ctx;

  const personDetail = async (name: string) => {
    const person = await gallery.store.findPerson(name);
    if (!person) throw new FaceError('PERSON_NOT_FOUND', `nobody called "${name}" is enrolled`, { name });
    // the stored templates' model: another TTA variant than the server's when a cross-variant table lets it query them
    const templates = (await gallery.store.personTemplates(person.id, gallery.templateModelId ?? ctx.modelId())).map(
      (t) => ({ id: t.id, detectionScore: r4(t.detectionScore), faceSize: Math.round(t.faceSize), created: t.created }),
    );
    return {
      modelId: ctx.modelId(),
      person: { name: person.name, created: person.created, metadata: person.metadata },
      templates,
    };
  };
  const enrollBody = imageBody(
    {
      name: {
        type: 'string',
        minLength: 1,
        description: `1–${MAX_NAME_LENGTH} characters, no control, zero-width or bidi characters, not . or ..`,
      },
      metadata: { description: 'JSON object (or its JSON text in multipart)' },
      largest: { type: 'boolean', description: 'take the largest face of a photo with several' },
      face: FACE_BOX,
      aligned: { type: 'boolean' },
      liveness: ENROLL_LIVENESS,
      livenessToken: livenessTokenProp,
    },
    ['name'],
  );
  const enroll = async (req: FastifyRequest, name: string, body: Body, mode: 'create' | 'add') => {
    const img = imageOf(body, limits.maxImageBytes);
    const metadata = metadataOf(body.metadata);
    const face = faceBoxOf(body.face);
    const liveness = requestLiveness(req, ctx, body.liveness, 'enroll');
    await livenessGate(ctx, body, img, face);
    const r = await ctx.infer(img, () =>
      gallery.enroll(name, img, {
        mode,
        largest: boolOf(body.largest),
        face,
        aligned: boolOf(body.aligned),
        metadata,
        liveness,
      }),
    );
    return {
      modelId: ctx.modelId(),
      person: { name: r.person.name, created: r.person.created, metadata: r.person.metadata },
      created: r.created,
      templates: r.templates,
      added: r.added.map((a) => ({
        templateId: a.templateId,
        box: boxJson(a.box),
        detectionScore: r4(a.detectionScore),
        faceSize: Math.round(a.faceSize),
        facesInImage: a.facesInImage,
        ...livenessField(a.liveness),
      })),
      warnings: r.warnings,
    };
  };

  return async (v1: FastifyInstance): Promise<void> => {
    v1.get(
      '/people',
      { config: { role: 'recognize' }, schema: { tags: ['people'], summary: 'everyone enrolled', security: secured } },
      async () => ({
        modelId: ctx.modelId(),
        people: (await gallery.people()).map((p) => ({
          name: p.name,
          templates: p.templates,
          created: p.created,
          metadata: p.metadata,
        })),
      }),
    );

    v1.post(
      '/people',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['people'],
          summary: 'enroll a new person from one photo (admin)',
          consumes,
          security: secured,
          body: enrollBody,
        },
      },
      async (req, reply) => {
        const body = req.body as Body;
        // the rule first (cheap), then the conflict (cheap), then the photo; the store decides again atomically
        const name = personName(String(body.name));
        const existing = await gallery.store.findPerson(name);
        if (existing)
          throw new FaceError(
            'PERSON_EXISTS',
            `${existing.name} is already enrolled: add photos with POST /v1/people/{name}/faces`,
            { name: existing.name },
          );
        try {
          return reply.code(201).send(await enroll(req, name, body, 'create'));
        } catch (e) {
          if (e instanceof FaceError && e.code === 'PERSON_EXISTS')
            throw new FaceError(
              'PERSON_EXISTS',
              `${name} is already enrolled: add photos with POST /v1/people/{name}/faces`,
              { name },
            );
          throw e;
        }
      },
    );

    v1.get(
      '/people/:name',
      {
        config: { role: 'recognize' },
        schema: { tags: ['people'], summary: 'one person and their templates', security: secured, params: nameParam },
      },
      async (req) => personDetail((req.params as { name: string }).name),
    );

    v1.post(
      '/people/:name/faces',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['people'],
          summary: 'add a photo to an enrolled person (admin)',
          consumes,
          security: secured,
          params: nameParam,
          body: imageBody({
            largest: { type: 'boolean' },
            face: FACE_BOX,
            aligned: { type: 'boolean' },
            liveness: ENROLL_LIVENESS,
            livenessToken: livenessTokenProp,
          }),
        },
      },
      async (req, reply) => {
        const { name } = req.params as { name: string };
        if (!(await gallery.store.findPerson(name)))
          throw new FaceError('PERSON_NOT_FOUND', `nobody called "${name}" is enrolled`, { name });
        return reply.code(201).send(await enroll(req, name, req.body as Body, 'add'));
      },
    );

    v1.get(
      '/people/:name/faces/:id/thumbnail',
      {
        config: { role: 'recognize' },
        schema: {
          tags: ['people'],
          summary: 'the aligned face of one template, 64×64 JPEG',
          security: secured,
          params: {
            type: 'object',
            required: ['name', 'id'],
            properties: { name: { type: 'string' }, id: { type: 'integer', minimum: 1 } },
          },
        },
      },
      async (req, reply) => {
        const { name, id } = req.params as { name: string; id: number };
        const detail = await personDetail(name);
        const jpeg = detail.templates.some((t) => t.id === id) ? await gallery.store.thumbnail(id) : undefined;
        if (!jpeg) throw new FaceError('NOT_FOUND', `no thumbnail ${id} for ${name}`);
        return reply.type('image/jpeg').header('cache-control', 'private, max-age=3600').send(Buffer.from(jpeg));
      },
    );

    v1.delete(
      '/people/:name',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['people'],
          summary: 'forget a person: every template and thumbnail (admin)',
          security: secured,
          params: nameParam,
        },
      },
      async (req) => {
        const r = await gallery.forget((req.params as { name: string }).name);
        const warnings: string[] = [];
        if (r.scrubbed === false)
          warnings.push('deleted; scrubbing its freed pages is pending (retried at the next write)');
        let groupsUnnamed: number[] = [];
        try {
          // the groups named after the person are unnamed (the gallery delete stands whatever happens here)
          groupsUnnamed = ctx.clusters?.forgetPerson(r.person.name) ?? [];
        } catch (e) {
          warnings.push(
            `deleted; unnaming their cluster groups failed (${(e as Error).message}); retried when groups are read`,
          );
        }
        return {
          person: { name: r.person.name },
          templatesRemoved: r.templatesRemoved,
          ...(ctx.clusters ? { groupsUnnamed } : {}),
          ...(warnings.length ? { warning: warnings.join('; ') } : {}),
        };
      },
    );
  };
}
