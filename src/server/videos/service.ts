/**
 * The server's video side, built by startServer: the job store and durable queue (PostgreSQL gallery: the
 * `facenet_videos` table and pg-boss, shared by every server on the gallery; SQLite gallery: the same table and a
 * table-backed queue in the keys file), the upload folder, and two video worker threads started on first use: one
 * for job slices, one for live streams (so a long job never delays a camera's answers).
 */
import path from 'node:path';
import type { ClusterState } from '../../cluster/state.js';
import type { Gallery } from '../../gallery/gallery.js';
import { isPostgresUrl } from '../../gallery/store/location.js';
import { parsePgLocation } from '../../gallery/store/postgres/location.js';
import type { JobQueue } from '../../queue/job-queue.js';
import { SqliteQueue } from '../../queue/sqlite-queue.js';
import type { RecognizerOptions } from '../../recognizer.js';
import { VideoWorker } from '../../workers/video-client.js';
import { VideoJobs } from './jobs.js';
import { PgVideoStore } from './pg-store.js';
import { SqliteVideoStore, type VideoStore } from './store.js';

export interface VideoLimits {
  /** Largest video upload, bytes (default 512 MiB). */
  maxVideoBytes?: number;
  /** Video jobs queued or running at once, over all servers (default 16); more answer 429. */
  maxJobs?: number;
  /** Jobs this server runs at once (default 1). */
  jobConcurrency?: number;
  /** Wall-clock seconds of one job slice: the most a crash loses (default 60). */
  sliceSeconds?: number;
  /** Seconds before a job whose server died is handed on (default 2 × sliceSeconds + 60; SQLite: at once, by pid). */
  leaseSeconds?: number;
  /** Live streams at once (default 4). */
  maxStreams?: number;
  /** Largest JPEG frame, bytes (default 2 MiB). */
  maxFrameBytes?: number;
  /** Largest frame, width × height (default 4 MP: 2560×1600). */
  maxFramePixels?: number;
  /** Frames per second a stream may send; faster ones are dropped (default 30). */
  maxFps?: number;
  /** Seconds a new stream has to authenticate (default 10). */
  helloSeconds?: number;
}

export const DEFAULT_VIDEO_LIMITS: Required<VideoLimits> = {
  maxVideoBytes: 512 * 1024 * 1024,
  maxJobs: 16,
  jobConcurrency: 1,
  sliceSeconds: 60,
  leaseSeconds: 120,
  maxStreams: 4,
  maxFrameBytes: 2 * 1024 * 1024,
  maxFramePixels: 4_096_000,
  maxFps: 30,
  helloSeconds: 10,
};

export interface VideoService {
  readonly jobs: VideoJobs;
  readonly live: VideoWorker;
  readonly uploads: string;
  readonly limits: Required<VideoLimits>;
  readonly allowPrivateUrls: boolean;
  close(): Promise<void>;
}

export interface VideoServiceOptions {
  /** The gallery's location (SQLite file or postgres:// URL). */
  location: string;
  gallery: Gallery;
  /** The SQLite file jobs live in beside a SQLite gallery (the keys file). */
  keysFile: string;
  recognizer: RecognizerOptions;
  flip?: boolean;
  clusters?: ClusterState;
  limits?: VideoLimits;
  /** Where uploads are kept (default: `<keys file>.videos`; on several machines, a shared folder). */
  uploads?: string;
  allowPrivateUrls?: boolean;
}

export async function startVideoService(o: VideoServiceOptions): Promise<VideoService> {
  const given = Object.fromEntries(Object.entries(o.limits ?? {}).filter(([, v]) => v !== undefined));
  const limits = { ...DEFAULT_VIDEO_LIMITS, ...given };
  // a slice (plus its checkpoint, and loading the models on a server's first job) must end well within the lease,
  // or the queue hands the job to another server
  if (!o.limits?.leaseSeconds) limits.leaseSeconds = 2 * limits.sliceSeconds + 60;
  const queueOpts = { leaseSeconds: limits.leaseSeconds, concurrency: limits.jobConcurrency, pollSeconds: 1 };
  let store: VideoStore;
  let queue: JobQueue<{ video: string }>;
  if (isPostgresUrl(o.location)) {
    store = await PgVideoStore.open(o.location);
    const { schema, connectionString } = parsePgLocation(o.location);
    // loaded only for a PostgreSQL gallery (every CLI command imports the server)
    const { PgBossQueue } = await import('../../queue/pg-boss-queue.js');
    queue = await PgBossQueue.open(connectionString, 'videos', queueOpts, `${schema}_jobs`);
  } else {
    store = new SqliteVideoStore(o.keysFile);
    queue = new SqliteQueue(o.keysFile, 'videos', queueOpts);
  }
  const worker = (): VideoWorker =>
    new VideoWorker({ recognizer: o.recognizer, gallery: o.location, flip: o.flip, maxPixels: limits.maxFramePixels });
  const jobWorker = worker();
  const live = worker();
  const jobs = new VideoJobs({
    store,
    queue,
    worker: jobWorker,
    gallery: o.gallery,
    clusters: o.clusters,
    maxJobs: limits.maxJobs,
    sliceSeconds: limits.sliceSeconds,
  });
  // the workers load their models on first use: a server that never sees a video pays nothing for it
  await jobs.start();
  return {
    jobs,
    live,
    uploads: o.uploads ?? `${path.resolve(o.keysFile === ':memory:' ? 'facenet' : o.keysFile)}.videos`,
    limits,
    allowPrivateUrls: !!o.allowPrivateUrls,
    async close() {
      await jobWorker.sliceStop('*').catch(() => undefined); // running slices checkpoint now
      await jobs.close();
      await Promise.all([jobWorker.close(), live.close()]);
    },
  };
}
