/**
 * Liveness policies in the gallery (enroll, verify, identify), on the fake recognizer: which face is judged, what a
 * refusal stores (nothing), and the flags under warn. A fake face is "not live" when its photo's variant code
 * (blue of the code pixel) is 200 or more; the recognizer judges only when asked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gallery } from '../../src/gallery/gallery.js';
import { FaceError } from '../../src/errors.js';
import type { FaceFindOptions, GalleryFace } from '../../src/gallery/face-source.js';
import type { ImageInput } from '../../src/image/types.js';
import { codedImage, fakeCalibration, FakeRecognizer } from '../gallery/fake-recognizer.js';

const SPOOF = 200;

/** The fake recognizer, judging liveness when asked: the largest face takes the photo's verdict, others are live. */
class FakeLivenessRecognizer extends FakeRecognizer {
  asked: (string | undefined)[] = [];
  override async embed(img: ImageInput, opts?: FaceFindOptions): Promise<GalleryFace[]> {
    this.asked.push(opts?.liveness);
    const faces = await super.embed(img, opts);
    if (!opts?.liveness || opts.liveness === 'off') return faces;
    const spoof = (img as { data: Uint8Array }).data[2] >= SPOOF;
    return faces.map((f, i) => {
      const score = i === 0 && spoof ? 0.1 : 0.9;
      return { ...f, liveness: { live: score >= 0.5, score, threshold: 0.5 } };
    });
  }
}

async function open() {
  const recognizer = new FakeLivenessRecognizer();
  const gallery = await Gallery.open({ location: ':memory:', recognizer, calibration: fakeCalibration() });
  return { gallery, recognizer };
}
const code = (c: string) => (e: unknown) => e instanceof FaceError && e.code === c;

test('enroll under require: a photo judged not live enrolls nothing, even with good photos in the call', async () => {
  const { gallery } = await open();
  await assert.rejects(
    gallery.enroll('Ada', [codedImage(1, 1, 1), codedImage(1, 1, SPOOF)], { liveness: 'require' }),
    code('SPOOF_SUSPECTED'),
  );
  assert.deepEqual(await gallery.people(), []);
  const ok = await gallery.enroll('Ada', [codedImage(1, 1, 1)], { liveness: 'require' });
  assert.equal(ok.added[0].liveness?.live, true);
  await gallery.close();
});

test('enroll under warn stores the face with a NOT_LIVE warning; off (the default) judges nothing', async () => {
  const { gallery, recognizer } = await open();
  const r = await gallery.enroll('Bo', [codedImage(2, 1, SPOOF)], { liveness: 'warn' });
  assert.equal(r.added.length, 1);
  assert.equal(r.added[0].liveness?.live, false);
  assert.ok(r.warnings.some((w) => w.code === 'NOT_LIVE'));
  const plain = await gallery.enroll('Cy', [codedImage(3, 1, SPOOF)]);
  assert.equal(plain.added[0].liveness, undefined);
  assert.equal(recognizer.asked.at(-1), undefined);
  await gallery.close();
});

test('enroll with --largest judges the enrolled (largest) face, not the others', async () => {
  const { gallery } = await open();
  // two faces; the largest takes the photo's verdict (live here), the smaller one is live too
  const r = await gallery.enroll('Di', [codedImage(4, 2, 1)], { largest: true, liveness: 'require' });
  assert.equal(r.added[0].liveness?.live, true);
  await assert.rejects(
    gallery.enroll('Di', [codedImage(4, 2, SPOOF)], { largest: true, liveness: 'require' }),
    code('SPOOF_SUSPECTED'),
  );
  assert.equal((await gallery.people())[0].templates, 1);
  await gallery.close();
});

test('verify: require refuses a spoofed face; warn answers the decision with the flag on the result', async () => {
  const { gallery } = await open();
  await gallery.enroll('Ed', [codedImage(5, 1, 1)]);
  await assert.rejects(gallery.verify('Ed', codedImage(5, 1, SPOOF), { liveness: 'require' }), code('SPOOF_SUSPECTED'));
  const warned = await gallery.verify('Ed', codedImage(5, 1, SPOOF), { liveness: 'warn' });
  assert.equal(warned.match, true);
  assert.deepEqual(warned.liveness, { live: false, score: 0.1, threshold: 0.5 });
  const live = await gallery.verify('Ed', codedImage(5, 1, 2), { liveness: 'require' });
  assert.equal(live.liveness?.live, true);
  assert.equal((await gallery.verify('Ed', codedImage(5, 1, 2))).liveness, undefined);
  await gallery.close();
});

test('identify: each face carries its own verdict; require refuses a photo in which any face is not live', async () => {
  const { gallery } = await open();
  await gallery.enroll('Flo', [codedImage(6, 1, 1)]);
  const r = await gallery.identify(codedImage(6, 3, SPOOF), { liveness: 'warn' });
  assert.deepEqual(
    r.faces.map((f) => f.liveness?.live),
    [false, true, true],
  );
  await assert.rejects(gallery.identify(codedImage(6, 3, SPOOF), { liveness: 'require' }), code('SPOOF_SUSPECTED'));
  const ok = await gallery.identify(codedImage(6, 3, 1), { liveness: 'require' });
  assert.ok(ok.faces.every((f) => f.liveness?.live));
  // a face picked by its box is the only one identified, and the only one judged
  const second = r.faces[1].box;
  const picked = await gallery.identify(codedImage(6, 3, SPOOF), { face: second, liveness: 'require' });
  assert.deepEqual(
    picked.faces.map((f) => f.liveness?.live),
    [true],
  );
  await assert.rejects(
    gallery.identify(codedImage(6, 3, SPOOF), { face: r.faces[0].box, liveness: 'require' }),
    code('SPOOF_SUSPECTED'),
  );
  await gallery.close();
});

test('require with a recognizer that cannot judge (an aligned chip) refuses, never accepts unjudged', async () => {
  const recognizer = new FakeRecognizer(); // never sets liveness
  const gallery = await Gallery.open({ location: ':memory:', recognizer, calibration: fakeCalibration() });
  await assert.rejects(gallery.enroll('Gil', [codedImage(7, 1, 1)], { liveness: 'require' }), code('INVALID_INPUT'));
  assert.deepEqual(await gallery.people(), []);
  await gallery.close();
});
