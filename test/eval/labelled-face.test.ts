/** The evaluations' face policy: which detection is a photo's labelled face. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import sharp from 'sharp';
import { FaceRecognizer } from '../../src/recognizer.js';
import { distance } from '../../src/embed/vector.js';
import { embedLabelledFace, evalDetect, parseFacePolicy, pickLabelledFace } from '../../src/eval/labelled-face.js';
import { isFaceError } from '../../src/errors.js';
import { LFW_DIR, needDataset } from '../helpers/datasets.js';

const box = (x: number, y: number, side: number) => ({ box: { x, y, width: side, height: side }, score: 0.9 });

test('pickLabelledFace: centre needs a face over the centre; nearest and largest take faces that are off it', () => {
  // a 200×100 photo: a small face over the centre, a large one at the right edge, a tiny one near the centre
  const small = box(90, 40, 30);
  const large = box(140, 20, 60);
  assert.deepEqual(pickLabelledFace([large, small], 200, 100, 'centre'), { face: small, status: 'ok' });
  assert.deepEqual(pickLabelledFace([large, small], 200, 100, 'largest'), { face: large, status: 'central' });
  assert.deepEqual(pickLabelledFace([large, small], 200, 100, 'nearest'), { face: small, status: 'central' });
  // only the off-centre face: centre finds none, the others take it
  assert.deepEqual(pickLabelledFace([large], 200, 100, 'centre'), { face: undefined, status: 'noface' });
  assert.deepEqual(pickLabelledFace([large], 200, 100, 'nearest'), { face: large, status: 'ok' });
  assert.deepEqual(pickLabelledFace([large], 200, 100, 'largest'), { face: large, status: 'ok' });
  assert.deepEqual(pickLabelledFace([], 200, 100, 'largest'), { face: undefined, status: 'noface' });
  assert.equal(parseFacePolicy(undefined, 'largest'), 'largest');
  assert.throws(
    () => parseFacePolicy('biggest', 'centre'),
    (e) => isFaceError(e) && e.code === 'INVALID_INPUT',
  );
});

test(
  'an off-centre face: the centre policy embeds a centre box of background, largest and nearest embed the face',
  { skip: needDataset(LFW_DIR), timeout: 120_000 },
  async () => {
    const photo = path.join(LFW_DIR, 'lfw', 'Aaron_Peirsol', 'Aaron_Peirsol_0001.jpg');
    // the 250×250 LFW photo at the right end of a 700×250 grey canvas: its face is far from the centre
    const { data, info } = await sharp({
      create: { width: 700, height: 250, channels: 3, background: { r: 128, g: 128, b: 128 } },
    })
      .composite([{ input: photo, left: 450, top: 0 }])
      .jpeg({ quality: 95 })
      .toBuffer({ resolveWithObject: true });
    assert.equal(info.width, 700);
    const fr = await FaceRecognizer.load({ threads: 1 });
    try {
      const centred = await embedLabelledFace(fr, await sharp(photo).toBuffer(), evalDetect());
      const centre = await embedLabelledFace(fr, data, evalDetect(), undefined, 'centre');
      const largest = await embedLabelledFace(fr, data, evalDetect(), undefined, 'largest');
      const nearest = await embedLabelledFace(fr, data, evalDetect(), undefined, 'nearest');
      assert.equal(centred.status, 'ok');
      assert.ok(centre.detections.length >= 1, 'the detector finds the face');
      assert.equal(centre.status, 'noface', 'no face covers the centre');
      assert.equal(largest.status, 'ok');
      assert.equal(nearest.status, 'ok');
      // the face embedded off centre is the same face as in the original photo; the centre box is not
      const d = (a: Float32Array) => distance(a, centred.embedding);
      assert.ok(d(largest.embedding) < 0.2, `largest: ${d(largest.embedding)}`);
      assert.ok(d(nearest.embedding) < 0.2, `nearest: ${d(nearest.embedding)}`);
      assert.ok(
        d(centre.embedding) > 0.4 && d(centre.embedding) > 3 * d(largest.embedding),
        `centre box: ${d(centre.embedding)}`,
      );
    } finally {
      await fr.close();
    }
  },
);
