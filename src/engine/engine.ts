/**
 * The inference engine interface. Everything above src/engine talks to models only through this,
 * so onnxruntime can be swapped (or a tfjs engine used for training) without touching the pipeline.
 */
import os from 'node:os';
export interface TensorData {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export interface InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
  close(): Promise<void>;
}

export interface EngineOptions {
  /** Intra-op threads; 0 lets the engine choose; absent: the engine's default (onnxruntime: defaultThreads()). */
  threads?: number;
}

export interface InferenceEngine {
  readonly name: string;
  load(model: Uint8Array | string, opts?: EngineOptions): Promise<InferenceSession>;
}

/**
 * Intra-op threads per model when none are asked for: the cores this process may use (os.availableParallelism, which
 * honours CPU affinity), shared out among `parallelWorkers` threads that each run their own models, at least 1.
 * Explicit rather than onnxruntime's 0, whose meaning depends on its own core detection: on the project's 2-core
 * VM, 0 starts no intra-op worker thread at all (one thread, measured by counting threads and in `npm run
 * bench:threads`), while on a large host it would start one per physical core for every model, in every worker.
 * Two threads without spin-waiting were measured never slower than one, idle or busy (docs/results.md).
 */
export function defaultThreads(parallelWorkers = 1): number {
  return Math.max(1, Math.floor(os.availableParallelism() / Math.max(1, parallelWorkers)));
}
