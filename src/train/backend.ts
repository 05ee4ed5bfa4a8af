/**
 * tfjs set-up for training: the wasm backend (XNNPACK kernels, single-threaded under Node) by default,
 * tfjs-cpu for reference checks. Import tf from here so every module shares one engine.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { ModelError } from '../errors.js';

export { tf };

export type TrainBackend = 'wasm' | 'cpu';

/** Select (and initialise) a backend; idempotent. */
export async function useBackend(name: TrainBackend = 'wasm'): Promise<void> {
  // PROD mode silences tfjs's "install tfjs-node" banner and skips debug checks.
  tf.env().set('PROD', true);
  if (tf.getBackend() === name) return;
  let failure: unknown;
  const ok = await tf.setBackend(name).catch((e: unknown) => ((failure = e), false));
  if (!ok)
    throw new ModelError(
      'MODEL_LOAD_FAILED',
      `the ${name} training backend failed to start` +
        (failure instanceof Error ? `: ${failure.message}` : '') +
        (name === 'wasm' ? ' (try --backend cpu)' : ''),
      { backend: name },
      { cause: failure },
    );
  await tf.ready();
}
