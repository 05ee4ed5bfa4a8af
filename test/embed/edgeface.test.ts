import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Embedder } from '../../src/embed/embedder.js';
import { chipsToTensor } from '../../src/embed/input-spec.js';
import { ortEngine } from '../../src/engine/ort.js';
import { EDGEFACE_INPUT, MODEL_FILES } from '../../src/pack/packs.js';
import { readVerified } from '../../src/pack/files.js';
import { DETECTION_DIR, MODELS_DIR, needDataset, needModel } from '../helpers/datasets.js';
import { FaceRecognizer, stagesOf } from '../../src/recognizer.js';
import type { RgbImage } from '../../src/image/types.js';

for (const [variant, file] of [
  ['xs', MODEL_FILES.edgefaceXs],
  ['xxs', MODEL_FILES.edgefaceXxs],
] as const) {
  test(
    `EdgeFace-${variant.toUpperCase()} on onnxruntime matches PyTorch's reference output to 1e-4`,
    { skip: needModel(path.join(MODELS_DIR, `edgeface/reference-${variant}.json`)) },
    async () => {
      const ref = JSON.parse(readFileSync(path.join(MODELS_DIR, `edgeface/reference-${variant}.json`), 'utf8')) as {
        x: number[];
        y: number[];
      };
      const bytes = await readVerified(MODELS_DIR, file);
      const session = await ortEngine.load(bytes, { threads: 1 });
      try {
        const n = ref.x.length / (3 * 112 * 112);
        assert.equal(n, 2);
        const out = await session.run({
          [EDGEFACE_INPUT.inputName]: { data: Float32Array.from(ref.x), dims: [n, 3, 112, 112] },
        });
        const y = out[EDGEFACE_INPUT.outputName];
        assert.deepEqual(y.dims, [2, 512]);
        let worst = 0;
        for (let i = 0; i < ref.y.length; i++) worst = Math.max(worst, Math.abs(y.data[i] - ref.y[i]));
        assert.ok(worst <= 1e-4, `largest difference ${worst}`);
      } finally {
        await session.close();
      }
    },
  );
}

test('input spec: EdgeFace chips become RGB NCHW (x − 127.5) / 127.5; BGR and NHWC reorder', () => {
  const chip: RgbImage = { width: 112, height: 112, data: new Uint8Array(112 * 112 * 3) };
  chip.data.set([0, 127, 255], 0); // pixel (0, 0)
  chip.data.set([255, 0, 51], 3); // pixel (1, 0)
  const t = chipsToTensor([chip], EDGEFACE_INPUT);
  const plane = 112 * 112;
  assert.deepEqual(t.dims, [1, 3, 112, 112]);
  const near = (got: number[], want: number[]) =>
    got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-6, `${got} vs ${want}`));
  near([t.data[0], t.data[plane], t.data[2 * plane]], [-1, (127 - 127.5) / 127.5, 1]);
  near([t.data[1], t.data[plane + 1], t.data[2 * plane + 1]], [1, -1, (51 - 127.5) / 127.5]);
  const bgr = chipsToTensor([chip], { ...EDGEFACE_INPUT, channels: 'bgr', layout: 'nhwc', mean: 0, std: 1 });
  assert.deepEqual(bgr.dims, [1, 112, 112, 3]);
  assert.deepEqual(Array.from(bgr.data.slice(0, 6)), [255, 127, 0, 51, 0, 255]);
});

test(
  'the generic Embedder runs EdgeFace from its input spec: 512-D unit vectors, same as the raw session',
  { skip: needModel(path.join(MODELS_DIR, MODEL_FILES.edgefaceXs.path)) },
  async () => {
    const bytes = await readVerified(MODELS_DIR, MODEL_FILES.edgefaceXs);
    const emb = await Embedder.load({
      threads: 1,
      network: { name: 'edgeface-xs', bytes, sha256: MODEL_FILES.edgefaceXs.sha256, input: EDGEFACE_INPUT },
    });
    const session = await ortEngine.load(bytes, { threads: 1 });
    try {
      assert.equal(emb.modelId, `edgeface-xs@${MODEL_FILES.edgefaceXs.sha256.slice(0, 12)}`);
      assert.equal(emb.inputSize, 112);
      const chip: RgbImage = {
        width: 112,
        height: 112,
        data: Uint8Array.from({ length: 112 * 112 * 3 }, (_, i) => (i * 37) % 256),
      };
      const [raw] = await emb.embedRaw([chip]);
      const direct = (await session.run({ input: chipsToTensor([chip], EDGEFACE_INPUT) })).embedding.data;
      assert.equal(raw.length, 512);
      for (let i = 0; i < 512; i++) assert.ok(Math.abs(raw[i] - direct[i]) < 1e-6);
      const [unit] = await emb.embedChips([chip]);
      assert.ok(Math.abs(Math.hypot(...unit) - 1) < 1e-5);
    } finally {
      await emb.close();
      await session.close();
    }
  },
);

test(
  "a photo's faces embedded in one batch (one session.run) equal each face embedded alone, to 1e-5",
  {
    skip:
      needModel(path.join(MODELS_DIR, MODEL_FILES.edgefaceXs.path)) ||
      needModel(path.join(MODELS_DIR, MODEL_FILES.yunet.path)) ||
      needDataset(DETECTION_DIR),
  },
  async () => {
    // the bench photo: six faces, embedded by FaceRecognizer.embed in one batch
    const fr = await FaceRecognizer.load({
      pack: 'edgeface-xs-yunet',
      models: MODELS_DIR,
      acceptLicense: true,
      threads: 1,
    });
    try {
      const faces = await fr.embed(path.join(DETECTION_DIR, 'dlib_faces/2008_002470.jpg'));
      assert.ok(faces.length >= 6, `${faces.length} faces`);
      let worst = 0;
      for (const f of faces) {
        const alone = await stagesOf(fr).embedChip(f.chip);
        for (let i = 0; i < alone.length; i++) worst = Math.max(worst, Math.abs(alone[i] - f.embedding[i]));
      }
      assert.ok(worst <= 1e-5, `largest difference ${worst}`);
    } finally {
      await fr.close();
    }
  },
);
