/**
 * The HTTP service: fastify with JSON-schema-validated routes under /v1, an OpenAPI 3 document at /openapi.json,
 * a docs page at /docs, Prometheus metrics, API-key auth with roles, request limits and a bounded inference queue,
 * plus the web page (src/web) at /.
 *
 * Images arrive as a multipart file field `image` or as base64 (optionally a data: URL) in a JSON field `image`.
 * Every error is JSON `{ error: { code, message, details? } }` with the library's stable FaceError codes.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import sharp from 'sharp';
import { tauForFar } from '../decide/calibration.js';
import { DEFAULT_IDENTIFY_FAR, DEFAULT_VERIFY_FAR } from '../decide/decisions.js';
import { FaceError, type FaceErrorCode } from '../errors.js';
import type { Gallery } from '../gallery/gallery.js';
import type { Box } from '../detect/types.js';
import type { ServerDb, Role } from './keys.js';
import { InferenceQueue } from './queue.js';

/** What the server needs from the face pipeline (FaceRecognizer satisfies it). */
export interface ServerRecognizer {
  readonly modelId: string;
  detect(img: Buffer): Promise<readonly { box: Box; score: number; landmarks?: readonly { x: number; y: number }[] }[]>;
  embed(img: Buffer, opts?: { aligned?: boolean; flip?: boolean }): Promise<readonly { box: Box; score: number; embedding: Float32Array }[]>;
}

export interface ServerLimits {
  /** Largest encoded image, bytes (multipart file; JSON bodies may be 4/3 of it plus fields). Default 10 MB. */
  maxImageBytes?: number;
  /** Largest image, width × height. Default 25 MP. */
  maxPixels?: number;
  /** Time allowed for one request's inference, queue wait included (ms). Default 30 s. */
  inferenceTimeoutMs?: number;
  /** Time allowed to receive a whole request (ms). Default 60 s. */
  requestTimeoutMs?: number;
  /** Inference jobs run at once. Default 2. */
  concurrency?: number;
  /** Inference jobs allowed to wait; more are refused with 429. Default 32. */
  maxQueued?: number;
}

export interface ServerOptions {
  gallery: Gallery;
  recognizer: ServerRecognizer;
  /** Key store and settings; `auth: false` serves every route without a key (local use only). */
  db: ServerDb;
  auth: boolean;
  /** Flip test-time augmentation (must match the gallery's model id). */
  flip?: boolean;
  limits?: ServerLimits;
  logger?: boolean;
}

export const DEFAULT_LIMITS: Required<ServerLimits> = {
  maxImageBytes: 10 * 1024 * 1024,
  maxPixels: 25_000_000,
  inferenceTimeoutMs: 30_000,
  requestTimeoutMs: 60_000,
  concurrency: 2,
  maxQueued: 32,
};

const STATUS: Partial<Record<FaceErrorCode, number>> = {
  IMAGE_EMPTY: 400,
  IMAGE_CORRUPT: 422,
  IMAGE_UNSUPPORTED: 415,
  IMAGE_TOO_LARGE: 413,
  IMAGE_NOT_FOUND: 400,
  INVALID_INPUT: 400,
  NO_FACE: 422,
  MULTIPLE_FACES: 422,
  MODEL_LOAD_FAILED: 500,
  MODEL_MISMATCH: 500,
  DATASET_MISSING: 500,
  PERSON_NOT_FOUND: 404,
  PERSON_EXISTS: 409,
  GALLERY_ERROR: 500,
  CALIBRATION_ERROR: 500,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  QUEUE_FULL: 429,
  TIMEOUT: 503,
  CLOSED: 503,
};

export function httpStatus(code: FaceErrorCode): number {
  return STATUS[code] ?? 500;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role a route needs; `public` routes need no key. */
    role?: Role | 'public';
  }
  interface FastifyRequest {
    apiKey?: { id: string; role: Role };
  }
}

/** Where the page's files are: src/web next to src/server, or (from dist/server) the package's src/web. */
export function webDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const c of [path.join(here, '../web'), path.join(here, '../../src/web')]) if (existsSync(path.join(c, 'index.html'))) return c;
  return path.join(here, '../web');
}

const r4 = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : v);
const boxJson = (b: Box) => ({ x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) });

const imageProp = {
  description: 'The photo: a file field in multipart/form-data, or base64 (a data: URL is fine) in application/json.',
};
const farProp = (what: string) => ({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, description: what });
const consumes = ['application/json', 'multipart/form-data'];
const nameParam = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 200 } } };
const errorResponse = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object', additionalProperties: true } } } },
};
const secured: { [label: string]: string[] }[] = [{ bearerAuth: [] }, { apiKey: [] }];

type Body = Record<string, unknown>;

/** The image of a request body: a multipart file (Buffer) or base64 text. */
function imageOf(body: Body | undefined, maxBytes: number): Buffer {
  const v = body?.image;
  if (Buffer.isBuffer(v)) {
    if (!v.length) throw new FaceError('IMAGE_EMPTY', 'the uploaded image is empty');
    return v;
  }
  if (typeof v === 'string') {
    const b64 = v.replace(/^data:[^,]*;base64,/, '').replace(/\s+/g, '');
    if (!b64) throw new FaceError('IMAGE_EMPTY', 'the image field is empty');
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) throw new FaceError('INVALID_INPUT', 'the image field is not base64');
    const img = Buffer.from(b64, 'base64');
    if (img.length > maxBytes) throw new FaceError('BODY_TOO_LARGE', `the image is ${img.length} bytes, over the ${maxBytes}-byte limit`, { bytes: img.length, maxImageBytes: maxBytes });
    return img;
  }
  throw new FaceError('INVALID_INPUT', 'no image: send a multipart file field "image" or a base64 "image" in JSON');
}

/** Multipart text fields arrive as strings; JSON fields as their types. */
function boolOf(v: unknown): boolean {
  return v === true || v === 'true' || v === '1' || v === 'on';
}

function metadataOf(v: unknown): Record<string, unknown> | undefined {
  if (v === undefined || v === '') return undefined;
  let m = v;
  if (typeof v === 'string') {
    try {
      m = JSON.parse(v);
    } catch {
      throw new FaceError('INVALID_INPUT', 'metadata must be a JSON object');
    }
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new FaceError('INVALID_INPUT', 'metadata must be a JSON object');
  return m as Record<string, unknown>;
}

export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const { gallery, recognizer, db } = opts;
  const queue = new InferenceQueue({ concurrency: limits.concurrency, maxQueued: limits.maxQueued });
  const modelId = () => gallery.modelId;
  const web = webDir();

  const app = Fastify({
    logger: opts.logger ?? false,
    // base64 is 4/3 of the bytes; leave room for the other fields
    bodyLimit: Math.ceil(limits.maxImageBytes * 1.4) + 64 * 1024,
    requestTimeout: limits.requestTimeoutMs,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, strict: false } },
  });

  // ---- metrics
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'facenet_' });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  app.addHook('onClose', async () => loop.disable());
  const httpRequests = new Counter({ name: 'facenet_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const httpDuration = new Histogram({
    name: 'facenet_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({ name: 'facenet_inference_active', help: 'inference jobs running', registers: [registry], collect() { this.set(queue.active); } });
  new Gauge({ name: 'facenet_inference_queued', help: 'inference jobs waiting', registers: [registry], collect() { this.set(queue.queued); } });
  new Gauge({ name: 'facenet_inference_rejected', help: 'inference jobs refused (queue full) since start', registers: [registry], collect() { this.set(queue.rejected); } });
  new Gauge({ name: 'facenet_gallery_people', help: 'people enrolled', registers: [registry], async collect() { this.set(await gallery.size()); } });
  new Gauge({
    name: 'facenet_event_loop_delay_max_seconds',
    help: 'largest event-loop delay seen since the last scrape',
    registers: [registry],
    collect() {
      this.set(loop.max / 1e9);
      loop.reset();
    },
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    httpDuration.observe({ route }, reply.elapsedTime / 1000);
  });

  // ---- errors
  const sendError = (reply: FastifyReply, e: FaceError) => {
    const status = httpStatus(e.code);
    if (e.code === 'QUEUE_FULL') reply.header('retry-after', String(e.details?.retryAfter ?? queue.retryAfterSeconds()));
    if (e.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer');
    return reply.code(status).type('application/json').send({ error: e.toJSON() });
  };
  app.setErrorHandler((err: FastifyError | FaceError | Error, req, reply) => {
    if (err instanceof FaceError) return sendError(reply, err);
    const fe = err as FastifyError;
    if (fe.validation) return sendError(reply, new FaceError('INVALID_INPUT', `request ${fe.message}`, { validation: fe.validation as unknown as Record<string, unknown> }));
    const status = fe.statusCode ?? 500;
    if (status === 413) return sendError(reply, new FaceError('BODY_TOO_LARGE', `request body or image is larger than the limit (${limits.maxImageBytes} bytes per image)`, { maxImageBytes: limits.maxImageBytes }));
    if (status === 415) return sendError(reply, new FaceError('UNSUPPORTED_MEDIA_TYPE', `send application/json or multipart/form-data (${fe.message})`));
    if (status >= 400 && status < 500) return sendError(reply, new FaceError('INVALID_INPUT', fe.message));
    req.log.error(err);
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, new FaceError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)));

  // ---- auth
  app.addHook('onRequest', async (req) => {
    const need = req.routeOptions.config?.role;
    if (!need || need === 'public' || !opts.auth) return;
    const header = req.headers.authorization;
    const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : (req.headers['x-api-key'] as string | undefined);
    if (!key) throw new FaceError('UNAUTHORIZED', 'this route needs an API key: Authorization: Bearer KEY (create one with `facenet keys add`)');
    const who = db.authenticate(key);
    if (!who) throw new FaceError('UNAUTHORIZED', 'invalid or revoked API key');
    if (need === 'admin' && who.role !== 'admin') throw new FaceError('FORBIDDEN', `this route needs an admin key; key ${who.id} has role ${who.role}`);
    req.apiKey = who;
  });

  // ---- inference under the queue, the pixel limit and the timeout
  const checkPixels = async (img: Buffer) => {
    let w = 0;
    let h = 0;
    try {
      const m = await sharp(img).metadata();
      w = m.width ?? 0;
      h = m.height ?? 0;
    } catch {
      return; // not an image sharp can read: the decoder reports the typed error
    }
    if (w * h > limits.maxPixels) throw new FaceError('IMAGE_TOO_LARGE', `${w}×${h} exceeds the ${limits.maxPixels}-pixel limit`, { width: w, height: h, maxPixels: limits.maxPixels });
  };
  const infer = async <T>(img: Buffer, job: () => Promise<T>): Promise<T> => {
    await checkPixels(img);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FaceError('TIMEOUT', `inference took longer than ${limits.inferenceTimeoutMs} ms`)), limits.inferenceTimeoutMs);
    });
    try {
      return await Promise.race([queue.run(job), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  const settings = () => {
    const s = db.settings();
    return { verifyFar: s.verifyFar ?? DEFAULT_VERIFY_FAR, identifyFar: s.identifyFar ?? DEFAULT_IDENTIFY_FAR };
  };

  // ---- plugins
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: limits.maxImageBytes, files: 1, fields: 20, fieldSize: 1024 * 1024 },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'facenet-ts', version: '0.1.0', description: 'Face detection, embeddings, enrollment, verification and open-set identification.' },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API key from `facenet keys add`' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
      tags: [{ name: 'recognize' }, { name: 'people' }, { name: 'service' }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // ---- the page
  const files: Record<string, string> = { '/': 'index.html', '/app.js': 'app.js', '/style.css': 'style.css' };
  const types: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
  for (const [url, file] of Object.entries(files))
    app.get(url, { schema: { hide: true } }, async (_req, reply) => {
      const body = await readFile(path.join(web, file));
      return reply.type(types[file.split('.').pop()!]).header('cache-control', 'no-cache').send(body);
    });

  // ---- /v1
  await app.register(
    async (v1) => {
      v1.get('/health', { config: { role: 'public' }, schema: { tags: ['service'], summary: 'liveness, model, gallery size, queue' } }, async () => ({
        status: 'ok',
        modelId: modelId(),
        people: await gallery.size(),
        auth: opts.auth,
        queue: { active: queue.active, queued: queue.queued, concurrency: queue.concurrency, maxQueued: queue.maxQueued },
        limits: { maxImageBytes: limits.maxImageBytes, maxPixels: limits.maxPixels, inferenceTimeoutMs: limits.inferenceTimeoutMs },
        uptimeSeconds: Math.round(process.uptime()),
      }));

      v1.get('/metrics', { config: { role: 'recognize' }, schema: { tags: ['service'], summary: 'Prometheus metrics', security: secured } }, async (_req, reply) =>
        reply.type(registry.contentType).send(await registry.metrics()),
      );

      const imageBody = (props: Record<string, unknown>, required: string[] = []) => ({
        type: 'object',
        required: ['image', ...required],
        properties: { image: imageProp, ...props },
      });

      v1.post(
        '/detect',
        {
          config: { role: 'recognize' },
          schema: { tags: ['recognize'], summary: 'every face in the photo: box, score, 68 landmarks', consumes, security: secured, body: imageBody({}), response: { 400: errorResponse } },
        },
        async (req) => {
          const img = imageOf(req.body as Body, limits.maxImageBytes);
          const faces = await infer(img, () => recognizer.detect(img));
          return {
            modelId: modelId(),
            faces: faces.map((f) => ({ box: boxJson(f.box), score: r4(f.score), landmarks: f.landmarks?.map((p) => [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10]) })),
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
            body: imageBody({ aligned: { type: 'boolean', description: 'the photo is an aligned 150×150 chip: skip detection' } }),
          },
        },
        async (req) => {
          const body = req.body as Body;
          const img = imageOf(body, limits.maxImageBytes);
          const faces = await infer(img, () => recognizer.embed(img, { aligned: boolOf(body.aligned), flip: opts.flip }));
          return { modelId: modelId(), faces: faces.map((f) => ({ box: boxJson(f.box), score: r4(f.score), embedding: Array.from(f.embedding, (v) => Math.round(v * 1e6) / 1e6) })) };
        },
      );

      v1.get('/people', { config: { role: 'recognize' }, schema: { tags: ['people'], summary: 'everyone enrolled', security: secured } }, async () => ({
        modelId: modelId(),
        people: (await gallery.people()).map((p) => ({ name: p.name, templates: p.templates, created: p.created, metadata: p.metadata })),
      }));

      const personDetail = async (name: string) => {
        const person = await gallery.store.findPerson(name);
        if (!person) throw new FaceError('PERSON_NOT_FOUND', `nobody called "${name}" is enrolled`, { name });
        const templates = (await gallery.store.personTemplates(person.id, modelId())).map((t) => ({ id: t.id, detectionScore: r4(t.detectionScore), faceSize: Math.round(t.faceSize), created: t.created }));
        return { modelId: modelId(), person: { name: person.name, created: person.created, metadata: person.metadata }, templates };
      };
      const enrollBody = imageBody(
        {
          name: { type: 'string', minLength: 1, maxLength: 200 },
          metadata: { description: 'JSON object (or its JSON text in multipart)' },
          largest: { type: 'boolean', description: 'take the largest face of a photo with several' },
          aligned: { type: 'boolean' },
        },
        ['name'],
      );
      const enroll = async (name: string, body: Body) => {
        const img = imageOf(body, limits.maxImageBytes);
        const r = await infer(img, () => gallery.enroll(name, img, { largest: boolOf(body.largest), aligned: boolOf(body.aligned), metadata: metadataOf(body.metadata) }));
        return {
          modelId: modelId(),
          person: { name: r.person.name, created: r.person.created, metadata: r.person.metadata },
          created: r.created,
          templates: r.templates,
          added: r.added.map((a) => ({ templateId: a.templateId, box: boxJson(a.box), detectionScore: r4(a.detectionScore), faceSize: Math.round(a.faceSize), facesInImage: a.facesInImage })),
          warnings: r.warnings,
        };
      };

      v1.post(
        '/people',
        { config: { role: 'admin' }, schema: { tags: ['people'], summary: 'enroll a new person from one photo (admin)', consumes, security: secured, body: enrollBody } },
        async (req, reply) => {
          const body = req.body as Body;
          const name = String(body.name).trim();
          if (await gallery.store.findPerson(name)) throw new FaceError('PERSON_EXISTS', `${name} is already enrolled: add photos with POST /v1/people/{name}/faces`, { name });
          return reply.code(201).send(await enroll(name, body));
        },
      );

      v1.get('/people/:name', { config: { role: 'recognize' }, schema: { tags: ['people'], summary: 'one person and their templates', security: secured, params: nameParam } }, async (req) =>
        personDetail((req.params as { name: string }).name),
      );

      v1.post(
        '/people/:name/faces',
        {
          config: { role: 'admin' },
          schema: { tags: ['people'], summary: 'add a photo to an enrolled person (admin)', consumes, security: secured, params: nameParam, body: imageBody({ largest: { type: 'boolean' }, aligned: { type: 'boolean' } }) },
        },
        async (req, reply) => {
          const { name } = req.params as { name: string };
          if (!(await gallery.store.findPerson(name))) throw new FaceError('PERSON_NOT_FOUND', `nobody called "${name}" is enrolled`, { name });
          return reply.code(201).send(await enroll(name, req.body as Body));
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
            params: { type: 'object', required: ['name', 'id'], properties: { name: { type: 'string' }, id: { type: 'integer', minimum: 1 } } },
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

      v1.delete('/people/:name', { config: { role: 'admin' }, schema: { tags: ['people'], summary: 'forget a person: every template and thumbnail (admin)', security: secured, params: nameParam } }, async (req) => {
        const r = await gallery.forget((req.params as { name: string }).name);
        return { person: { name: r.person.name }, templatesRemoved: r.templatesRemoved };
      });

      v1.post(
        '/verify',
        {
          config: { role: 'recognize' },
          schema: {
            tags: ['recognize'],
            summary: '1:1: is the (largest) face in the photo the enrolled person `name`?',
            consumes,
            security: secured,
            body: imageBody({ name: { type: 'string', minLength: 1 }, far: farProp('target false-accept rate (default: the server setting)'), aligned: { type: 'boolean' } }, ['name']),
          },
        },
        async (req) => {
          const body = req.body as Body;
          const img = imageOf(body, limits.maxImageBytes);
          const far = (body.far as number | undefined) ?? settings().verifyFar;
          const r = await infer(img, () => gallery.verify(img, String(body.name), { far, aligned: boolOf(body.aligned) }));
          return {
            modelId: modelId(),
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
              far: farProp('target open-set false-alarm rate (default: the server setting)'),
              topK: { type: 'integer', minimum: 1, maximum: 50 },
              aligned: { type: 'boolean' },
            }),
          },
        },
        async (req) => {
          const body = req.body as Body;
          const img = imageOf(body, limits.maxImageBytes);
          const far = (body.far as number | undefined) ?? settings().identifyFar;
          const r = await infer(img, () => gallery.identify(img, { far, topK: body.topK as number | undefined, aligned: boolOf(body.aligned) }));
          return {
            modelId: modelId(),
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
              candidates: f.candidates.map((c) => ({ person: c.person, distance: r4(c.distance) })),
            })),
          };
        },
      );

      const calibrationInfo = async () => {
        const s = settings();
        const cal = await gallery.calibration();
        const v = tauForFar(cal.table, s.verifyFar);
        const open = await gallery.openSet(s.identifyFar);
        return {
          modelId: modelId(),
          origin: cal.origin,
          source: cal.table.source,
          created: cal.table.created,
          genuinePairs: cal.table.genuinePairs,
          impostorPairs: cal.table.impostorPairs,
          minResolvableFar: cal.table.minResolvableFar,
          auc: r4(cal.table.auc),
          verify: { targetFar: s.verifyFar, threshold: r4(v.threshold), far: v.far, tar: r4(v.tar), resolvable: v.resolvable },
          identify: {
            targetFar: s.identifyFar,
            threshold: r4(open.threshold),
            perComparisonFar: open.perComparisonFar,
            people: open.people,
            comparisons: open.comparisons,
            resolvable: open.resolvable,
            ...(open.warning ? { warning: open.warning } : {}),
          },
        };
      };
      v1.get('/calibration', { config: { role: 'recognize' }, schema: { tags: ['service'], summary: 'thresholds in use and the target FARs', security: secured } }, async () =>
        calibrationInfo(),
      );
      v1.put(
        '/calibration',
        {
          config: { role: 'admin' },
          schema: {
            tags: ['service'],
            summary: 'set the default target FARs (admin)',
            security: secured,
            body: {
              type: 'object',
              minProperties: 1,
              additionalProperties: false,
              properties: { verifyFar: farProp('1:1 target false-accept rate'), identifyFar: farProp('1:N target open-set false-alarm rate') },
            },
          },
        },
        async (req) => {
          const b = req.body as { verifyFar?: number; identifyFar?: number };
          db.saveSettings(b);
          return calibrationInfo();
        },
      );
    },
    { prefix: '/v1' },
  );

  return app;
}

export type { FastifyInstance, FastifyRequest };
