import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceRecognizer, stagesOf } from '../../src/recognizer.js';
import { galleryRecognizer } from '../../src/gallery/face-source.js';
import { PACKS, MODEL_FILES, DEFAULT_PACK } from '../../src/pack/packs.js';
import { assertLicence, resolvePack, routeModel } from '../../src/pack/router.js';
import { BUNDLED_MODELS_DIR, packFiles, packStatus, readVerified } from '../../src/pack/files.js';
import { FaceError } from '../../src/errors.js';
import { MODELS_DIR, needModel } from '../helpers/datasets.js';

test('the default pack is dlib128-yunet; it runs with YuNet from the package and an empty models folder', async () => {
  assert.equal(DEFAULT_PACK, 'dlib128-yunet');
  const pack = resolvePack();
  assert.equal(pack.detector.kind, 'yunet');
  assert.equal(pack.detector.file?.bundled, true);
  assert.ok(existsSync(path.join(BUNDLED_MODELS_DIR, MODEL_FILES.yunet.path)), 'models/yunet holds the file');
  const empty = mkdtempSync(path.join(os.tmpdir(), 'facenet-nomodels-'));
  const fr = await FaceRecognizer.load({ threads: 1, models: empty });
  try {
    assert.equal(fr.pack.name, 'dlib128-yunet');
    assert.match(stagesOf(fr).detector.modelId, /^yunet@ebafce4e3c11/);
    assert.equal(fr.modelId, 'dlib128-yunet:face-recognition-128@c5fab9f794a1');
    assert.equal(
      galleryRecognizer(fr, true).modelId,
      'dlib128-yunet:face-recognition-128@c5fab9f794a1+crops0.15,0.35+flip',
    );
    assert.equal(fr.flip, true);
    assert.deepEqual(readdirSync(empty), [], 'nothing written to the models folder');
  } finally {
    await fr.close();
  }
});

test('dlib128 keeps the ids it had before packs: pipeline key, model id, gallery model id', async () => {
  const fr = await FaceRecognizer.load({ pack: 'dlib128', threads: 1 });
  try {
    assert.equal(fr.pack.name, 'dlib128');
    // pinned from the pipeline before packs existed: the shared embedding cache and the shipped calibration key on
    // these
    assert.equal(
      fr.pipelineKey,
      '{"rev":1,"model":"face-recognition-128@c5fab9f794a1","detector":"ssd-mobilenetv1@854c4b228a51",' +
        '"landmarks":"face-landmark-68@a186a542eb11","align":{"ttaPaddings":[0.15,0.35]}}',
    );
    assert.equal(fr.modelId, 'face-recognition-128@c5fab9f794a1');
    assert.equal(galleryRecognizer(fr, true).modelId, 'face-recognition-128@c5fab9f794a1+crops0.15,0.35+flip');
    assert.equal(fr.flip, true);
  } finally {
    await fr.close();
  }
  const single = await FaceRecognizer.load({ pack: 'dlib128', threads: 1, ttaPaddings: [] });
  try {
    assert.equal(
      single.pipelineKey,
      '{"rev":1,"model":"face-recognition-128@c5fab9f794a1","detector":"ssd-mobilenetv1@854c4b228a51",' +
        '"landmarks":"face-landmark-68@a186a542eb11","align":{}}',
    );
  } finally {
    await single.close();
  }
});

test('pack definitions: unique names, the default is permissive, every file pinned by a sha256', () => {
  const names = PACKS.map((p) => p.name);
  assert.equal(new Set(names).size, names.length);
  assert.equal(resolvePack().name, DEFAULT_PACK);
  assert.equal(resolvePack().licence.permissive, true);
  for (const p of PACKS) for (const f of packFiles(p)) assert.match(f.sha256, /^[0-9a-f]{64}$/);
  assert.throws(
    () => resolvePack('nope'),
    (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT' && /edgeface-xs/.test(e.message),
  );
});

test(
  'the pinned sha256s are those of ../shared/models/SHA256SUMS',
  { skip: needModel(path.join(MODELS_DIR, 'SHA256SUMS')) },
  () => {
    const sums = new Map(
      readFileSync(path.join(MODELS_DIR, 'SHA256SUMS'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/))
        .map(([h, f]) => [f.replace(/^\.\//, ''), h]),
    );
    for (const f of Object.values(MODEL_FILES)) assert.equal(sums.get(f.path), f.sha256, f.path);
  },
);

test(
  'routing: model files are told apart by their inputs and outputs',
  { skip: needModel(path.join(MODELS_DIR, 'edgeface')) },
  () => {
    const role = (f: { path: string }) => routeModel(new Uint8Array(readFileSync(path.join(MODELS_DIR, f.path))));
    assert.equal(role(MODEL_FILES.yunet).role, 'yunet');
    assert.equal(role(MODEL_FILES.scrfd25g).role, 'scrfd');
    assert.equal(role({ path: 'scrfd/scrfd_500m.onnx' }).role, 'scrfd');
    assert.deepEqual(role(MODEL_FILES.edgefaceXs), { role: 'embedder', inputSize: 112, outputDim: 512 });
    assert.deepEqual(role(MODEL_FILES.edgefaceXxs), { role: 'embedder', inputSize: 112, outputDim: 512 });
    assert.throws(
      () => routeModel(new Uint8Array([1, 2, 3, 4, 5])),
      (e: unknown) => e instanceof FaceError && e.code === 'MODEL_LOAD_FAILED',
    );
  },
);

test('licences: a non-permissive pack is refused without an opt-in, and says how to opt in', async () => {
  const saved = process.env.FACENET_ACCEPT_LICENSE;
  delete process.env.FACENET_ACCEPT_LICENSE;
  try {
    for (const name of ['edgeface-xs', 'edgeface-xs-yunet', 'edgeface-xxs']) {
      await assert.rejects(FaceRecognizer.load({ pack: name, models: MODELS_DIR }), (e: unknown) => {
        assert.ok(e instanceof FaceError);
        assert.equal(e.code, 'LICENSE_NOT_ACCEPTED');
        assert.match(e.message, /--accept-license/);
        assert.match(e.message, /FACENET_ACCEPT_LICENSE=1/);
        assert.match(e.message, /acceptLicense/);
        return true;
      });
    }
    assert.doesNotThrow(() => assertLicence(resolvePack('dlib128-yunet')));
    assert.doesNotThrow(() => assertLicence(resolvePack('edgeface-xs'), true));
    process.env.FACENET_ACCEPT_LICENSE = '1';
    assert.doesNotThrow(() => assertLicence(resolvePack('edgeface-xs')));
    assert.throws(
      () => assertLicence(resolvePack('edgeface-xs'), false),
      (e: unknown) => e instanceof FaceError && e.code === 'LICENSE_NOT_ACCEPTED',
    );
  } finally {
    if (saved === undefined) delete process.env.FACENET_ACCEPT_LICENSE;
    else process.env.FACENET_ACCEPT_LICENSE = saved;
  }
});

test(
  'sha256: a model file that differs from its pin is refused before use; a missing one says how to install',
  { skip: needModel(path.join(MODELS_DIR, MODEL_FILES.scrfd25g.path)) },
  async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-models-'));
    const scrfd = MODEL_FILES.scrfd25g;
    await assert.rejects(
      FaceRecognizer.load({ pack: 'edgeface-xs', acceptLicense: true, models: dir }),
      (e: unknown) => {
        assert.ok(e instanceof FaceError);
        assert.equal(e.code, 'MODEL_NOT_INSTALLED');
        assert.match(e.message, /facenet packs add/);
        return true;
      },
    );
    mkdirSync(path.join(dir, 'scrfd'));
    const bytes = readFileSync(path.join(MODELS_DIR, scrfd.path));
    bytes[bytes.length - 1] ^= 1; // one bit flipped
    writeFileSync(path.join(dir, scrfd.path), bytes);
    await assert.rejects(
      readVerified(dir, scrfd),
      (e: unknown) => e instanceof FaceError && e.code === 'MODEL_CHECKSUM',
    );
    await assert.rejects(
      FaceRecognizer.load({ pack: 'edgeface-xs', acceptLicense: true, models: dir }),
      (e: unknown) => e instanceof FaceError && e.code === 'MODEL_CHECKSUM',
    );
    assert.deepEqual(await packStatus(resolvePack('edgeface-xs'), dir), [
      { path: scrfd.path, state: 'checksum-mismatch', from: 'models folder' },
      { path: MODEL_FILES.edgefaceXs.path, state: 'missing', from: 'models folder' },
    ]);
    copyFileSync(path.join(MODELS_DIR, scrfd.path), path.join(dir, scrfd.path));
    assert.equal((await packStatus(resolvePack('edgeface-xs'), dir))[0].state, 'verified');
    // YuNet ships in the package: found and verified there whatever the models folder holds
    assert.deepEqual((await packStatus(resolvePack('edgeface-xs-yunet'), dir))[0], {
      path: MODEL_FILES.yunet.path,
      state: 'verified',
      from: 'package',
    });
  },
);
