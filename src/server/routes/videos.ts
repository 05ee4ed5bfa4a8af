/**
 * Video jobs over HTTP: POST /v1/videos (a multipart upload in the field `video`, or JSON `{ "url": … }`) starts a
 * job; GET /v1/videos lists them; GET /v1/videos/{id} gives its progress and, once done, the timeline (the tracks of
 * `facenet watch --json`); GET /v1/videos/{id}/tracks/{track}/thumbnail the best view of a track; DELETE cancels the
 * job and removes everything it stored. Recognize keys may watch; a job is deleted by the key that started it or an
 * admin. Strangers are grouped in the served cluster state (if any): naming them is /v1/clusters/{id}/enroll (admin).
 */
import { rmSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FaceError } from '../../errors.js';
import { maskPassword } from '../../gallery/store/location.js';
import { probeVideo } from '../../engine/ffmpeg.js';
import type { ServerContext } from '../context.js';
import { isAdmin } from '../auth.js';
import { farProp, secured, type Body } from '../request.js';
import type { VideoJob } from '../videos/store.js';
import type { VideoService } from '../videos/service.js';
import { checkVideoUrl } from '../videos/url-guard.js';
import { inClientWords } from '../videos/upload.js';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } };

/** A job as the API shows it: never the stored path of an upload, nor a URL's password. */
function jobJson(j: VideoJob, full: boolean) {
  return {
    id: j.id,
    status: j.status,
    created: j.created,
    updated: j.updated,
    source: { kind: j.source.kind, name: j.source.name },
    options: j.options,
    progress: {
      ...j.progress,
      // done is 1 (the last frame's time is a frame short of the duration)
      fraction:
        j.status === 'done'
          ? 1
          : j.progress.duration
            ? Math.min(1, Math.round((j.progress.time / j.progress.duration) * 1000) / 1000)
            : null,
      tracksDecided: j.checkpoint?.tracks.length ?? 0,
    },
    ...(j.error ? { error: j.error } : {}),
    ...(full && j.result ? { result: j.result } : {}),
  };
}

function numberOf(v: unknown, name: string, ok: (n: number) => boolean): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !ok(n))
    throw new FaceError('INVALID_INPUT', `${name}: invalid value ${JSON.stringify(v)}`);
  return n;
}

export function videoRoutes(ctx: ServerContext, video: VideoService) {
  const { jobs, limits } = video;
  const find = async (req: FastifyRequest): Promise<VideoJob> => {
    const { id } = req.params as { id: string };
    const job = ID.test(id) ? await jobs.store.get(id) : undefined;
    if (!job) throw new FaceError('NOT_FOUND', `no video job ${id}`, { id });
    return job;
  };
  return async (v1: FastifyInstance): Promise<void> => {
    // an upload the request did not turn into a job (refused, failed) is removed before the answer goes out (and
    // after a request that broke off)
    const drop = async (req: FastifyRequest) => {
      if (req.upload && !(req as { adopted?: boolean }).adopted) rmSync(req.upload.path, { force: true });
    };
    v1.addHook('onSend', async (req, _reply, payload) => {
      await drop(req);
      return payload;
    });
    v1.addHook('onResponse', drop);

    v1.post(
      '/videos',
      {
        config: {
          role: 'recognize',
          videoUpload: { dir: video.uploads, maxBytes: limits.maxVideoBytes },
          multipartOptions: { limits: { fileSize: limits.maxVideoBytes, files: 1 } },
        },
        schema: {
          tags: ['videos'],
          summary: 'start a video job: a multipart upload (field "video") or JSON {"url": …}',
          consumes: ['multipart/form-data', 'application/json'],
          security: secured,
          body: {
            type: 'object',
            properties: {
              url: { type: 'string', maxLength: 4096 },
              video: { description: 'the video file (multipart)' },
              far: farProp('open-set false-alarm rate per track (default: the server setting)'),
              detectEvery: { type: 'integer', minimum: 1, maximum: 25 },
              fps: { type: 'number', exclusiveMinimum: 0, maximum: 120 },
            },
          },
        },
      },
      async (req, reply) => {
        const body = (req.body ?? {}) as Body;
        const options = {
          far: numberOf(body.far, 'far', (n) => n > 0 && n < 1) ?? ctx.settings().identifyFar,
          detectEvery: numberOf(body.detectEvery, 'detectEvery', (n) => Number.isInteger(n) && n >= 1 && n <= 25),
          fps: numberOf(body.fps, 'fps', (n) => n > 0 && n <= 120),
        };
        if (options.far > ctx.settings().identifyFar && !isAdmin(req, ctx))
          throw new FaceError('FORBIDDEN', 'a false-alarm rate above the server setting needs an admin key');
        const owner = req.apiKey?.id ?? null;
        let job: VideoJob;
        if (req.upload) {
          if (body.url !== undefined) throw new FaceError('INVALID_INPUT', 'send a video file or a url, not both');
          if (!req.upload.bytes) throw new FaceError('VIDEO_CORRUPT', 'the uploaded video is empty');
          const name = req.upload.filename || 'upload';
          // not a video: refused now, not as a failed job
          await probeVideo(req.upload.path).catch((e: unknown) => {
            throw inClientWords(e, req.upload!.path, name);
          });
          job = await jobs.submit({ kind: 'upload', name, input: req.upload.path }, options, owner, req.upload.id);
          (req as { adopted?: boolean }).adopted = true;
        } else if (typeof body.url === 'string' && body.url) {
          const url = await checkVideoUrl(body.url, { allowPrivate: video.allowPrivateUrls });
          // whether it is a file behind HTTP or a live stream is probed by the job's first slice (not in the request)
          job = await jobs.submit({ kind: 'url', name: maskPassword(url), input: url }, options, owner);
        } else throw new FaceError('INVALID_INPUT', 'send a video file (multipart field "video") or JSON {"url": …}');
        return reply.code(202).header('location', `/v1/videos/${job.id}`).send(jobJson(job, false));
      },
    );

    v1.get(
      '/videos',
      {
        config: { role: 'recognize' },
        schema: {
          tags: ['videos'],
          summary: 'video jobs, newest first',
          security: secured,
          querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500 } } },
        },
      },
      async (req) => {
        const { limit } = req.query as { limit?: number };
        return { videos: (await jobs.store.list(limit ?? 100)).map((j) => jobJson(j, false)) };
      },
    );

    v1.get(
      '/videos/:id',
      {
        config: { role: 'recognize' },
        schema: {
          tags: ['videos'],
          summary: 'a job: progress, and the timeline once done',
          security: secured,
          params: idParams,
        },
      },
      async (req) => jobJson(await find(req), true),
    );

    v1.get(
      '/videos/:id/tracks/:track/thumbnail',
      {
        config: { role: 'recognize' },
        schema: {
          tags: ['videos'],
          summary: "a track's best view, 64×64 JPEG",
          security: secured,
          params: {
            type: 'object',
            required: ['id', 'track'],
            properties: { id: { type: 'string' }, track: { type: 'integer', minimum: 1 } },
          },
        },
      },
      async (req, reply) => {
        const job = await find(req);
        const { track } = req.params as { track: number };
        const t = job.checkpoint?.tracks.find((x) => x.id === track);
        if (!t?.thumbnail) throw new FaceError('NOT_FOUND', `video ${job.id} has no thumbnail for track ${track}`);
        return reply
          .type('image/jpeg')
          .header('cache-control', 'private, no-cache')
          .send(Buffer.from(t.thumbnail, 'base64'));
      },
    );

    v1.delete(
      '/videos/:id',
      {
        config: { role: 'recognize' },
        schema: {
          tags: ['videos'],
          summary: 'cancel a job and remove all it stored (upload, tracks, thumbnails, queue rows, strangers)',
          security: secured,
          params: idParams,
        },
      },
      async (req) => {
        const job = await find(req);
        if (ctx.auth && !isAdmin(req, ctx) && job.owner !== req.apiKey?.id)
          throw new FaceError('FORBIDDEN', 'only the key that started a job, or an admin key, may delete it');
        await jobs.remove(job.id);
        return { id: job.id, deleted: true, status: job.status };
      },
    );
  };
}
