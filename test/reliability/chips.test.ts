/**
 * Aligned chips must show a face (issue 20, probe 1): two-tone, gradient and split squares sent with `aligned=true`
 * were enrolled and then matched each other. Through the real server (dlib's 150×150 chips) and through the library
 * with a five-point pack (112×112 ArcFace chips): non-faces are NO_FACE and nothing is stored; real chips still work.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { FaceRecognizer } from '../../src/recognizer.js';
import { MODEL_FILES } from '../../src/pack/packs.js';
import { JOHNS_DIR, LFW_DIR, MODELS_DIR, needDataset, needModel } from '../helpers/datasets.js';
import { alive, call, chips, form, serve, stored, type Served } from './harness.js';

/** The probe's non-faces, `side`×`side` PNGs: each pixel's grey level from (x, y). */
export async function nonFaces(side: number): Promise<Record<string, Buffer>> {
  const square = (level: (x: number, y: number) => number) => {
    const data = Buffer.alloc(side * side * 3);
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) data.fill(level(x, y), 3 * (y * side + x), 3 * (y * side + x) + 3);
    return sharp(data, { raw: { width: side, height: side, channels: 3 } })
      .png()
      .toBuffer();
  };
  const half = side / 2;
  return {
    'half black, half white': await square((x) => (x < half ? 0 : 255)),
    gradient: await square((x, y) => Math.round(((x + y) / (2 * side)) * 255)),
    '60/90 split': await square((x) => (x < half ? 60 : 90)),
    'horizontal split': await square((_, y) => (y < half ? 0 : 255)),
  };
}

const skip = needDataset(JOHNS_DIR);
let fr: FaceRecognizer;
let s: Served;

before(async () => {
  if (skip) return;
  fr = await FaceRecognizer.load({ threads: 1 });
  s = await serve(fr);
});
after(async () => {
  await s?.close();
  await fr?.close();
});

test('non-face "aligned" chips: enroll and identify answer NO_FACE, nothing is stored', { skip }, async () => {
  const fakes = await nonFaces(150);
  for (const [what, png] of Object.entries(fakes)) {
    const enrolled = await call(s.base, 'POST', '/v1/people', {
      key: s.admin,
      body: form({ name: 'Two Tone', aligned: 'true' }, png, 'image/png'),
    });
    assert.equal(enrolled.status, 422, `${what}: ${enrolled.text}`);
    assert.equal(enrolled.json.error.code, 'NO_FACE', what);
    for (const route of ['/v1/identify', '/v1/verify']) {
      const r = await call(s.base, 'POST', route, {
        key: s.recognize,
        body: form({ aligned: 'true', name: 'John Salley' }, png, 'image/png'),
      });
      assert.ok(
        r.json?.error?.code === 'NO_FACE' || r.json?.error?.code === 'PERSON_NOT_FOUND',
        `${route} ${what}: ${r.text}`,
      );
    }
  }
  assert.deepEqual(await stored(s.file), [], 'nothing stored');
  assert.ok(await alive(s.base));

  // real aligned chips still enroll and are identified; then the non-faces are still refused, never matched
  const salley = chips('John_Salley').map((f) => readFileSync(f));
  const r = await call(s.base, 'POST', '/v1/people', {
    key: s.admin,
    body: form({ name: 'John Salley', aligned: 'true' }, salley[0]),
  });
  assert.equal(r.status, 201, r.text);
  const id = await call(s.base, 'POST', '/v1/identify', {
    key: s.recognize,
    body: form({ aligned: 'true' }, salley[1]),
  });
  assert.equal(id.json.faces[0].person, 'John Salley', id.text);
  for (const [what, png] of Object.entries(fakes)) {
    const probe = await call(s.base, 'POST', '/v1/identify', {
      key: s.recognize,
      body: form({ aligned: 'true' }, png, 'image/png'),
    });
    assert.equal(probe.json?.error?.code, 'NO_FACE', `${what}: ${probe.text}`);
  }
});

test('every johns chip (150×150, aligned) still passes the face check', { skip }, async () => {
  const files = readdirSync(JOHNS_DIR)
    .filter((d) => d.startsWith('John_'))
    .flatMap((d) => chips(d));
  assert.equal(files.length, 55);
  for (const f of files) assert.equal((await fr.align(f, { aligned: true })).length, 1, f);
});

const fivePointSkip =
  needDataset(LFW_DIR) || needModel(path.join(MODELS_DIR, MODEL_FILES.yunet.path)) || needDataset(JOHNS_DIR);

test(
  'a five-point pack (112×112 ArcFace chips): non-faces are NO_FACE, chips the pack made are faces',
  { skip: fivePointSkip },
  async () => {
    const five = await FaceRecognizer.load({
      pack: 'edgeface-xs-yunet',
      models: MODELS_DIR,
      acceptLicense: true,
      threads: 1,
    });
    try {
      for (const [what, png] of Object.entries(await nonFaces(112)))
        await assert.rejects(five.embed(png, { aligned: true }), { code: 'NO_FACE' }, what);
      // chips the pack itself cut from LFW photos (ArcFace template, 112×112) are faces
      const lfw = path.join(LFW_DIR, 'lfw');
      for (const name of ['Aaron_Peirsol', 'Colin_Powell', 'Serena_Williams', 'Junichiro_Koizumi']) {
        const photo = path.join(lfw, name, `${name}_0001.jpg`);
        const [face] = await five.align(photo);
        assert.equal(face.chip.width, 112);
        const png = await sharp(Buffer.from(face.chip.data), { raw: { width: 112, height: 112, channels: 3 } })
          .png()
          .toBuffer();
        assert.equal((await five.embed(png, { aligned: true })).length, 1, name);
      }
    } finally {
      await five.close();
    }
  },
);
