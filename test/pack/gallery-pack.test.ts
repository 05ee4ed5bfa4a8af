import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceRecognizer } from '../../src/recognizer.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { galleryRecognizer, packOfModelId } from '../../src/gallery/face-source.js';
import { modelMismatchAdvice } from '../../src/gallery/model-advice.js';
import { recordedPack } from '../../src/gallery/recorded-pack.js';
import { facenet } from '../helpers/cli.js';
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

test(
  'a gallery enrolled with dlib128 (the default before dlib128-yunet) opens with its recorded pack and identifies',
  { skip: needDataset(LFW_DIR), timeout: 300_000 },
  async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-old-gallery-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'old.db');
    const aaron = (n: number) => path.join(LFW_DIR, `lfw/Aaron_Peirsol/Aaron_Peirsol_000${n}.jpg`);
    const old = await FaceRecognizer.load({ pack: 'dlib128', threads: 1 });
    try {
      const g = await Gallery.open({ location: file, recognizer: galleryRecognizer(old, old.flip) });
      await g.enroll('aaron', aaron(1));
      await g.close();
    } finally {
      await old.close();
    }
    assert.equal(await recordedPack(file), 'dlib128');
    assert.equal(await recordedPack(path.join(dir, 'none.db')), undefined);

    // the library's default recognizer is another pack: refused, with the --pack that opens it
    const fr = await FaceRecognizer.load({ threads: 1 });
    try {
      assert.equal(fr.pack.name, 'dlib128-yunet');
      await assert.rejects(
        Gallery.open({ location: file, recognizer: galleryRecognizer(fr, fr.flip) }),
        (e: unknown) => {
          assert.ok(e instanceof FaceError);
          assert.equal(e.code, 'MODEL_MISMATCH');
          assert.match(e.message, /built with pack dlib128, this recognizer runs pack dlib128-yunet/);
          assert.match(e.message, /--pack dlib128\b/);
          return true;
        },
      );
    } finally {
      await fr.close();
    }

    // the CLI without --pack opens it with the pack it records, and identifies
    const found = facenet(['identify', aaron(2), '--gallery', file, '--threads', '1', '--json'], 180_000);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stderr, /built with pack dlib128: using it/);
    assert.deepEqual(
      found.json.results[0].faces.map((f: { person: string }) => f.person),
      ['aaron'],
    );
    // naming another pack is a mismatch, answered with the advice
    const named = facenet(['identify', aaron(2), '--gallery', file, '--pack', 'dlib128-yunet', '--json'], 180_000);
    assert.equal(named.code, 2);
    assert.equal(named.json.error.code, 'MODEL_MISMATCH');
    assert.match(named.json.error.message, /Open it with --pack dlib128\b/);
  },
);
