/**
 * Cluster routes ("unnamed people"): the groups `facenet cluster` found, read from the cluster state file the
 * server was started with (--clusters). List, show, thumbnails; rename, name (= enroll in the gallery), move and
 * delete faces and groups (admin). The state is read from the file on every request, so groups added by a
 * `facenet cluster` run in another process show up at once; every write is one transaction.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { matchGroups, nameGroup, unnameForgottenGroups } from '../../cluster/library.js';
import type { ClusterState, StoredFace } from '../../cluster/state.js';
import { FaceError } from '../../errors.js';
import type { ServerContext } from '../context.js';
import { boxJson, r4, secured, type Body } from '../request.js';

/** Ids are plain decimal integers: no 0x1, 1e0, +1, 01 or 1.0 (which the schema's type coercion would take as 1). */
const DECIMAL_ID = /^[1-9][0-9]{0,14}$/;
const idParam = (name: string) => ({
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'integer', minimum: 1 } },
});

/** Before the schema coerces them: path ids must be decimal, and a body's `group` a JSON integer or null. */
async function plainIds(req: FastifyRequest): Promise<void> {
  for (const [k, v] of Object.entries((req.params ?? {}) as Record<string, string>))
    if (!DECIMAL_ID.test(v))
      throw new FaceError('INVALID_INPUT', `${k} must be a positive decimal integer, got "${v}"`);
  const group = (req.body as { group?: unknown } | undefined)?.group;
  if (group !== undefined && group !== null && !(typeof group === 'number' && Number.isInteger(group)))
    throw new FaceError('INVALID_INPUT', `group must be a positive integer or null, got ${JSON.stringify(group)}`);
}
const faceJson = (f: StoredFace) => ({
  id: f.id,
  file: f.file,
  box: boxJson(f.box),
  score: r4(f.score),
  group: f.groupId,
});

export function clusterRoutes(ctx: ServerContext, state: ClusterState) {
  const groupJson = (id: number) => {
    const g = state.group(id);
    return { ...g, faceList: state.faces(id).map(faceJson) };
  };
  return async (v1: FastifyInstance): Promise<void> => {
    v1.addHook('preValidation', plainIds);
    v1.get(
      '/clusters',
      {
        config: { role: 'recognize' },
        schema: {
          tags: ['clusters'],
          summary:
            'groups of faces found by `facenet cluster`, largest first; ' +
            '?unnamed=true for the unnamed ones, ?match=true to compare them with the gallery',
          security: secured,
          querystring: {
            type: 'object',
            properties: {
              unnamed: { type: 'boolean' },
              match: { type: 'boolean' },
              sample: { type: 'integer', minimum: 0, maximum: 100 },
            },
          },
        },
      },
      async (req) => {
        const q = req.query as { unnamed?: boolean; match?: boolean; sample?: number };
        await unnameForgottenGroups(state, ctx.gallery);
        const matches = q.match ? await matchGroups(state, ctx.gallery) : undefined;
        const groups = state.groups().filter((g) => !q.unnamed || (g.name === null && g.person === null));
        return {
          modelId: state.modelId() ?? null,
          settings: state.settings(),
          unclustered: state.faces(null).length,
          groups: groups.map((g) => ({
            ...g,
            sampleFaces: state
              .faces(g.id)
              .slice(0, q.sample ?? 8)
              .map((f) => f.id),
            ...(matches ? { match: matches.get(g.id) ?? null } : {}),
          })),
        };
      },
    );

    v1.get(
      '/clusters/:id',
      {
        config: { role: 'recognize' },
        schema: { tags: ['clusters'], summary: 'one group and its faces', security: secured, params: idParam('id') },
      },
      async (req) => {
        await unnameForgottenGroups(state, ctx.gallery);
        return groupJson((req.params as { id: number }).id);
      },
    );

    v1.get(
      '/clusters/faces/:face/thumbnail',
      {
        config: { role: 'recognize' },
        schema: {
          tags: ['clusters'],
          summary: 'the aligned face, 64×64 JPEG',
          security: secured,
          params: idParam('face'),
        },
      },
      async (req, reply) => {
        const { face } = req.params as { face: number };
        state.face(face); // NOT_FOUND for an unknown face
        const jpeg = state.thumbnail(face);
        if (!jpeg) throw new FaceError('NOT_FOUND', `face ${face} has no thumbnail`);
        return reply.type('image/jpeg').header('cache-control', 'private, max-age=3600').send(Buffer.from(jpeg));
      },
    );

    v1.patch(
      '/clusters/:id',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['clusters'],
          summary: 'rename a group (a label; null clears it) (admin)',
          security: secured,
          params: idParam('id'),
          body: { type: 'object', required: ['name'], properties: { name: { type: ['string', 'null'] } } },
        },
      },
      async (req) => state.rename((req.params as { id: number }).id, (req.body as { name: string | null }).name),
    );

    v1.post(
      '/clusters/:id/enroll',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['clusters'],
          summary: 'name a group: enroll its faces in the gallery as this person (created, or photos added) (admin)',
          security: secured,
          params: idParam('id'),
          body: { type: 'object', required: ['person'], properties: { person: { type: 'string', minLength: 1 } } },
        },
      },
      async (req, reply) => {
        const r = await nameGroup(
          state,
          ctx.gallery,
          (req.params as { id: number }).id,
          String((req.body as Body).person),
        );
        return reply.code(r.created ? 201 : 200).send({ modelId: ctx.modelId(), ...r });
      },
    );

    v1.delete(
      '/clusters/:id',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['clusters'],
          summary: 'delete a group and its faces (admin)',
          security: secured,
          params: idParam('id'),
        },
      },
      async (req) => state.deleteGroup((req.params as { id: number }).id),
    );

    v1.patch(
      '/clusters/faces/:face',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['clusters'],
          summary: 'move a face to another group, or out of every group (null) (admin)',
          security: secured,
          params: idParam('face'),
          body: {
            type: 'object',
            required: ['group'],
            properties: { group: { type: ['integer', 'null'], minimum: 1 } },
          },
        },
      },
      async (req) =>
        faceJson(state.moveFace((req.params as { face: number }).face, (req.body as { group: number | null }).group)),
    );

    v1.delete(
      '/clusters/faces/:face',
      {
        config: { role: 'admin' },
        schema: { tags: ['clusters'], summary: 'delete one face (admin)', security: secured, params: idParam('face') },
      },
      async (req) => faceJson(state.deleteFace((req.params as { face: number }).face)),
    );
  };
}
