import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Embedder } from '../../src/embed/embedder.js';
import { decodeImage } from '../../src/image/decode.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import { loadFaceApi } from '../helpers/face-api-reference.js';

test(
  'ONNX 128-D net equals face-api on tfjs to 1e-4 on the johns chips',
  { skip: needDataset(JOHNS_DIR) },
  async (t) => {
    const files = readdirSync(JOHNS_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => readdirSync(path.join(JOHNS_DIR, d.name)).map((f) => path.join(JOHNS_DIR, d.name, f)))
      .filter((f) => f.endsWith('.jpg'))
      .sort();
    assert.ok(files.length >= 50, `expected the 55 johns chips, found ${files.length}`);
    const chips = await Promise.all(files.map((f) => decodeImage(f)));
    const embedder = await Embedder.load({ threads: 1 });
    const ours = await embedder.embedRaw(chips);
    const faceapi = await loadFaceApi(['faceRecognitionNet']);
    let worst = 0;
    for (let i = 0; i < chips.length; i++) {
      const x = faceapi.tf.tensor3d(chips[i].data, [chips[i].height, chips[i].width, 3], 'int32');
      const ref: Float32Array = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(x);
      x.dispose();
      assert.equal(ref.length, ours[i].length);
      for (let k = 0; k < ref.length; k++) worst = Math.max(worst, Math.abs(ref[k] - ours[i][k]));
    }
    t.diagnostic(`max |onnx - tfjs| over ${chips.length} chips × 128 = ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-4, `max abs difference ${worst} > 1e-4`);
    await embedder.close();
  },
);

test('embeddings are unit length and flip TTA stays unit length', async () => {
  const embedder = await Embedder.load({ threads: 1 });
  const data = new Uint8Array(150 * 150 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
  const chip = { width: 150, height: 150, data };
  for (const flip of [false, true]) {
    const [e] = await embedder.embedChips([chip], { flip });
    assert.equal(e.length, 128);
    const norm = Math.hypot(...e);
    assert.ok(Math.abs(norm - 1) < 1e-5, `norm ${norm}`);
  }
  const [plain] = await embedder.embedChips([chip]);
  const [flipped] = await embedder.embedChips([chip], { flip: true });
  assert.notDeepEqual(
    Array.from(plain),
    Array.from(flipped),
    'flip TTA must change the embedding of an asymmetric chip',
  );
  // a chip of another size is resized to the model input, not rejected
  const [small] = await embedder.embedChips([{ width: 75, height: 75, data: new Uint8Array(75 * 75 * 3).fill(128) }]);
  assert.equal(small.length, 128);
  await embedder.close();
});
