/** The liveness check through FaceRecognizer (the default pack, real networks): policies and bad input. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FaceRecognizer, stagesOf } from '../../src/recognizer.js';
import { FaceError } from '../../src/errors.js';
import { decodeImage } from '../../src/image/decode.js';
import type { RgbImage } from '../../src/image/types.js';
import { DETECTION_DIR, JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import { ASSEMBLE_HINT, needFile, SILENT_FACE_SAMPLES } from '../helpers/antispoof-data.js';

const GROUP = path.join(DETECTION_DIR, 'dlib_faces/2008_002506.jpg');
const CHIP = path.join(JOHNS_DIR, 'John_Simm/000288_00470387.jpg');
const code = (c: string) => (e: unknown) => e instanceof FaceError && e.code === c;

let fr: FaceRecognizer;
before(async () => {
  fr = await FaceRecognizer.load({ threads: 1 });
});
after(async () => {
  await fr?.close();
});

test('no face: every policy answers an empty list, require included', async () => {
  const blank: RgbImage = { width: 200, height: 160, data: new Uint8Array(200 * 160 * 3).fill(128) };
  for (const liveness of ['off', 'warn', 'require'] as const)
    assert.deepEqual(await fr.detect(blank, { liveness }), []);
  assert.deepEqual(await fr.embed(blank, { liveness: 'require' }), []);
});

test(
  'several faces: each face gets its own verdict, the one its own box gives',
  { skip: needDataset(DETECTION_DIR) },
  async () => {
    const faces = await fr.detect(GROUP, { liveness: 'warn' });
    assert.ok(faces.length >= 3, `${faces.length} faces`);
    const img = await decodeImage(GROUP);
    const check = await stagesOf(fr).liveness.checker();
    for (const f of faces) {
      assert.ok(f.liveness && f.liveness.score >= 0 && f.liveness.score <= 1, JSON.stringify(f.liveness));
      assert.equal(f.liveness.live, f.liveness.score >= f.liveness.threshold);
      const [alone] = await check.judge(img, [f.box]);
      assert.ok(Math.abs(alone.score - f.liveness.score) < 1e-6, 'judged alone, the face scores the same');
    }
    assert.equal(new Set(faces.map((f) => f.liveness!.score.toFixed(6))).size, faces.length, 'one score per face');
    assert.deepEqual(
      (await fr.detect(GROUP)).map((f) => f.liveness),
      faces.map(() => undefined),
      'off (the default) judges nothing',
    );
  },
);

test(
  'tiny faces at the edges and corners of a photo are judged without error',
  { skip: needDataset(DETECTION_DIR) },
  async () => {
    const img = await decodeImage(GROUP);
    const { width: W, height: H } = img;
    const boxes = [
      { x: 0, y: 0, width: 2, height: 2 },
      { x: W - 3, y: H - 3, width: 3, height: 3 },
      { x: -4, y: H / 2, width: 8, height: 9 },
      { x: W - 6, y: -5, width: 12, height: 12 },
      { x: -10, y: -10, width: W + 20, height: H + 20 }, // larger than the photo
    ];
    const verdicts = await (await stagesOf(fr).liveness.checker()).judge(img, boxes);
    assert.equal(verdicts.length, boxes.length);
    for (const v of verdicts) assert.ok(v.score >= 0 && v.score <= 1 && typeof v.live === 'boolean', JSON.stringify(v));
  },
);

test('a box without a usable size is INVALID_INPUT, not a crash', { skip: needDataset(DETECTION_DIR) }, async () => {
  const img = await decodeImage(GROUP);
  const check = await stagesOf(fr).liveness.checker();
  for (const box of [
    { x: 0, y: 0, width: 0, height: 10 },
    { x: 0, y: 0, width: 10, height: -1 },
    { x: Number.NaN, y: 0, width: 10, height: 10 },
    { x: 0, y: 0, width: Infinity, height: 10 },
  ])
    await assert.rejects(check.judge(img, [box]), code('INVALID_INPUT'));
});

test(
  'an aligned chip: warn judges nothing, require refuses (the check needs the photo)',
  { skip: needDataset(JOHNS_DIR) },
  async () => {
    const [chip] = await fr.embed(CHIP, { aligned: true, liveness: 'warn' });
    assert.equal(chip.liveness, undefined);
    await assert.rejects(fr.embed(CHIP, { aligned: true, liveness: 'require' }), code('INVALID_INPUT'));
  },
);

test(
  "require: the repository's replay sample is refused with SPOOF_SUSPECTED, its live sample passes",
  {
    skip: needFile(SILENT_FACE_SAMPLES.replay, ASSEMBLE_HINT) || needFile(SILENT_FACE_SAMPLES.live, ASSEMBLE_HINT),
  },
  async () => {
    await assert.rejects(
      fr.embed(SILENT_FACE_SAMPLES.replay, { liveness: 'require' }),
      (e: unknown) =>
        e instanceof FaceError &&
        e.code === 'SPOOF_SUSPECTED' &&
        e.details?.source === SILENT_FACE_SAMPLES.replay &&
        (e.details?.faces as { liveness: { live: boolean } }[])[0].liveness.live === false,
    );
    const [live] = await fr.embed(SILENT_FACE_SAMPLES.live, { liveness: 'require' });
    assert.ok(live.liveness?.live && live.liveness.score > 0.9, JSON.stringify(live.liveness));
    assert.equal(live.embedding.length, 128);
    const [flagged] = await fr.detect(SILENT_FACE_SAMPLES.replay, { liveness: 'warn' });
    assert.equal(flagged.liveness?.live, false, 'warn flags it instead');
  },
);
