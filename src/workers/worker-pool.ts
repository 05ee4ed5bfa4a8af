/**
 * FaceRecognizer work on worker threads. Measured with `npm run bench:server`: running the pipeline on the main
 * thread (onnxruntime-node's session.run blocks the calling thread, and decoding glue, SSD decoding, landmark fitting
 * and alignment are JS) let the event loop stall for a p99 of ~110 ms under load; on workers the loop stays responsive.
 *
 * `PooledRecognizer` has the shape of FaceRecognizer that the server (detect, embed) and the gallery (through
 * galleryRecognizer) use, and embeds evaluation images (labelledFace, for src/eval/embed-images.ts). Each worker
 * loads its own models; jobs go to the worker with the fewest in flight.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { asFaceError, FaceError, type FaceErrorCode } from '../errors.js';
import type { Box, Detection, DetectOptions } from '../detect/types.js';
import type { ImageInput, RgbImage } from '../image/types.js';
import { isRgbImage } from '../image/types.js';
import { readImageBytes } from '../image/decode.js';
import type { RecognizerOptions } from '../recognizer.js';
import { assertLicence, resolvePack } from '../pack/router.js';
import type { FacePolicy, LabelledFace } from '../eval/labelled-face.js';
import type { WorkerReady, WorkerRequest, WorkerResponse } from './pipeline-worker.js';
import type { Liveness, LivenessPolicy } from '../liveness/types.js';

export interface PooledFace {
  box: Box;
  score: number;
  embedding: Float32Array;
  chip?: RgbImage;
  liveness?: Liveness;
}

interface Slot {
  worker: Worker;
  inFlight: number;
  /** false once the thread has ended (closed, or died of an uncaught error) */
  alive?: boolean;
}

/** The URL a worker thread of this folder starts from (`pipeline-worker`, `video-worker`), under tsx or built. */
export function workerUrl(name = 'pipeline-worker'): URL {
  const ts = new URL(`./${name}.ts`, import.meta.url);
  if (!(import.meta.url.endsWith('.ts') && existsSync(fileURLToPath(ts))))
    return new URL(`./${name}.js`, import.meta.url);
  // under tsx (tests, npm start) the sources are .ts and a worker does not inherit tsx's loader: register it first
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(ts.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export class PooledRecognizer {
  private next = 1;
  private closing?: Promise<number>;
  private ended = false;
  private readonly calls = new Set<Promise<unknown>>();
  private readonly pending = new Map<
    number,
    { slot: Slot; resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();

  private constructor(
    private readonly slots: Slot[],
    private readonly ready: WorkerReady,
    readonly ttaPaddings: readonly number[],
  ) {
    for (const s of slots) {
      s.worker.on('message', (m: WorkerResponse) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        s.inFlight--;
        if (m.ok) p.resolve(m.result);
        else p.reject(new FaceError((m.error.code ?? 'INTERNAL') as FaceErrorCode, m.error.message, m.error.details));
      });
      s.alive = true;
      // a worker that dies (an uncaught error) fails its own jobs and takes no new ones, instead of leaving them
      // hanging
      let cause: unknown;
      s.worker.on('error', (e) => (cause = e));
      s.worker.on('exit', (code) => {
        s.alive = false;
        for (const [id, p] of this.pending) {
          if (p.slot !== s) continue;
          this.pending.delete(id);
          p.reject(
            this.closing
              ? new FaceError('CLOSED', 'the inference workers were closed')
              : cause
                ? asFaceError(cause)
                : new FaceError('INTERNAL', `inference worker exited (${code})`),
          );
        }
      });
    }
  }

  /** Start `size` workers, each loading the models; resolves when all are ready. */
  static async start(size: number, opts: RecognizerOptions = {}): Promise<PooledRecognizer> {
    const { engine: _engine, ...plain } = opts; // an engine object cannot cross threads
    assertLicence(resolvePack(opts.pack), opts.acceptLicense); // refuse before starting any thread
    const slots: Slot[] = Array.from({ length: Math.max(1, size) }, () => ({
      worker: new Worker(workerUrl(), { workerData: plain }),
      inFlight: 0,
    }));
    // Every worker's outcome is awaited before any is ended: stopping a worker that is still loading (inside
    // onnxruntime) aborts the whole process, so when one fails the others finish loading and are then closed.
    const outcomes = await Promise.allSettled(slots.map((s) => workerReady(s.worker)));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    const ready = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    // same options, same models: a worker that differs would mix pipelines in one result (and one cache key)
    const error =
      failed?.reason ??
      (ready.some((r) => r.pipelineKey !== ready[0].pipelineKey)
        ? new FaceError('MODEL_MISMATCH', 'inference workers loaded different pipelines')
        : undefined);
    if (error) {
      await Promise.all(slots.map((s) => endWorker(s.worker, 10_000)));
      throw error;
    }
    return new PooledRecognizer(slots, ready[0], ready[0].ttaPaddings);
  }

  get size(): number {
    return this.slots.length;
  }

  /** Id of the embedding model, as FaceRecognizer.modelId. */
  get modelId(): string {
    return this.ready.modelId;
  }

  /** The workers' FaceRecognizer.pipelineKey (every worker reported the same at start). */
  get pipelineKey(): string {
    return this.ready.pipelineKey;
  }

  /** The workers' pack: name and licence line. */
  get packInfo(): WorkerReady['pack'] {
    return this.ready.pack;
  }

  /** The calibration the workers' `--model` carries (from `facenet train`), as FaceRecognizer.modelCalibration. */
  get modelCalibration(): WorkerReady['modelCalibration'] {
    return this.ready.modelCalibration;
  }

  /** Whether embeddings average the mirrored chip too unless a call says otherwise (the workers' default). */
  get flip(): boolean {
    return this.ready.flip;
  }

  /** The workers' detector model id (FaceDetector.modelId), for detection caches. */
  get detectorId(): string {
    return this.ready.detectorId;
  }

  private send<T>(op: 'detect' | 'embed', img: ImageInput, opts?: Record<string, unknown>): Promise<T> {
    return this.call(async () => {
      if (isRgbImage(img))
        throw new FaceError('INVALID_INPUT', 'the worker pool takes encoded images (Buffer or path), not raw pixels');
      const bytes = await readImageBytes(img);
      return this.post<T>((id) => ({
        id,
        op,
        image: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        opts,
      }));
    });
  }

  /** Every public call goes through here: refused once close() has begun, waited for by close() otherwise. */
  private call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new FaceError('CLOSED', 'the inference workers were closed'));
    const p = fn();
    const settled: Promise<unknown> = p.then(
      () => this.calls.delete(settled),
      () => this.calls.delete(settled),
    );
    this.calls.add(settled);
    return p;
  }

  private post<T>(request: (id: number) => WorkerRequest): Promise<T> {
    const alive = this.slots.filter((s) => s.alive);
    if (this.ended || !alive.length)
      return Promise.reject(
        new FaceError(
          'CLOSED',
          this.closing ? 'the inference workers were closed' : 'every inference worker has exited',
        ),
      );
    const slot = alive.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.next++;
    slot.inFlight++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { slot, resolve: resolve as (v: unknown) => void, reject });
      slot.worker.postMessage(request(id));
    });
  }

  /**
   * embedLabelledFace (src/eval/embed-images.ts) on a worker: the labelled face of one encoded image, with
   * `detect` as given; `detections` (from a cache) skip the detector; `face`: the face policy (default 'centre').
   */
  labelledFace(
    image: Uint8Array,
    detect: DetectOptions,
    detections?: readonly Detection[],
    face?: FacePolicy,
  ): Promise<LabelledFace> {
    return this.call(() => this.post((id) => ({ id, op: 'labelledFace', image, detect, detections, face })));
  }

  detect(
    img: ImageInput,
    opts: object = {},
  ): Promise<
    {
      box: Box;
      score: number;
      landmarks?: { x: number; y: number }[];
      points?: { x: number; y: number }[];
      liveness?: Liveness;
    }[]
  > {
    return this.send('detect', img, opts as Record<string, unknown>);
  }

  embed(
    img: ImageInput,
    opts: { aligned?: boolean; flip?: boolean; detect?: object; liveness?: LivenessPolicy } = {},
  ): Promise<PooledFace[]> {
    return this.send('embed', img, opts as Record<string, unknown>);
  }

  /**
   * Wait for the calls already made (up to `graceMs`), then ask every worker to release its models and end; one
   * that has not ended by the deadline is terminated and its jobs are rejected with CLOSED, as is every call made
   * after close(). Resolves to how many workers had to be terminated (0 when all ended on their own). Safe to call
   * twice.
   */
  close(graceMs = 10_000): Promise<number> {
    this.closing ??= (async () => {
      const deadline = Date.now() + graceMs;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([Promise.allSettled([...this.calls]), late]);
      clearTimeout(timer);
      const ends = await Promise.all(this.slots.map((s) => endWorker(s.worker, Math.max(0, deadline - Date.now()))));
      this.ended = true;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(new FaceError('CLOSED', 'the inference workers were closed'));
      }
      return ends.filter((e) => e === 'terminated').length;
    })();
    return this.closing;
  }
}

/** A starting worker's report: its models are loaded (WorkerReady), or why not. */
function workerReady(worker: Worker): Promise<WorkerReady> {
  return new Promise<WorkerReady>((resolve, reject) => {
    const on = (m: { ready?: WorkerReady; failed?: { code?: string; message: string } }) => {
      if (m.ready) {
        worker.off('message', on);
        resolve(m.ready);
      } else if (m.failed)
        reject(
          new FaceError(
            (m.failed.code as FaceErrorCode | undefined) ?? 'MODEL_LOAD_FAILED',
            `inference worker: ${m.failed.message}`,
          ),
        );
    };
    worker.on('message', on);
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new FaceError('MODEL_LOAD_FAILED', `inference worker exited (${code}) while loading`)),
    );
  });
}

/** A worker's own exit after a close request (see pipeline-worker.ts), or terminate() after graceMs. */
async function endWorker(worker: Worker, graceMs: number): Promise<'ended' | 'terminated'> {
  if (worker.threadId === -1) return 'ended';
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  try {
    worker.postMessage({ id: 0, op: 'close' } satisfies WorkerRequest);
  } catch {
    // already gone
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  const early = (await Promise.race([exited, late])) !== 'late';
  clearTimeout(timer);
  if (!early) await worker.terminate();
  await exited;
  return early ? 'ended' : 'terminated';
}
