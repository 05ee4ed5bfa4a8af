import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FaceRecognizer, stagesOf } from '../../src/recognizer.js';
import { centralFace } from '../../src/detect/box.js';
import { decodeImage } from '../../src/image/decode.js';
import { alignFivePoint, ARCFACE_112_TEMPLATE } from '../../src/align/five-point.js';
import { distance } from '../../src/embed/vector.js';
import { axisPoints, isTurned } from '../../src/align/turned.js';
import { yawFromFivePoints } from '../../src/align/pose.js';
import { MODEL_FILES } from '../../src/pack/packs.js';
import { LFW_DIR, MODELS_DIR, needDataset, needModel } from '../helpers/datasets.js';

const lfw = (name: string, n: number) => path.join(LFW_DIR, 'lfw', name, `${name}_${String(n).padStart(4, '0')}.jpg`);
/**
 * Chosen by looking: Tung Chee-hwa turned far to his left, laughing, at the right of the frame (nose 0.67 eye
 * distances off the eyes' midpoint by SCRFD's points, the most turned in a scan of the first two photos of every 12th
 * LFW person).
 */
const PROFILE = lfw('Tung_Chee-hwa', 1);
const OTHERS = [
  lfw('Aaron_Peirsol', 1),
  lfw('Colin_Powell', 1),
  lfw('George_W_Bush', 1),
  lfw('Jennifer_Aniston', 1),
  lfw('Tony_Blair', 1),
  lfw('Gerhard_Schroeder', 1),
];

const skip = needDataset(LFW_DIR) || needModel(path.join(MODELS_DIR, MODEL_FILES.scrfd25g.path));

test(
  'a face in profile (LFW) is aligned from the detector’s five points in a five-point pack, and still recognised',
  { skip },
  async () => {
    const fr = await FaceRecognizer.load({ pack: 'edgeface-xs', acceptLicense: true, models: MODELS_DIR, threads: 1 });
    try {
      const img = await decodeImage(PROFILE);
      const face = centralFace(await fr.embed(PROFILE), img.width, img.height)!;
      assert.ok(face.points, 'the face carries the detector’s five points');
      assert.equal(face.landmarks, undefined, 'no 68-point net runs in a five-point pack');
      // strongly turned: the nose tip lies far to one side of the eyes' midpoint
      const [le, re, nose] = face.points!;
      const turn = Math.abs(nose.x - (le.x + re.x) / 2) / Math.hypot(re.x - le.x, re.y - le.y);
      assert.ok(turn > 0.5, `turn ${turn.toFixed(2)}`);
      // turned this far, the chip is the five-point warp onto the ArcFace template of the points of a frontal face
      // with the same eyes' and mouth's midpoints (the pack's `turned`: docs/cfp.md)
      assert.ok(isTurned(face, stagesOf(fr).turned), `yaw ${yawFromFivePoints(face.points!).toFixed(0)}°`);
      const spec = { size: 112, template: ARCFACE_112_TEMPLATE };
      assert.deepEqual(
        Buffer.from(face.chip.data),
        Buffer.from(alignFivePoint(img, axisPoints(face.points!), spec).data),
      );
      // and the profile view is still nearer to another photo of him than to any of six other people
      const [same] = await fr.embed(lfw('Tung_Chee-hwa', 2));
      const others = await Promise.all(OTHERS.map(async (f) => centralFace(await fr.embed(f), 250, 250)!));
      const dSame = distance(face.embedding, same.embedding);
      const dOther = Math.min(...others.map((o) => distance(face.embedding, o.embedding)));
      assert.ok(dSame < dOther, `same person ${dSame.toFixed(3)}, nearest other ${dOther.toFixed(3)}`);
    } finally {
      await fr.close();
    }
  },
);
