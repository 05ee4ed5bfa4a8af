import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { AntispoofPair } from '../../src/liveness/antispoof.js';
import { cropRect, resizeCropBgr } from '../../src/liveness/crop.js';
import { ANTISPOOF_MODELS } from '../../src/pack/liveness.js';
import { BUNDLED_MODELS_DIR, readVerified } from '../../src/pack/files.js';
import { decodeImage } from '../../src/image/decode.js';
import {
  ANTISPOOF_REFERENCES,
  ASSEMBLE_HINT,
  needFile,
  REFERENCE_HINT,
  SILENT_FACE_SAMPLES,
} from '../helpers/antispoof-data.js';

interface Reference {
  x: number[];
  y: number[];
}
const readRef = (i: number) => JSON.parse(readFileSync(ANTISPOOF_REFERENCES[i], 'utf8')) as Reference;
const PER = 3 * 80 * 80;
const missingRef = ANTISPOOF_REFERENCES.map((f) => needFile(f, REFERENCE_HINT)).find(Boolean) ?? false;

test(
  'each anti-spoofing model on the engine matches PyTorch on the reference inputs to 1e-5',
  { skip: missingRef },
  async () => {
    const pair = await AntispoofPair.load({ models: ANTISPOOF_MODELS, modelsDir: BUNDLED_MODELS_DIR, threads: 1 });
    try {
      for (let m = 0; m < ANTISPOOF_MODELS.length; m++) {
        const ref = readRef(m);
        const n = ref.x.length / PER;
        assert.equal(n, 3);
        const y = await pair.runModel(m, Float32Array.from(ref.x), n);
        assert.equal(y.length, ref.y.length);
        let worst = 0;
        for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - ref.y[i]));
        assert.ok(worst <= 1e-5, `${ANTISPOOF_MODELS[m].name}: largest difference ${worst}`);
      }
    } finally {
      await pair.close();
    }
  },
);

/**
 * Face boxes (x, y, w, h) of the reference repository's samples that reproduce the references' crops: any box whose
 * crop corners truncate to the same integers does, and these lie within a few pixels of the boxes the repository
 * drew on its `_result` images.
 */
const SAMPLE_BOXES = [
  { file: SILENT_FACE_SAMPLES.live, index: 1, box: { x: 102, y: 146, width: 209, height: 215 } },
  { file: SILENT_FACE_SAMPLES.replay, index: 2, box: { x: 120, y: 252, width: 252, height: 256 } },
];

for (const { file, index, box } of SAMPLE_BOXES)
  test(
    `the crops of ${file.split('/').pop()} equal the reference crops byte for byte (decode, crop, OpenCV resize)`,
    {
      skip: missingRef || needFile(file, ASSEMBLE_HINT),
    },
    async () => {
      const img = await decodeImage(file);
      assert.deepEqual([img.width, img.height], [480, 640]); // EXIF orientation applied, as cv2.imread does
      for (let m = 0; m < ANTISPOOF_MODELS.length; m++) {
        const ref = readRef(m).x.slice(index * PER, (index + 1) * PER);
        const out = new Float32Array(PER);
        resizeCropBgr(img, cropRect(img.width, img.height, box, ANTISPOOF_MODELS[m].scale), 80, out);
        let differing = 0;
        for (let i = 0; i < PER; i++) if (out[i] !== ref[i]) differing++;
        assert.equal(differing, 0, `${ANTISPOOF_MODELS[m].name}: ${differing} of ${PER} values differ`);
      }
    },
  );

test(
  'the pair scores the reference samples as the repository does: live ≈ 0.99, replay an attack',
  {
    skip:
      missingRef ||
      needFile(SILENT_FACE_SAMPLES.live, ASSEMBLE_HINT) ||
      needFile(SILENT_FACE_SAMPLES.replay, ASSEMBLE_HINT),
  },
  async () => {
    const pair = await AntispoofPair.load({ models: ANTISPOOF_MODELS, modelsDir: BUNDLED_MODELS_DIR, threads: 1 });
    try {
      for (const { file, index, box } of SAMPLE_BOXES) {
        const [s] = await pair.score(await decodeImage(file), [box]);
        const y0 = readRef(0).y.slice(index * 3, index * 3 + 3);
        const y1 = readRef(1).y.slice(index * 3, index * 3 + 3);
        for (let k = 0; k < 3; k++)
          assert.ok(Math.abs(s.probs[k] - (y0[k] + y1[k])) < 1e-5, `class ${k}: ${s.probs[k]}`);
        assert.ok(Math.abs(s.score - (y0[1] + y1[1]) / 2) < 1e-6);
        if (index === 1) assert.ok(s.score > 0.9, `live sample ${s.score}`);
        else assert.notEqual(s.probs.indexOf(Math.max(...s.probs)), 1, 'the replay sample is an attack');
      }
    } finally {
      await pair.close();
    }
  },
);

test('both models ship in the npm package: under 5 MB each, pinned, listed in package.json files', async () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { files: string[] };
  assert.ok(pkg.files.includes('models/antispoof'));
  for (const m of ANTISPOOF_MODELS) {
    assert.ok(m.file.bundled && m.file.path.startsWith('antispoof/'));
    const file = path.join(BUNDLED_MODELS_DIR, m.file.path);
    assert.equal(statSync(file).size, m.file.bytes);
    assert.ok(m.file.bytes < 5 * 1024 * 1024);
    await readVerified(BUNDLED_MODELS_DIR, m.file); // throws MODEL_CHECKSUM on other bytes
  }
  assert.ok(
    statSync(path.join(BUNDLED_MODELS_DIR, 'antispoof/LICENSE')).size > 10_000,
    'the Apache-2.0 text ships too',
  );
});
