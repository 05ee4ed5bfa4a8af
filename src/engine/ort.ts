/** onnxruntime-node behind the InferenceEngine interface. */
import * as ort from 'onnxruntime-node';
import {
  defaultThreads,
  type EngineOptions,
  type InferenceEngine,
  type InferenceSession,
  type TensorData,
} from './engine.js';
import { ModelError } from '../errors.js';

class OrtSession implements InferenceSession {
  constructor(private readonly session: ort.InferenceSession) {}
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }
  async run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor('float32', v.data, v.dims as number[]);
    const res = await this.session.run(ortFeeds);
    const out: Record<string, TensorData> = {};
    for (const [k, v] of Object.entries(res)) {
      out[k] = { data: v.data as Float32Array, dims: v.dims };
      v.dispose?.();
    }
    return out;
  }
  async close(): Promise<void> {
    await this.session.release();
  }
}

export interface OrtEngineOptions {
  /**
   * Let intra-op workers spin-wait between the parallel sections of a run (default off), stopping as soon as the run
   * returns (onnxruntime's `force_spinning_stop`). On an idle 2-core machine spinning saves ≈ 0.5 ms of a 3 ms
   * single-face embedding, but on a busy one the spinners fight the other work for the cores: with a competing CPU
   * load two spinning threads were the slowest setting, 1.27× the time of one thread, while two threads that sleep
   * were 0.78× (npm run bench:threads, docs/results.md). No effect with one intra-op thread.
   */
  spinning?: boolean;
}

export function createOrtEngine(engineOpts: OrtEngineOptions = {}): InferenceEngine {
  const spinning = engineOpts.spinning ?? false;
  return {
    name: `onnxruntime-node${spinning ? '' : ' (no spinning)'}`,
    load: (model, opts) => loadOrtSession(model, opts, spinning),
  };
}

async function loadOrtSession(
  model: Uint8Array | string,
  opts: EngineOptions = {},
  spinning = false,
): Promise<InferenceSession> {
  const sessionOpts: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: opts.threads ?? defaultThreads(),
    interOpNumThreads: 1,
    // errors only: models exported with fixed output shapes (SCRFD-500M says 640×640) warn on every run at another size
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' }, force_spinning_stop: '1' } },
  };
  try {
    const session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, sessionOpts)
        : await ort.InferenceSession.create(model, sessionOpts);
    return new OrtSession(session);
  } catch (e) {
    throw new ModelError(
      'MODEL_LOAD_FAILED',
      "the model could not be loaded; it may be damaged or not an ONNX model: use the pack's file " +
        `(\`facenet packs\` checks them) (${(e as Error).message})`,
      undefined,
      { cause: e },
    );
  }
}

/** onnxruntime-node as the pipeline uses it by default. */
export const ortEngine: InferenceEngine = createOrtEngine();
