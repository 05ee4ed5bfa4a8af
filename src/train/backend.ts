/**
 * tfjs set-up for training: the wasm backend (XNNPACK kernels, single-threaded under Node) by default,
 * tfjs-cpu for reference checks. Import tf from here so every module shares one engine.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export { tf };

export type TrainBackend = 'wasm' | 'cpu';

/** Select (and initialise) a backend; idempotent. */
export async function useBackend(name: TrainBackend = 'wasm'): Promise<void> {
  // PROD mode silences tfjs's "install tfjs-node" banner and skips debug checks.
  tf.env().set('PROD', true);
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`the ${name} training backend failed to start`);
  await tf.ready();
}
