/**
 * The server's side of a video worker thread (./video-worker.ts): started on first use (a server that never sees a
 * video loads no second copy of the models), calls answered by id, progress of job slices passed to a listener.
 * A worker that dies fails its calls and is started afresh by the next one.
 */
import { Worker } from 'node:worker_threads';
import { FaceError, type FaceErrorCode } from '../errors.js';
import type { RecognizerOptions } from '../recognizer.js';
import { workerUrl } from './worker-pool.js';
import type {
  LiveEvent,
  LiveFrameResult,
  SliceRequest,
  SliceResult,
  VideoWorkerMessage,
  VideoWorkerRequest,
} from './video-protocol.js';

export interface VideoWorkerOptions {
  recognizer: RecognizerOptions;
  /** The gallery's location (SQLite file or postgres:// URL): the worker opens its own connection. */
  gallery: string;
  flip?: boolean;
  /** Largest decoded frame, width × height. */
  maxPixels: number;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };
type Progress = Extract<VideoWorkerMessage, { progress: unknown }>['progress'];
type Request = VideoWorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class VideoWorker {
  private worker?: Worker;
  private ready?: Promise<void>;
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  /** Progress of running slices, by video id. */
  onProgress?: (p: Progress) => void;
  /** Late track events of live sessions, by session id. */
  readonly liveListeners = new Map<number, (events: LiveEvent[]) => void>();

  constructor(private readonly opts: VideoWorkerOptions) {}

  private start(): Promise<void> {
    if (this.closed) return Promise.reject(new FaceError('CLOSED', 'the video worker was closed'));
    if (this.ready) return this.ready;
    const worker = new Worker(workerUrl('video-worker'), { workerData: this.opts });
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: VideoWorkerMessage) => {
        if ('ready' in m) resolve();
        else if ('failed' in m)
          reject(new FaceError((m.failed.code as FaceErrorCode) ?? 'MODEL_LOAD_FAILED', m.failed.message));
        else if ('progress' in m) this.onProgress?.(m.progress);
        else if ('live' in m) this.liveListeners.get(m.live.session)?.(m.live.events);
        else this.settle(m);
      });
      worker.on('error', (e) => reject(e));
      worker.on('exit', (code) => {
        reject(new FaceError('MODEL_LOAD_FAILED', `the video worker exited (${code}) while loading`));
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.reject(new FaceError('CLOSED', `the video worker exited (${code})`));
        }
        if (this.worker === worker) {
          this.worker = undefined;
          this.ready = undefined; // the next call starts a new one
        }
      });
    });
    this.ready.catch(() => undefined);
    return this.ready;
  }

  private settle(m: Extract<VideoWorkerMessage, { id: number }>): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else
      p.reject(
        m.error.code
          ? new FaceError(m.error.code as FaceErrorCode, m.error.message, m.error.details)
          : new Error(m.error.message),
      );
  }

  private async call<T>(req: Request, transfer: ArrayBuffer[] = []): Promise<T> {
    await this.start();
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker!.postMessage({ ...req, id }, transfer);
    });
  }

  streamStart(session: number, far: number, detectEvery: number): Promise<{ threshold?: number; people: number }> {
    return this.call({ op: 'stream-start', session, far, detectEvery });
  }

  /** One JPEG frame (its buffer is moved to the worker). */
  streamFrame(session: number, jpeg: Uint8Array): Promise<LiveFrameResult> {
    const own = jpeg.byteOffset === 0 && jpeg.byteLength === jpeg.buffer.byteLength ? jpeg : jpeg.slice();
    return this.call({ op: 'stream-frame', session, jpeg: own }, [own.buffer as ArrayBuffer]);
  }

  streamEnd(session: number): Promise<LiveEvent[]> {
    return this.call({ op: 'stream-end', session });
  }

  slice(req: SliceRequest): Promise<SliceResult> {
    return this.call({ op: 'slice', slice: req });
  }

  async sliceStop(video: string): Promise<void> {
    if (this.worker) await this.call({ op: 'slice-stop', video });
  }

  /** Let the worker release its models and end (terminated after `graceMs`). */
  async close(graceMs = 10_000): Promise<void> {
    this.closed = true;
    const w = this.worker;
    if (!w) return;
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    w.postMessage({ id: 0, op: 'close' });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
    if ((await Promise.race([exited, late])) === 'late') await w.terminate();
    clearTimeout(timer);
  }
}
