/**
 * The `edgeface-xs-128` pack: EdgeFace-XS followed by the 512 → 128 head facenet-ts trained and ships in models/.
 * The head is found without any models folder and verified by its sha256; the pack's embedder gives exactly the head
 * applied to EdgeFace's output (the projection stage is data in the pack, run by the one Embedder).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUNDLED_FILES, EDGEFACE_INPUT, MODEL_FILES } from '../../src/pack/packs.js';
import { loadPackStages, resolvePack, routeModel } from '../../src/pack/router.js';
import { BUNDLED_MODELS_DIR, packStatus, sha256Hex } from '../../src/pack/files.js';
import { ortEngine } from '../../src/engine/ort.js';
import { Embedder } from '../../src/embed/embedder.js';
import { decodeImage } from '../../src/image/decode.js';
import { l2Normalize } from '../../src/embed/vector.js';
import { readModelMeta } from '../../src/train/model-meta.js';
import { FaceRecognizer } from '../../src/recognizer.js';
import { facenet } from '../helpers/cli.js';
import { JOHNS_DIR, MODELS_DIR, needDataset, needModel } from '../helpers/datasets.js';

const HEAD = path.join(BUNDLED_MODELS_DIR, BUNDLED_FILES.edgefaceXsHead128.path);

test('edgeface-xs-128: the shipped head, pinned by sha256, is a 512 → 128 projection from facenet train', async () => {
  const bytes = new Uint8Array(readFileSync(HEAD));
  assert.equal(sha256Hex(bytes), BUNDLED_FILES.edgefaceXsHead128.sha256);
  assert.equal(bytes.length, BUNDLED_FILES.edgefaceXsHead128.bytes);
  assert.deepEqual(routeModel(bytes), { role: 'projection', outputDim: 128 });
  const meta = await readModelMeta(bytes);
  assert.equal(meta.arch, 'head');
  assert.equal(meta.props['facenet.pack'], 'edgeface-xs');
  assert.equal(meta.props['facenet.input_dim'], '512');
  // trained on people outside the View 1 test pairs, with its validation calibration stored
  assert.ok(meta.calibration, 'a stored validation calibration');
  const settings = meta.settings as { data?: { trainIdentities?: number }; loss?: string } | undefined;
  assert.ok((settings?.data?.trainIdentities ?? 0) > 1000);
  // distilled from EdgeFace-XS's similarities (docs/packs.md, "512 → 128 head"), and labelled experimental
  assert.equal(settings?.loss, 'distil');
  assert.match(resolvePack('edgeface-xs-128').experimental ?? '', /FF .* FP/);
  // an empty models folder: the bundled head is still there, the EdgeFace and SCRFD files are not
  const empty = mkdtempSync(path.join(os.tmpdir(), 'models-'));
  const status = await packStatus(resolvePack('edgeface-xs-128'), empty);
  assert.deepEqual(
    status.map((s) => [s.path, s.state]),
    [
      [MODEL_FILES.scrfd25g.path, 'missing'],
      [MODEL_FILES.edgefaceXs.path, 'missing'],
      [BUNDLED_FILES.edgefaceXsHead128.path, 'verified'],
    ],
  );
});

test(
  'edgeface-xs-128: the pack embedder gives the head applied to EdgeFace-XS output (≤ 1e-5), 128-D unit vectors',
  { skip: needModel(path.join(MODELS_DIR, MODEL_FILES.edgefaceXs.path)) || needDataset(JOHNS_DIR) },
  async () => {
    const people = readdirSync(JOHNS_DIR)
      .filter((d) => !d.includes('.'))
      .sort()
      .slice(0, 2);
    const files = people.flatMap((p) =>
      readdirSync(path.join(JOHNS_DIR, p))
        .filter((f) => f.endsWith('.jpg'))
        .sort()
        .slice(0, 2)
        .map((f) => path.join(JOHNS_DIR, p, f)),
    );
    const chips = await Promise.all(files.map((f) => decodeImage(f)));
    const stages = await loadPackStages(resolvePack('edgeface-xs-128'), { models: MODELS_DIR, threads: 1 });
    const net = await Embedder.load({
      threads: 1,
      network: {
        name: 'edgeface-xs',
        bytes: new Uint8Array(readFileSync(path.join(MODELS_DIR, MODEL_FILES.edgefaceXs.path))),
        sha256: MODEL_FILES.edgefaceXs.sha256,
        input: EDGEFACE_INPUT,
      },
    });
    const head = await ortEngine.load(new Uint8Array(readFileSync(HEAD)), { threads: 1 });
    try {
      const { embedder } = stages;
      assert.equal(embedder.dim, 128);
      const headId = BUNDLED_FILES.edgefaceXsHead128.sha256.slice(0, 12);
      assert.equal(embedder.modelId, `edgeface-xs@14e8fda2676a+head128@${headId}`);
      const got = await embedder.embedChips(chips);
      const raw = await net.embedRaw(chips);
      assert.equal(raw[0].length, 512);
      const flat = new Float32Array(raw.length * 512);
      raw.forEach((r, i) => flat.set(r, i * 512));
      const out = (await head.run({ features: { data: flat, dims: [raw.length, 512] } })).embedding;
      for (let i = 0; i < got.length; i++) {
        assert.equal(got[i].length, 128);
        const want = l2Normalize(out.data.slice(i * 128, (i + 1) * 128));
        let d = 0;
        for (let k = 0; k < 128; k++) d = Math.max(d, Math.abs(got[i][k] - want[k]));
        assert.ok(d <= 1e-5, `chip ${i}: max diff ${d}`);
        assert.ok(Math.abs(Math.hypot(...got[i]) - 1) < 1e-5);
      }
      // not a constant map: the two people are further apart than two photos of one
      const dist = (a: Float32Array, b: Float32Array) => Math.hypot(...a.map((x, k) => x - b[k]));
      assert.ok(dist(got[0], got[2]) > dist(got[0], got[1]));
    } finally {
      await Promise.all([stages.detector.close(), stages.embedder.close(), net.close(), head.close()]);
    }
  },
);

test(
  'facenet train --arch head --pack edgeface-xs on the johns: ' +
    'a 512 → 128 projection that --projection runs after EdgeFace',
  { skip: needModel(path.join(MODELS_DIR, MODEL_FILES.edgefaceXs.path)) || needDataset(JOHNS_DIR), timeout: 180_000 },
  async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'head-train-'));
    try {
      const out = path.join(dir, 'out');
      // a private embedding cache: the test computes its own embeddings and leaves the shared one alone
      const args = [
        'train',
        '--arch',
        'head',
        '--pack',
        'edgeface-xs',
        '--accept-license',
        '--models',
        MODELS_DIR,
        '--data',
        JOHNS_DIR,
        '--out',
        out,
        '--epochs',
        '2',
      ];
      const r = facenet(
        [
          ...args,
          '--p',
          '3',
          '--k',
          '2',
          '--negatives',
          '0',
          '--workers',
          '0',
          '--cache',
          path.join(dir, 'cache.db'),
          '--json',
        ],
        150_000,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.missingFaces, 0);
      assert.ok(r.json.calibration, 'the validation calibration is stored');
      const bytes = new Uint8Array(readFileSync(path.join(out, 'model.onnx')));
      assert.deepEqual(routeModel(bytes), { role: 'projection', outputDim: 128 });
      const meta = await readModelMeta(bytes);
      assert.equal(meta.calibration?.pack, 'edgeface-xs');
      // without --arch head, --pack is refused (a pack's embedder is not trained from scratch)
      const bad = facenet([
        'train',
        '--pack',
        'edgeface-xs',
        '--data',
        JOHNS_DIR,
        '--out',
        path.join(dir, 'bad'),
        '--json',
      ]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stdout + bad.stderr, /--arch head/);

      const fr = await FaceRecognizer.load({
        pack: 'edgeface-xs',
        models: MODELS_DIR,
        acceptLicense: true,
        projectionPath: path.join(out, 'model.onnx'),
        threads: 1,
      });
      try {
        assert.match(fr.modelId, /^edgeface-xs:edgeface-xs@14e8fda2676a\+head@[0-9a-f]{12}$/);
        const person = readdirSync(JOHNS_DIR)
          .filter((d) => !d.includes('.'))
          .sort()[0];
        const file = readdirSync(path.join(JOHNS_DIR, person))
          .filter((f) => f.endsWith('.jpg'))
          .sort()[0];
        const [face] = await fr.embed(readFileSync(path.join(JOHNS_DIR, person, file)));
        assert.equal(face.embedding.length, 128);
        assert.ok(fr.modelCalibration, "the head's stored calibration comes with it");
      } finally {
        await fr.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
