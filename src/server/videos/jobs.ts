/**
 * Video jobs: submitted by the routes, stored (./store), delivered by a durable queue (src/queue) to whichever
 * server takes them, and run in slices in the video worker. A slice watches from the checkpoint for at most
 * `sliceSeconds`, then its tracks join the checkpoint's decided ones and the next slice is queued; a server that dies
 * mid-slice loses only that slice (the queue hands the job on once its lease expires, and the next server resumes at
 * the checkpoint). The last slice groups the strangers (the served cluster state when there is one, so they can be
 * named like any cluster group) and stores the timeline.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { ClusterState } from '../../cluster/state.js';
import { FaceError } from '../../errors.js';
import { probeVideo } from '../../engine/ffmpeg.js';
import type { Gallery } from '../../gallery/gallery.js';
import type { JobQueue, QueuedJob } from '../../queue/job-queue.js';
import type { VideoWorker } from '../../workers/video-client.js';
import { tauForFar } from '../../decide/calibration.js';
import { DEFAULT_VERIFY_FAR } from '../../decide/decisions.js';
import { clusterKeys, finalTracks, joinAtCut, storeTrack, timeline, type TrackJson } from './tracks.js';
import { inClientWords } from './upload.js';
import type { VideoJob, VideoOptions, VideoSource, VideoStore } from './store.js';

export interface VideoJobsOptions {
  store: VideoStore;
  queue: JobQueue<{ video: string }>;
  worker: VideoWorker;
  gallery: Gallery;
  /** The served cluster state: strangers are grouped there (and removed from it with their job). */
  clusters?: ClusterState;
  /** Jobs queued or running at once, over every server sharing the store; more are refused (QUEUE_FULL). */
  maxJobs: number;
  /** Wall-clock seconds per slice (well under the queue's lease). */
  sliceSeconds: number;
}

export class VideoJobs {
  /** The jobs as stored (read by the routes). */
  get store(): VideoStore {
    return this.o.store;
  }

  constructor(private readonly o: VideoJobsOptions) {
    o.worker.onProgress = (p) => void this.progress(p.video, p.time, p.frames, p.duration);
  }

  /** Store a job and queue it; QUEUE_FULL when `maxJobs` are queued or running already. */
  async submit(
    source: VideoSource,
    options: VideoOptions,
    owner: string | null,
    id: string = randomUUID(),
  ): Promise<VideoJob> {
    const active = await this.o.store.active();
    if (active >= this.o.maxJobs)
      throw new FaceError('QUEUE_FULL', `${active} video jobs are queued or running (the limit); retry later`, {
        retryAfter: 30,
      });
    const now = new Date().toISOString();
    const job: VideoJob = {
      id,
      status: 'queued',
      created: now,
      updated: now,
      owner,
      source,
      options,
      progress: { time: 0, frames: 0, slices: 0 },
      checkpoint: null,
      result: null,
      error: null,
      queueJobs: [],
    };
    await this.o.store.create(job);
    const q = await this.o.queue.send({ video: id });
    await this.o.store.update(id, (j) => ({ ...j, queueJobs: [...j.queueJobs, q] }));
    return { ...job, queueJobs: [q] };
  }

  private lastProgress = new Map<string, number>();

  private async progress(video: string, time: number, frames: number, duration?: number): Promise<void> {
    const now = performance.now();
    if (now - (this.lastProgress.get(video) ?? 0) < 1000) return;
    this.lastProgress.set(video, now);
    const base = (await this.o.store.get(video))?.checkpoint?.frames ?? 0;
    const alive = await this.o.store
      .update(video, (j) => ({ ...j, progress: { ...j.progress, time, frames: base + frames, duration } }))
      .catch(() => true);
    // deleted meanwhile (perhaps on another server): stop deciding
    if (!alive) await this.o.worker.sliceStop(video).catch(() => undefined);
  }

  /** The queue's handler: one slice of one job. */
  async handle(q: QueuedJob<{ video: string }>): Promise<void> {
    const { video } = q.data;
    const job = await this.o.store.get(video);
    if (!job || job.status === 'done' || job.status === 'failed') return; // deleted, or finished by another delivery
    try {
      await this.slice(job);
    } catch (e) {
      // bad input fails for good; anything else (a worker that died, a database hiccup) is retried by the queue
      if (e instanceof FaceError && e.code !== 'CLOSED' && e.code !== 'GALLERY_ERROR') return this.fail(video, e);
      if (q.last) return this.fail(video, e);
      throw e;
    } finally {
      this.lastProgress.delete(video);
    }
  }

  /** τ at the verification FAR: two tracks this close are one face. */
  private async reidTau(): Promise<number> {
    return tauForFar((await this.o.gallery.calibration()).table, DEFAULT_VERIFY_FAR).threshold;
  }

  private async fail(video: string, e: unknown): Promise<void> {
    await this.o.store.update(video, (j) => {
      // an upload is named as the client sent it, never by its stored path
      const told = j.source.kind === 'upload' ? inClientWords(e, j.source.input, j.source.name) : e;
      const error =
        told instanceof FaceError
          ? { code: told.code, message: told.message }
          : { code: 'INTERNAL', message: String(told) };
      return { ...j, status: 'failed', error };
    });
  }

  private async slice(job: VideoJob): Promise<void> {
    const cp = job.checkpoint;
    const slices = job.progress.slices;
    const runner = `${hostname()}:${process.pid}`;
    if (!(await this.o.store.update(job.id, (j) => ({ ...j, status: 'running', runner })))) return;
    let source = job.source;
    if (source.kind === 'url' && source.finite === undefined) {
      // a URL whose length is known (a file behind HTTP) resumes by skipping; a live one goes on where it is
      const probe = await probeVideo(source.input, 60_000).catch((e: unknown) => {
        if (e instanceof FaceError && e.code !== 'TOOL_MISSING' && e.code !== 'STREAM_LOST') throw e;
        return undefined;
      });
      source = { ...source, finite: probe?.duration !== undefined };
      if (!(await this.o.store.update(job.id, (j) => ({ ...j, source })))) return;
    }
    const r = await this.o.worker.slice({
      video: job.id,
      input: source.input,
      kind: source.kind === 'upload' ? 'file' : 'url',
      finite: source.finite ?? false,
      start: cp?.time ?? 0,
      sliceSeconds: this.o.sliceSeconds,
      ...job.options,
    });
    const idOffset = Math.max(0, ...(cp?.tracks ?? []).map((t) => t.id));
    const fresh = r.tracks.map((t) => storeTrack(t, job.source.name, idOffset));
    // a face on screen across the cut continues its track
    const tracks = cp ? joinAtCut(cp.tracks, fresh, cp.time, await this.reidTau()) : fresh;
    const frames = (cp?.frames ?? 0) + r.frames;
    if (!r.finished) {
      const checkpoint = { time: r.time, tracks, frames };
      let stale = false;
      const kept = await this.o.store.update(job.id, (j) => {
        // another delivery of this job checkpointed meanwhile (a lease that expired under a slow slice): its stands
        stale = j.progress.slices !== slices;
        return stale
          ? j
          : {
              ...j,
              checkpoint,
              progress: {
                time: r.time,
                frames,
                duration: r.duration ?? j.progress.duration,
                slices: j.progress.slices + 1,
              },
            };
      });
      if (!kept || stale) return;
      const next = await this.o.queue.send({ video: job.id });
      if (!(await this.o.store.update(job.id, (j) => ({ ...j, queueJobs: [...j.queueJobs, next] }))))
        await this.o.queue.remove([next]);
      return;
    }
    await this.finish(job, slices, tracks, r.time, frames, r.duration);
  }

  private async finish(
    job: VideoJob,
    slices: number,
    tracks: readonly TrackJson[],
    time: number,
    frames: number,
    duration?: number,
  ): Promise<void> {
    const { gallery } = this.o;
    const calibration = (await gallery.calibration()).table;
    // the served cluster state, unless it holds another model's faces (then the job's strangers are grouped alone)
    const servedModel = this.o.clusters?.modelId();
    const shared =
      this.o.clusters && (servedModel === undefined || servedModel === gallery.modelId) ? this.o.clusters : undefined;
    const state = shared ?? ClusterState.open(':memory:');
    let labelled;
    try {
      labelled = await finalTracks(tracks, job.source.name, { state, modelId: gallery.modelId, calibration });
    } finally {
      if (!shared) state.close();
    }
    const open = await gallery.openSet(job.options.far);
    const result = {
      ...timeline(labelled),
      threshold: open.threshold,
      openSetFar: open.openSetFar,
      galleryPeople: open.people,
      frames,
      duration: Math.round(Math.max(time, duration ?? 0) * 1000) / 1000,
    };
    const stored = await this.o.store.update(job.id, (j) =>
      j.progress.slices !== slices
        ? j
        : {
            ...j,
            status: 'done',
            checkpoint: { time, tracks: labelled, frames },
            result,
            progress: { time, frames, duration: duration ?? j.progress.duration, slices: j.progress.slices + 1 },
          },
    );
    if (!stored) this.forgetStrangers(labelled, job.source.name); // deleted while finishing
  }

  /** Remove the cluster-state faces a job's strangers became. */
  private forgetStrangers(tracks: Parameters<typeof clusterKeys>[0], source: string): void {
    const state = this.o.clusters;
    if (!state) return;
    const keys = new Set(clusterKeys(tracks, source));
    if (!keys.size) return;
    for (const f of state.faces()) if (keys.has(f.sha256)) state.deleteFace(f.id);
  }

  /** Cancel a job and remove all it stored: its row, its queue jobs, its upload, its strangers. */
  async remove(id: string): Promise<VideoJob | undefined> {
    const job = await this.o.store.delete(id);
    if (!job) return undefined;
    await this.o.worker.sliceStop(id).catch(() => undefined);
    await this.o.queue.remove(job.queueJobs);
    if (job.source.kind === 'upload') rmSync(job.source.input, { force: true });
    if (job.checkpoint) this.forgetStrangers(job.checkpoint.tracks, job.source.name);
    return job;
  }

  /** Start taking jobs from the queue. */
  start(): Promise<void> {
    return this.o.queue.work((q) => this.handle(q));
  }

  async close(): Promise<void> {
    await this.o.queue.close(5000);
    await this.o.store.close();
  }
}
