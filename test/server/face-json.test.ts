/**
 * One JSON shape for one face, from the CLI and the HTTP service alike: `facenet detect --json` and `POST /v1/detect`
 * give the same faces (box, score, landmarks, and the detector's five points, which /v1/detect used to drop).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { faceJson } from '../../src/face-json.js';
import { FaceRecognizer } from '../../src/recognizer.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { buildServer } from '../../src/server/app.js';
import { ServerDb } from '../../src/server/keys.js';
import { DETECTION_DIR, MODELS_DIR, YUNET_MODEL, needDataset, needModel } from '../helpers/datasets.js';
import { facenet } from '../helpers/cli.js';

test('faceJson: whole-pixel box, score to 4 places, points to a tenth; embedding only when asked', () => {
  const face = {
    box: { x: 10.4, y: 20.6, width: 99.5, height: 100.49 },
    score: 0.987654,
    landmarks: [{ x: 1.26, y: 2.24 }],
    points: [{ x: 3.05, y: 4.96 }],
    embedding: Float32Array.of(0.1234567),
    chip: { width: 1, height: 1, data: new Uint8Array(3) },
  };
  assert.deepEqual(faceJson(face), {
    box: { x: 10, y: 21, width: 100, height: 100 },
    score: 0.9877,
    landmarks: [[1.3, 2.2]],
    points: [[3.1, 5]],
  });
  assert.deepEqual(Object.keys(faceJson(face, { landmarks: false, embedding: true })), ['box', 'score', 'embedding']);
});

const photo = path.join(DETECTION_DIR, 'dlib_faces', '2008_002079.jpg');

test(
  'facenet detect --json and POST /v1/detect answer the same faces, with the five points (dlib128-yunet)',
  { skip: needDataset(DETECTION_DIR) || needModel(YUNET_MODEL), timeout: 300_000 },
  async () => {
    const pack = ['--pack', 'dlib128-yunet', '--models', MODELS_DIR];
    const cli = facenet(['detect', photo, ...pack, '--threads', '1', '--json'], 180_000);
    assert.equal(cli.code, 0, cli.stderr);
    const fr = await FaceRecognizer.load({ pack: 'dlib128-yunet', models: MODELS_DIR, threads: 1 });
    const db = ServerDb.open(':memory:');
    const gallery = await Gallery.open({ location: ':memory:', recognizer: fr });
    const app = await buildServer({ gallery, recognizer: fr, db, auth: false });
    try {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(readFileSync(photo))], { type: 'image/jpeg' }), 'photo.jpg');
      const res = await app.inject({ method: 'POST', url: '/v1/detect', payload: form });
      assert.equal(res.statusCode, 200, res.body);
      const http = res.json() as { faces: { points?: unknown[]; landmarks?: unknown[] }[] };
      assert.ok(http.faces.length > 0);
      for (const f of http.faces) {
        assert.equal(f.points?.length, 5, 'the detector points travel over HTTP');
        assert.equal(f.landmarks?.length, 68);
      }
      assert.deepEqual(http.faces, cli.json.faces, 'the same faces, field for field');
    } finally {
      await app.close();
      await gallery.close();
      db.close();
      await fr.close();
    }
  },
);
