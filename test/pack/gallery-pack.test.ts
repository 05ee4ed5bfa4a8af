import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceRecognizer } from '../../src/recognizer.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { galleryRecognizer, packOfModelId } from '../../src/gallery/face-source.js';
import { modelMismatchAdvice } from '../../src/gallery/model-advice.js';
import { FaceError } from '../../src/errors.js';
import { LFW_DIR, MODELS_DIR, needDataset, needModel } from '../helpers/datasets.js';
import { MODEL_FILES } from '../../src/pack/packs.js';

test('model ids name their pack; the advice says which --pack opens the gallery', () => {
  assert.equal(packOfModelId('face-recognition-128@c5fab9f794a1+crops0.15,0.35+flip'), 'dlib128');
  assert.equal(packOfModelId('edgeface-xs:edgeface-xs@14e8fda2676a'), 'edgeface-xs');
  assert.equal(packOfModelId('dlib128-yunet:face-recognition-128@c5fab9f794a1+flip'), 'dlib128-yunet');
  assert.equal(packOfModelId('custom@0123456789ab'), undefined);
  assert.match(modelMismatchAdvice('edgeface-xs:edgeface-xs@1', ['face-recognition-128@2+flip']), /--pack dlib128/);
  assert.match(
    modelMismatchAdvice('face-recognition-128@2', ['face-recognition-128@2+flip']),
    /test-time augmentation/,
  );
});

const skip = needDataset(LFW_DIR) || needModel(path.join(MODELS_DIR, MODEL_FILES.edgefaceXs.path));

test(
  'a gallery records its pack: opening it with another pack is refused with how to proceed, and nothing changes',
  { skip },
  async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-gallery-pack-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'g.db');
    const photo = path.join(LFW_DIR, 'lfw/Aaron_Peirsol/Aaron_Peirsol_0001.jpg');
    const edge = await FaceRecognizer.load({
      pack: 'edgeface-xs-yunet',
      acceptLicense: true,
      models: MODELS_DIR,
      threads: 1,
    });
    try {
      const g = await Gallery.open({ location: file, recognizer: galleryRecognizer(edge, edge.flip) });
      await g.enroll('aaron', photo);
      await g.close();
    } finally {
      await edge.close();
    }
    const dlib = await FaceRecognizer.load({ threads: 1 });
    try {
      await assert.rejects(
        Gallery.open({ location: file, recognizer: galleryRecognizer(dlib, dlib.flip) }),
        (e: unknown) => {
          assert.ok(e instanceof FaceError);
          assert.equal(e.code, 'MODEL_MISMATCH');
          assert.match(e.message, /built with pack edgeface-xs-yunet/);
          assert.match(e.message, /--pack edgeface-xs-yunet/);
          return true;
        },
      );
    } finally {
      await dlib.close();
    }
    const plain = await Gallery.open({ location: file });
    assert.deepEqual(
      (await plain.people()).map((p) => p.name),
      ['aaron'],
    );
    await plain.close();
  },
);
