/**
 * A worker thread that owns one FaceRecognizer: decoding, detection, landmarks, alignment and the embedding net all
 * run here, so the server's event loop only parses requests, searches the index and writes the gallery, and an
 * evaluation keeps every core busy (onnxruntime-node's session.run blocks the thread that calls it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { asFaceError, FaceError } from '../errors.js';
import { FaceRecognizer, stagesOf, type RecognizerOptions } from '../recognizer.js';
import type { Detection, DetectOptions } from '../detect/types.js';
import { embedLabelledFace, type FacePolicy } from '../eval/labelled-face.js';
import type { PackInfo } from '../pack/types.js';
import type { StoredCalibration } from '../train/model-meta.js';

export type WorkerRequest =
  | { id: number; op: 'detect'; image: Uint8Array; opts?: Record<string, unknown> }
  | { id: number; op: 'embed'; image: Uint8Array; opts?: Record<string, unknown> }
  | {
      id: number;
      op: 'labelledFace';
      image: Uint8Array;
      detect: DetectOptions;
      detections?: readonly Detection[];
      face?: FacePolicy;
    }
  | { id: number; op: 'close' };

/** What a worker reports once its models are loaded; the pool checks the workers agree. */
export interface WorkerReady {
  modelId: string;
  pipelineKey: string;
  detectorId: string;
  /** The recognizer's crop TTA and flip defaults (the pack's unless overridden). */
  ttaPaddings: readonly number[];
  flip: boolean;
  /** The pack's name and licence line, for startup lines and the server's info. */
  pack: PackInfo;
  /** The calibration a `--model` from `facenet train` carries. */
  modelCalibration?: StoredCalibration;
}

export type WorkerResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code?: string; message: string; details?: Record<string, unknown> } };

const port = parentPort!;
const opts = workerData as RecognizerOptions;

try {
  const fr = await FaceRecognizer.load(opts);
  const running = new Set<Promise<void>>();
  port.on('message', async (m: WorkerRequest) => {
    if (m.op === 'close') {
      // Finish the jobs already here, free the native sessions, and let the thread end on its own: Worker.terminate()
      // would stop JavaScript mid-job and leave onnxruntime's sessions to be torn down by a dying thread.
      await Promise.allSettled(running);
      await fr.close().catch(() => undefined);
      port.close();
      return;
    }
    const job = handle(m);
    running.add(job);
    await job;
    running.delete(job);
  });
  port.postMessage({
    ready: {
      modelId: fr.modelId,
      pipelineKey: fr.pipelineKey,
      detectorId: stagesOf(fr).detector.modelId,
      ttaPaddings: fr.ttaPaddings,
      flip: fr.flip,
      pack: fr.packInfo,
      modelCalibration: fr.modelCalibration,
    } satisfies WorkerReady,
  });

  async function handle(m: Exclude<WorkerRequest, { op: 'close' }>): Promise<void> {
    try {
      const image = Buffer.from(m.image.buffer, m.image.byteOffset, m.image.byteLength);
      let result: unknown;
      const transfer: ArrayBuffer[] = [];
      if (m.op === 'labelledFace') {
        const r = await embedLabelledFace(fr, image, m.detect, m.detections, m.face);
        // copies: the views may share one buffer (or sit in a larger one), which cannot be transferred twice
        const embedding = new Float32Array(r.embedding);
        const flipped = new Float32Array(r.flipped);
        transfer.push(embedding.buffer as ArrayBuffer, flipped.buffer as ArrayBuffer);
        result = { ...r, embedding, flipped };
      } else if (m.op === 'detect') {
        result = (await fr.detect(image, m.opts ?? {})).map((f) => ({
          box: f.box,
          score: f.score,
          landmarks: f.landmarks,
          points: f.points,
        }));
      } else {
        const faces = await fr.embed(image, m.opts ?? {});
        result = faces.map((f) => {
          const embedding = new Float32Array(f.embedding);
          const chip = f.chip
            ? { width: f.chip.width, height: f.chip.height, data: new Uint8Array(f.chip.data) }
            : undefined;
          transfer.push(embedding.buffer as ArrayBuffer);
          if (chip) transfer.push(chip.data.buffer as ArrayBuffer);
          return { box: f.box, score: f.score, embedding, chip };
        });
      }
      port.postMessage({ id: m.id, ok: true, result } satisfies WorkerResponse, transfer);
    } catch (e) {
      const { code, message, details } = asFaceError(e);
      const error = { code, message, details };
      port.postMessage({ id: m.id, ok: false, error } satisfies WorkerResponse);
    }
  }
} catch (e) {
  port.postMessage({
    failed: e instanceof FaceError ? { code: e.code, message: e.message } : { message: asFaceError(e).message },
  });
}
