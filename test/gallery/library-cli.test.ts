/**
 * Defaults that agree: a library user who opens a gallery with `Gallery.open({ location, recognizer: fr })` works on
 * the galleries the CLI makes (and the other way round), with no TTA flags to match and no MODEL_MISMATCH.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FaceRecognizer } from '../../src/recognizer.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { galleryModelId, galleryRecognizer, type FlippableRecognizer } from '../../src/gallery/face-source.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import { facenet } from '../helpers/cli.js';

const chips = (name: string) =>
  readdirSync(path.join(JOHNS_DIR, name))
    .sort()
    .map((f) => path.join(JOHNS_DIR, name, f));

const fake = (flip: boolean): FlippableRecognizer => ({
  modelId: 'net@0123456789ab',
  flip,
  ttaPaddings: [0.15, 0.35],
  embed: async () => [],
});

test("galleryRecognizer(fr) and Gallery.open({ recognizer: fr }) use the recognizer's own flip", async () => {
  for (const flip of [true, false]) {
    const id = galleryModelId('net@0123456789ab', flip, [0.15, 0.35]);
    assert.equal(galleryRecognizer(fake(flip)).modelId, id);
    const g = await Gallery.open({ location: ':memory:', recognizer: fake(flip) });
    try {
      assert.equal(g.modelId, id);
    } finally {
      await g.close();
    }
  }
});

test(
  'a CLI-made gallery takes the library FaceRecognizer as loaded by default, and the CLI reads what it enrolls',
  { skip: needDataset(JOHNS_DIR), timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'facenet-libcli-'));
    const file = path.join(dir, 'faces.db');
    const fr = await FaceRecognizer.load({ threads: 1 });
    try {
      const made = facenet(['enroll', 'John Simm', chips('John_Simm')[0], '--aligned', '--gallery', file, '--json']);
      assert.equal(made.code, 0, made.stderr);
      const g = await Gallery.open({ location: file, recognizer: fr });
      try {
        // enrolling was refused with MODEL_MISMATCH when the library's default differed from the CLI's
        const r = await g.enroll('John Savage', [chips('John_Savage')[0]], { aligned: true });
        assert.equal(r.created, true);
        assert.equal((await g.verify('John Simm', chips('John_Simm')[1], { aligned: true })).match, true);
        const [face] = (await g.identify(chips('John_Savage')[1], { aligned: true })).faces;
        assert.equal(face.person, 'John Savage');
      } finally {
        await g.close();
      }
      const read = facenet(['identify', chips('John_Savage')[2], '--aligned', '--gallery', file, '--json']);
      assert.equal(read.code, 0, read.stderr);
      assert.equal(read.json.results[0].faces[0].person, 'John Savage');
    } finally {
      await fr.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
