/**
 * Which calibration a gallery decides with: its own (`facenet calibrate`) > the one its embedding model carries
 * (`facenet train`, only for the TTA it was measured with) > the shipped default > a typed error naming the command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrate, type CalibrationTable } from '../../src/decide/calibration.js';
import type { ScoredPair } from '../../src/eval/roc.js';
import { FaceError } from '../../src/errors.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { galleryRecognizer, ownCalibrationFor, type FlippableRecognizer } from '../../src/gallery/face-source.js';
import type { StoredCalibration } from '../../src/train/model-meta.js';

const pairs = (shift: number): ScoredPair[] =>
  Array.from({ length: 40 }, (_, i) => ({ distance: (i % 2 ? 0.9 : 0.3) + shift + (i % 7) * 0.01, same: i % 2 === 0 }));

const stored: StoredCalibration = {
  flip: false,
  crops: [],
  chips: '32px chips (source auto)',
  pack: 'dlib128',
  table: calibrate(pairs(0), { modelId: '', source: 'validation' }),
};

function customRecognizer(opts: { calibration?: StoredCalibration; ttaPaddings?: number[] } = {}): FlippableRecognizer {
  return {
    modelId: 'custom@0123456789ab',
    flip: false,
    ttaPaddings: opts.ttaPaddings ?? [],
    ...(opts.calibration ? { modelCalibration: opts.calibration } : {}),
    embed: async () => [],
  };
}

test('ownCalibrationFor: only for the TTA the table was measured with, under the gallery model id', () => {
  const t = ownCalibrationFor(stored, 'custom@0123456789ab', false, []);
  assert.equal(t?.modelId, 'custom@0123456789ab');
  assert.deepEqual(t?.points, stored.table.points);
  assert.equal(ownCalibrationFor(stored, 'custom@0123456789ab', true, []), undefined, 'flip TTA: not measured');
  assert.equal(
    ownCalibrationFor(stored, 'custom@0123456789ab', false, [0.15, 0.35]),
    undefined,
    'crop TTA: not measured',
  );
  assert.equal(
    ownCalibrationFor(stored, 'dlib128-yunet:custom@0123456789ab', false, []),
    undefined,
    'another pack aligns otherwise: not measured',
  );
  assert.equal(ownCalibrationFor(undefined, 'custom@0123456789ab', false, []), undefined);
});

test('gallery calibration > model calibration > error', async () => {
  const gallery = await Gallery.open({
    location: ':memory:',
    recognizer: galleryRecognizer(customRecognizer({ calibration: stored }), false),
  });
  try {
    const fromModel = await gallery.calibration();
    assert.equal(fromModel.origin, 'model');
    assert.equal(fromModel.table.modelId, 'custom@0123456789ab');
    assert.equal(fromModel.table.source, 'validation');
    const own: CalibrationTable = await gallery.saveCalibration(pairs(0.1), 'calibrate --pairs');
    const fromGallery = await gallery.calibration();
    assert.equal(fromGallery.origin, 'gallery');
    assert.deepEqual(fromGallery.table.points, own.points);
  } finally {
    await gallery.close();
  }
});

test('no gallery calibration, a model one for other TTA: a typed error naming the command and options', async () => {
  const gallery = await Gallery.open({
    location: ':memory:',
    recognizer: galleryRecognizer(customRecognizer({ calibration: stored }), true),
  });
  try {
    await assert.rejects(gallery.calibration(), (e: unknown) => {
      assert.ok(e instanceof FaceError);
      assert.equal(e.code, 'CALIBRATION_ERROR');
      assert.match(e.message, /facenet calibrate/);
      assert.match(e.message, /--pack dlib128 --crops none --no-flip/);
      return true;
    });
  } finally {
    await gallery.close();
  }
});

test('a model without a calibration: the error names facenet calibrate', async () => {
  const gallery = await Gallery.open({
    location: ':memory:',
    recognizer: galleryRecognizer(customRecognizer(), false),
  });
  try {
    await assert.rejects(
      gallery.calibration(),
      (e: unknown) => e instanceof FaceError && e.code === 'CALIBRATION_ERROR' && /facenet calibrate/.test(e.message),
    );
  } finally {
    await gallery.close();
  }
});
