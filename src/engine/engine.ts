/**
 * The inference engine interface. Everything above src/engine talks to models only through this,
 * so onnxruntime can be swapped (or a tfjs engine used for training) without touching the pipeline.
 */
export interface TensorData {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export interface InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

export interface EngineOptions {
  /** Intra-op threads; 0 lets the engine choose. */
  threads?: number;
}

export interface InferenceEngine {
  readonly name: string;
  load(model: Uint8Array | string, opts?: EngineOptions): Promise<InferenceSession>;
}
