/**
 * What every route module shares: the pipeline, the gallery, the key store, the limits and the inference queue.
 * Built once by buildServer and handed to each route module.
 */
import type { Registry } from 'prom-client';
import { DEFAULT_IDENTIFY_FAR, DEFAULT_VERIFY_FAR } from '../decide/decisions.js';
import { FaceError } from '../errors.js';
import type { Gallery } from '../gallery/gallery.js';
import type { Box } from '../detect/types.js';
import type { SerializableFace } from '../face-json.js';
import type { ServerDb, Role } from './keys.js';
import { InferenceQueue } from './queue.js';
import { checkImageHeader } from '../image/decode.js';
import type { PackInfo } from '../pack/types.js';
import type { ClusterState } from '../cluster/state.js';
import type { Liveness, LivenessPolicy } from '../liveness/types.js';
import { DEFAULT_SERVER_LIVENESS, type ServerLiveness } from './liveness-defaults.js';
import type { VideoService } from './videos/service.js';
import { LivenessChallenges, type LivenessChallengeOptions } from '../liveness-challenge/service.js';

/** What the server needs from the face pipeline (FaceRecognizer satisfies it). */
export interface ServerRecognizer {
  readonly modelId: string;
  /** The pack it runs: name and licence line (shown in the authenticated health answer and on the page). */
  readonly packInfo?: PackInfo;
  /** Faces with the pack's points: 68 landmarks (dlib packs) and/or the detector's five. */
  detect(img: Buffer, opts?: { liveness?: LivenessPolicy }): Promise<readonly SerializableFace[]>;
  embed(
    img: Buffer,
    opts?: { aligned?: boolean; flip?: boolean; liveness?: LivenessPolicy },
  ): Promise<readonly { box: Box; score: number; embedding: Float32Array; liveness?: Liveness }[]>;
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

export const DEFAULT_LIMITS: Required<ServerLimits> = {
  maxImageBytes: 10 * 1024 * 1024,
  maxPixels: 25_000_000,
  inferenceTimeoutMs: 30_000,
  requestTimeoutMs: 60_000,
  concurrency: 2,
  maxQueued: 32,
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role a route needs; `public` routes need no key. */
    role?: Role | 'public';
  }
  interface FastifyRequest {
    apiKey?: { id: string; role: Role };
  }
}

/** The active liveness check on the server: challenges, their answers' limits, and whether tokens are required. */
export interface ChallengeServerOptions extends LivenessChallengeOptions {
  /** Refuse verify and enroll without a liveness token (LIVENESS_TOKEN_REQUIRED). Default false. */
  requireToken?: boolean;
  /** Frames one answer may hold (default 120: 20 s at 6 frames a second). */
  maxFrames?: number;
  /** Bytes of one encoded frame, at most (default 512 KiB). */
  maxFrameBytes?: number;
  /** Bytes of all of an answer's frames together, at most (default 12 MiB). */
  maxAnswerBytes?: number;
}

export const DEFAULT_LIVENESS_LIMITS = { maxFrames: 120, maxFrameBytes: 512 * 1024, maxAnswerBytes: 12 * 1024 * 1024 };

export interface ServerContext {
  readonly gallery: Gallery;
  readonly recognizer: ServerRecognizer;
  readonly db: ServerDb;
  readonly auth: boolean;
  readonly flip?: boolean;
  readonly limits: Required<ServerLimits>;
  readonly queue: InferenceQueue;
  readonly registry: Registry;
  /** The cluster state served under /v1/clusters, if any: a forget unnames the groups enrolled as the person. */
  readonly clusters?: ClusterState;
  /** Default liveness policies (a request may tighten them; see liveness-policy.ts). */
  readonly liveness: ServerLiveness;
  /** Challenges and tokens of the active liveness check. */
  readonly challenges: LivenessChallenges;
  readonly challengeLimits: typeof DEFAULT_LIVENESS_LIMITS & { requireToken: boolean };
  modelId(): string;
  /** Run one inference job under the pixel limit, the queue and the timeout. */
  infer<T>(img: Buffer, job: () => Promise<T>): Promise<T>;
  /** The server's default target FARs. */
  settings(): { verifyFar: number; identifyFar: number };
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
  /** Accept SVG uploads (default false); must match the recognizer's own `allowSvg`. */
  allowSvg?: boolean;
  /** A cluster state (`facenet cluster`) to serve under /v1/clusters: the page's "unnamed people". */
  clusters?: ClusterState;
  /** Default liveness policies (default DEFAULT_SERVER_LIVENESS: warn for verify and identify). */
  liveness?: Partial<ServerLiveness>;
  /** Video jobs (/v1/videos) and live streams (/v1/stream), when the server runs them. */
  video?: VideoService;
  /** The active liveness check (challenges always served; tokens required only with `requireToken`). */
  challenge?: ChallengeServerOptions;
}

export function createContext(opts: ServerOptions & { registry: Registry }): ServerContext {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const { gallery, db } = opts;
  const queue = new InferenceQueue({ concurrency: limits.concurrency, maxQueued: limits.maxQueued });
  // the decode budget from the header, before the image waits for an inference slot: a refusal costs no queue time
  const checkHeader = (img: Buffer) =>
    checkImageHeader(img, { maxPixels: limits.maxPixels, allowSvg: opts.allowSvg }, `the image (${img.length} bytes)`);
  return {
    gallery,
    recognizer: opts.recognizer,
    db,
    auth: opts.auth,
    flip: opts.flip,
    limits,
    queue,
    registry: opts.registry,
    clusters: opts.clusters,
    liveness: { ...DEFAULT_SERVER_LIVENESS, ...opts.liveness },
    challenges: new LivenessChallenges({ parallel: limits.concurrency, ...opts.challenge }),
    challengeLimits: {
      maxFrames: opts.challenge?.maxFrames ?? DEFAULT_LIVENESS_LIMITS.maxFrames,
      maxFrameBytes: opts.challenge?.maxFrameBytes ?? DEFAULT_LIVENESS_LIMITS.maxFrameBytes,
      maxAnswerBytes: opts.challenge?.maxAnswerBytes ?? DEFAULT_LIVENESS_LIMITS.maxAnswerBytes,
      requireToken: opts.challenge?.requireToken ?? false,
    },
    modelId: () => gallery.modelId,
    async infer<T>(img: Buffer, job: () => Promise<T>): Promise<T> {
      await checkHeader(img);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new FaceError('TIMEOUT', `inference took longer than ${limits.inferenceTimeoutMs} ms`)),
          limits.inferenceTimeoutMs,
        );
      });
      try {
        return await Promise.race([queue.run(job), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    settings() {
      const s = db.settings();
      return { verifyFar: s.verifyFar ?? DEFAULT_VERIFY_FAR, identifyFar: s.identifyFar ?? DEFAULT_IDENTIFY_FAR };
    },
  };
}
