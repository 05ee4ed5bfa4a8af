/**
 * The tests every 5-point detector (YuNet, SCRFD) must pass, run by test/detect/yunet.test.ts and scrfd.test.ts:
 * recall and false faces on ../shared/datasets/detection at the default score, plausible five points, options,
 * input validation, the input cap, load failures and the model id.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Detection, FaceDetector } from '../../src/detect/types.js';
import { iou } from '../../src/detect/box.js';
import { decodeImage } from '../../src/image/decode.js';
import type { RgbImage } from '../../src/image/types.js';
import { FaceError, ModelError } from '../../src/errors.js';
import { DLIB_FACES, NO_FACES } from './detection-data.js';
import { falseFaces, implausiblePoints, pointError, recallOnDlibFaces } from './five-point-checks.js';
import { CFP_DIR, JOHNS_DIR, needDataset, needModel } from './datasets.js';
import { yawFromFivePoints } from '../../src/align/pose.js';

export interface SuiteSpec<D extends FaceDetector> {
  /** `yunet`, `scrfd`: the modelId's prefix */
  name: string;
  /** Test-name prefix (default `name`). */
  title?: string;
  modelPath: string;
  /** Another detector's model file, which this detector must refuse. */
  otherModelPath: string;
  load(opts: { modelPath: string; threads?: number; maxSide?: number }): Promise<D>;
  defaultMinScore: number;
  /** Default score from which a turned face is kept, and a cfp-dev profile photo its best detection scores between. */
  turned?: { minScore: number; photo: string };
  /** Largest landmark error allowed against dlib's 68 points (fraction of the box side), from docs/detectors.md. */
  maxPointError: number;
}

function assertInside(img: RgbImage, dets: readonly Detection[]): void {
  for (const d of dets) {
    const { x, y, width, height } = d.box;
    assert.ok(
      x >= 0 && y >= 0 && width > 0 && height > 0 && x + width <= img.width + 1e-9 && y + height <= img.height + 1e-9,
      `box outside image: ${JSON.stringify(d.box)}`,
    );
    assert.ok(d.score > 0 && d.score <= 1, `score ${d.score}`);
    assert.equal(d.points?.length, 5);
  }
}

/** Six of the johns chips (150×150 tight face crops), one per person where possible. */
export function johnsSample(): string[] {
  return readdirSync(JOHNS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .slice(0, 6)
    .map((p) =>
      path.join(
        JOHNS_DIR,
        p,
        readdirSync(path.join(JOHNS_DIR, p))
          .filter((f) => f.endsWith('.jpg'))
          .sort()[0],
      ),
    );
}

export function fivePointDetectorSuite<D extends FaceDetector>(spec: SuiteSpec<D>): void {
  const title = spec.title ?? spec.name;
  const skipModel = needModel(spec.modelPath);
  let detector: D;
  before(async () => {
    if (!skipModel) detector = await spec.load({ modelPath: spec.modelPath, threads: 1 });
  });
  after(async () => {
    await detector?.close();
  });

  test(
    `${title}: recall ≥ 42/43 at IoU ≥ 0.5 on dlib_faces at the default score, five plausible points`,
    { skip: skipModel || needDataset(DLIB_FACES) },
    async (t) => {
      const r = await recallOnDlibFaces(detector);
      const errors = r.matched.filter((m) => m.parts).map((m) => pointError(m.det, m.parts!));
      t.diagnostic(
        `recall ${r.hit}/${r.total} at score > ${spec.defaultMinScore}; ` +
          `weakest matched score ${r.weakest.toFixed(3)}; ${r.extra} unmatched detections; ` +
          `landmark error vs dlib 68 points: max ${Math.max(...errors).toFixed(3)} of the box side`,
      );
      assert.equal(r.total, 43, 'the dlib_faces XML files should hold 43 boxes');
      assert.ok(r.hit >= 42, `recall ${r.hit}/${r.total}`);
      for (const m of r.matched) {
        const why = implausiblePoints(m.det);
        assert.equal(why, undefined, `${m.file} ${JSON.stringify(m.det.box)}: ${why}`);
      }
      assert.equal(errors.length, r.hit, 'every labelled face has dlib 68 points');
      for (const e of errors) assert.ok(e <= spec.maxPointError, `landmark error ${e.toFixed(3)} of the box side`);
    },
  );

  test(
    `${title}: no face on any no_faces photo at the default score`,
    { skip: skipModel || needDataset(NO_FACES) },
    async (t) => {
      const found = await falseFaces(detector);
      assert.ok(found.length > 0, 'no images in no_faces/');
      for (const { file, dets } of found) {
        t.diagnostic(
          `${file}: ${dets.length} faces` +
            (dets.length ? ` (scores ${dets.map((d) => d.score.toFixed(3)).join(', ')})` : ''),
        );
        assert.equal(dets.length, 0, `${file}: ${JSON.stringify(dets)}`);
      }
    },
  );

  if (spec.turned)
    test(
      `${title}: a face in profile is kept from the turned score, below the default one`,
      { skip: skipModel || needDataset(CFP_DIR) },
      async () => {
        const { minScore, photo } = spec.turned!;
        const img = await decodeImage(path.join(CFP_DIR, 'Data', 'Images', photo));
        const [face] = await detector.detect(img);
        assert.ok(face, 'found at the default settings');
        assert.ok(face.score > minScore && face.score <= spec.defaultMinScore, `score ${face.score}`);
        assert.ok(Math.abs(yawFromFivePoints(face.points!)) >= 45, 'turned');
        assert.deepEqual(
          await detector.detect(img, { turnedMinScore: spec.defaultMinScore }),
          [],
          'not at the default',
        );
        assert.equal((await detector.detect(img, { minScore: 0.95 })).length, 1, 'the lower of the two scores counts');
        assert.deepEqual(await detector.detect(img, { minScore: 0.95, turnedMinScore: 0.95 }), []);
        await assert.rejects(
          detector.detect(img, { turnedMinScore: 1.5 }),
          (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
        );
      },
    );

  test(
    `${title}: options minScore, minFaceSize, iouThreshold, maxFaces`,
    { skip: skipModel || needDataset(DLIB_FACES) },
    async () => {
      const img = await decodeImage(path.join(DLIB_FACES, '2008_007676.jpg')); // seven faces, ~37–53 px
      const all = await detector.detect(img);
      assertInside(img, all);
      assert.ok(all.length >= 5, `expected several faces, got ${all.length}`);
      for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].score >= all[i].score, 'sorted by score');
      // above the default score, or turned and above the turned one
      for (const d of all)
        assert.ok(
          d.score > spec.defaultMinScore ||
            (!!spec.turned && d.score > spec.turned.minScore && Math.abs(yawFromFivePoints(d.points!)) >= 45),
          `score ${d.score}`,
        );
      assert.deepEqual(await detector.detect(img, { maxFaces: 2 }), all.slice(0, 2));
      assert.deepEqual(await detector.detect(img, { maxFaces: 0 }), []);
      const big = await detector.detect(img, { minFaceSize: 45 });
      assert.ok(big.length > 0 && big.length < all.length, `${big.length} of ${all.length} faces ≥ 45 px`);
      for (const d of big) assert.ok(Math.min(d.box.width, d.box.height) >= 45);
      const loose = await detector.detect(img, { minScore: 0.2 });
      assert.ok(loose.length >= all.length);
      for (const d of loose) assert.ok(d.score > 0.2);
      // a tiny IoU threshold keeps no two overlapping boxes; the default keeps these separate faces
      const strict = await detector.detect(img, { minScore: 0.2, iouThreshold: 0.01 });
      for (let i = 0; i < strict.length; i++)
        for (let j = i + 1; j < strict.length; j++) assert.ok(iou(strict[i].box, strict[j].box) <= 0.01);
      for (const bad of [
        { minScore: 1.5 },
        { minScore: 0 },
        { maxFaces: -1 },
        { maxFaces: 1.5 },
        { iouThreshold: 0 },
        { minFaceSize: -1 },
        { minScore: Number.NaN },
      ])
        await assert.rejects(
          detector.detect(img, bad),
          (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
          JSON.stringify(bad),
        );
    },
  );

  test(
    `${title}: bad images are refused with FaceError INVALID_INPUT; a blank one has no face`,
    { skip: skipModel },
    async () => {
      const bad: unknown[] = [
        null,
        undefined,
        42,
        'photo.jpg',
        { width: 10, height: 10, data: new Uint8Array(10) },
        { width: 0, height: 10, data: new Uint8Array(0) },
        { width: 2.5, height: 2, data: new Uint8Array(15) },
        { width: 2, height: 2, data: [1, 2, 3] },
      ];
      for (const b of bad)
        await assert.rejects(
          detector.detect(b as RgbImage),
          (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
          String(JSON.stringify(b)),
        );
      const blank: RgbImage = { width: 320, height: 240, data: new Uint8Array(320 * 240 * 3).fill(90) };
      assert.deepEqual(await detector.detect(blank), []);
      // one pixel, and a strip thinner than the network's largest stride, run without error
      assert.deepEqual(await detector.detect({ width: 1, height: 1, data: new Uint8Array(3) }), []);
      assert.deepEqual(await detector.detect({ width: 700, height: 3, data: new Uint8Array(700 * 9).fill(200) }), []);
    },
  );

  test(
    `${title}: a photo above the input cap is shrunk and the faces map back to its pixels`,
    { skip: skipModel || needDataset(DLIB_FACES) },
    async () => {
      const file = path.join(DLIB_FACES, '2008_002470.jpg'); // 500×332, six faces
      const small = await decodeImage(file);
      const k = 3;
      const big = await decodeImage(
        await sharp(file)
          .resize(small.width * k, small.height * k, { kernel: 'lanczos3' })
          .png()
          .toBuffer(),
      );
      const capped = await spec.load({ modelPath: spec.modelPath, threads: 1, maxSide: small.width });
      try {
        const a = await capped.detect(small);
        const b = await capped.detect(big);
        assertInside(big, b);
        assert.ok(a.length >= 5 && b.length === a.length, `${a.length} faces at 500 px, ${b.length} at 1500 px`);
        for (const d of a) {
          const scaled = { x: d.box.x * k, y: d.box.y * k, width: d.box.width * k, height: d.box.height * k };
          const m = b.find((e) => iou(e.box, scaled) > 0.8);
          assert.ok(m, `face ${JSON.stringify(d.box)} not found at the same place in the 3× photo`);
          for (let i = 0; i < 5; i++)
            assert.ok(
              Math.hypot(m.points![i].x - d.points![i].x * k, m.points![i].y - d.points![i].y * k) <
                0.05 * scaled.width,
              'points scale too',
            );
        }
      } finally {
        await capped.close();
      }
      await assert.rejects(
        spec.load({ modelPath: spec.modelPath, maxSide: 10 }),
        (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
      );
    },
  );

  test(
    `${title}: faces filling a 600 px photo (johns chips enlarged 4×) are found, by the coarse pass`,
    { skip: skipModel || needDataset(JOHNS_DIR) },
    async () => {
      for (const file of johnsSample()) {
        const img = await decodeImage(await sharp(file).resize(600, 600, { kernel: 'lanczos3' }).png().toBuffer());
        const dets = await detector.detect(img);
        assertInside(img, dets);
        assert.ok(dets.length >= 1, `${file}: no face at 600 px`);
        assert.ok(
          Math.min(dets[0].box.width, dets[0].box.height) >= 300,
          `${file}: small box ${JSON.stringify(dets[0].box)}`,
        );
        assert.equal(implausiblePoints(dets[0]), undefined, file);
      }
    },
  );

  test(`${title}: modelId is the network name and the model file's sha256`, { skip: skipModel }, () => {
    const sha = createHash('sha256').update(readFileSync(spec.modelPath)).digest('hex');
    assert.equal(detector.modelId, `${spec.name}@${sha.slice(0, 12)}`);
  });

  test(
    `${title}: load failures are ModelErrors that name the file`,
    { skip: skipModel || needModel(spec.otherModelPath) },
    async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), `facenet-${spec.name}-`));
      const missing = path.join(dir, 'missing.onnx');
      await assert.rejects(
        spec.load({ modelPath: missing }),
        (e: unknown) => e instanceof ModelError && e.code === 'MODEL_LOAD_FAILED' && e.message.includes(missing),
      );
      const junk = path.join(dir, 'junk.onnx');
      await writeFile(junk, 'not a model');
      await assert.rejects(
        spec.load({ modelPath: junk }),
        (e: unknown) => e instanceof ModelError && e.code === 'MODEL_LOAD_FAILED' && e.message.includes(junk),
      );
      await assert.rejects(
        spec.load({ modelPath: spec.otherModelPath }),
        (e: unknown) =>
          e instanceof ModelError && e.code === 'MODEL_MISMATCH' && e.message.includes(spec.otherModelPath),
      );
      await assert.rejects(
        spec.load({ modelPath: '' }),
        (e: unknown) => e instanceof ModelError && e.code === 'MODEL_LOAD_FAILED',
      );
    },
  );

  test(`${title}: detect after close is refused`, { skip: skipModel }, async () => {
    const d = await spec.load({ modelPath: spec.modelPath, threads: 1 });
    await d.close();
    await d.close(); // twice is harmless
    await assert.rejects(
      d.detect({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 3) }),
      (e: unknown) => e instanceof FaceError && e.code === 'CLOSED',
    );
  });
}
