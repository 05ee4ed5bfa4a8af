/** Start the service: recognizer + gallery + key store + fastify, listening. Used by `facenet serve` and the bench. */
import { packForGallery } from '../gallery/recorded-pack.js';
import { passiveScorer } from './liveness.js';
import { LIVENESS_THRESHOLD } from '../pack/liveness.js';
import { Gallery, DEFAULT_GALLERY_PATH } from '../gallery/gallery.js';
import { FaceRecognizer, type RecognizerOptions } from '../recognizer.js';
import { buildServer, DEFAULT_LIMITS, type ChallengeServerOptions, type ServerLimits } from './app.js';
import { resolvePack } from '../pack/router.js';
import { CHALLENGE_ACTIONS, type ChallengeAction } from '../liveness-challenge/types.js';
import { keysFile, ServerDb } from './keys.js';
import { PooledRecognizer } from '../workers/worker-pool.js';
import { defaultThreads } from '../engine/engine.js';
import type { FastifyInstance } from 'fastify';
import { FaceError } from '../errors.js';
import type { PackInfo } from '../pack/types.js';
import { ClusterState } from '../cluster/state.js';
import type { ServerLiveness } from './liveness-defaults.js';
import { startVideoService, type VideoLimits, type VideoService } from './videos/service.js';

export interface StartOptions {
  port?: number;
  host?: string;
  /** SQLite file or postgres:// URL. */
  gallery?: string;
  /** API keys and settings file (default: keysFile of the gallery). */
  keys?: string;
  auth?: boolean;
  recognizer?: RecognizerOptions;
  limits?: ServerLimits;
  logger?: boolean;
  /** Inference worker threads (default: limits.concurrency); 0 runs the pipeline on the main thread. */
  workers?: number;
  /** Cluster state file of `facenet cluster` to serve under /v1/clusters (must exist). */
  clusters?: string;
  /** Default liveness policies (warn for verify and identify unless set; see liveness-policy.ts). */
  liveness?: Partial<ServerLiveness>;
  /** Video jobs and live streams (default on); `false` serves neither. */
  video?: false | { limits?: VideoLimits; uploads?: string; allowPrivateUrls?: boolean };
  /** The active liveness check (default: challenges served, tokens not required). */
  challenge?: ChallengeServerOptions;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /** The pack served, with its licence line (for the startup line). */
  pack: PackInfo;
  close(): Promise<void>;
}

/** Listen, with the usual failures (port taken, out of range, not allowed, no such address) as INVALID_INPUT. */
async function listen(app: FastifyInstance, port: number, host: string): Promise<string> {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new FaceError('INVALID_INPUT', `port must be an integer from 0 to 65535, got ${port}`, { port });
  try {
    return await app.listen({ port, host });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why: Record<string, string> = {
      EADDRINUSE: `port ${port} on ${host} is already in use: stop what is listening there or pick another --port`,
      EACCES: `not allowed to listen on port ${port} (ports below 1024 need privileges): pick another --port`,
      EADDRNOTAVAIL: `${host} is not an address of this machine: check --host`,
      ENOTFOUND: `cannot resolve --host ${host}`,
      ERR_SOCKET_BAD_PORT: `port must be an integer from 0 to 65535, got ${port}`,
    };
    if (code && why[code]) throw new FaceError('INVALID_INPUT', why[code], { port, host, errno: code }, { cause: e });
    throw e;
  }
}

/**
 * The liveness options with the actions the pack can read: blinks need the eyes' outline, which only the 68-point
 * packs find; five-point packs ask for turns only (and longer sequences, src/liveness-challenge/challenge.ts).
 */
function challengeFor(rec: RecognizerOptions, opts: ChallengeServerOptions = {}): ChallengeServerOptions {
  const eyes = resolvePack(rec.pack).align.kind === 'dlib68';
  const actions: readonly ChallengeAction[] = eyes ? CHALLENGE_ACTIONS : ['turn-left', 'turn-right'];
  return { ...opts, challenge: { actions, ...opts.challenge } };
}

export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const file = opts.gallery ?? DEFAULT_GALLERY_PATH;
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  // a gallery built with another pack than the default (e.g. dlib128, the default before dlib128-yunet) keeps its own
  const pack = await packForGallery(file, {
    pack: typeof opts.recognizer?.pack === 'object' ? opts.recognizer.pack.name : opts.recognizer?.pack,
    modelPath: opts.recognizer?.modelPath,
  });
  const recOpts: RecognizerOptions = {
    ...opts.recognizer,
    ...(opts.recognizer?.pack === undefined && pack ? { pack } : {}),
    maxPixels: opts.recognizer?.maxPixels ?? limits.maxPixels,
  };
  const workers = opts.workers ?? limits.concurrency;
  // the workers are the parallelism: each gets its share of the cores (workers × threads ≤ cores; onnxruntime's own
  // default would give every model in every worker a thread per core), within which the packs' thread hints hold
  const pool =
    workers > 0
      ? await PooledRecognizer.start(workers, { ...recOpts, threadShare: defaultThreads(workers) })
      : undefined;
  const fr = pool ?? (await FaceRecognizer.load(recOpts));
  let db: ServerDb | undefined;
  let gallery: Gallery | undefined;
  let clusters: ClusterState | undefined;
  let video: VideoService | undefined;
  try {
    clusters = opts.clusters ? ClusterState.open(opts.clusters, { mustExist: true }) : undefined;
    // with the recognizer's own TTA (the pack's unless the options change it), as the CLI opens galleries
    gallery = await Gallery.open({ location: file, recognizer: fr });
    // after the gallery: a database that cannot be reached leaves no keys file beside it
    db = ServerDb.open(keysFile({ gallery: file, keys: opts.keys }));
    const d = db;
    if (opts.video !== false)
      video = await startVideoService({
        location: file,
        gallery,
        keysFile: keysFile({ gallery: file, keys: opts.keys }),
        recognizer: { ...recOpts, threadShare: defaultThreads(workers + 2) },
        flip: fr.flip,
        clusters,
        ...opts.video,
      });
    const v = video;
    const app = await buildServer({
      gallery,
      recognizer: fr,
      db: d,
      auth: opts.auth ?? true,
      flip: fr.flip,
      limits,
      logger: opts.logger,
      allowSvg: opts.recognizer?.allowSvg,
      clusters,
      liveness: opts.liveness,
      video,
      // the challenge's frames facing the camera also pass the passive check, at the server's liveness threshold
      challenge: {
        passive: passiveScorer(fr, recOpts.livenessThreshold ?? LIVENESS_THRESHOLD),
        ...challengeFor(recOpts, opts.challenge),
      },
    });
    const g = gallery;
    const c = clusters;
    app.addHook('onClose', async () => {
      await v?.close();
      c?.close();
      await g.close();
      d.close();
      await pool?.close();
    });
    const url = await listen(app, opts.port ?? 8080, opts.host ?? '127.0.0.1');
    return { app, url, pack: fr.packInfo, close: () => app.close() };
  } catch (e) {
    await video?.close();
    clusters?.close();
    await gallery?.close();
    db?.close();
    await pool?.close();
    throw e;
  }
}
