/**
 * face-api's own networks on @tensorflow/tfjs (wasm backend): the reference our ONNX graphs must match,
 * and the peer the benchmark compares against.
 */
import { createRequire } from 'node:module';
import { faceApiModelDir } from '../../src/engine/model-store.js';

// face-api's node-wasm bundle is CommonJS and typed loosely; keep its types at this boundary.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FaceApi = any;

let loaded: Promise<FaceApi> | undefined;

export function loadFaceApi(
  nets: readonly ('faceRecognitionNet' | 'ssdMobilenetv1' | 'faceLandmark68Net')[] = ['faceRecognitionNet'],
): Promise<FaceApi> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
    await faceapi.tf.setBackend('wasm');
    await faceapi.tf.ready();
    return faceapi;
  })();
  return loaded.then(async (faceapi) => {
    for (const n of nets) if (!faceapi.nets[n].isLoaded) await faceapi.nets[n].loadFromDisk(faceApiModelDir());
    return faceapi;
  });
}
