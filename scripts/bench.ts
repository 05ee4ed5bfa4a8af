/**
 * npm run bench — speed of this pipeline on onnxruntime-node against @vladmandic/face-api on tfjs-wasm,
 * measured in the same run on the same inputs.
 *
 *   embedding ms/face at batch 1 and 16 (one plain pass per face, as face-api computes it), detection ms on a
 *   640×480 photo, end-to-end ms for that photo (decode, detect, landmarks, align, embed with the default TTA
 *   for us; face-api's detectAllFaces().withFaceLandmarks().withFaceDescriptors(), no TTA).
 * Rows: threads 1 and 2 with the default pipeline (crop + flip TTA: 6 net runs per face end to end), threads=2 with
 * spin-waiting on, and threads=2 with one chip and no flip (one net run per face, like face-api).
 * Then one row per pack (--packs; each pack's own default threading and TTA): detection per photo and per face,
 * end to end. Non-permissive packs need --accept-license (or FACENET_ACCEPT_LICENSE=1); their files come from --models.
 * Every figure is the median of its timed iterations. The process is warmed up once before the first row, and every
 * row warms up its own recognizer, so row order does not change the figures.
 * A "default threads (N)" row measures what FaceRecognizer.load() picks when no --threads is given (N intra-op threads
 * per model: defaultThreads()). For every row, a second table times the stages of end to end one by one (decode,
 * detect, landmarks, align, embed of all the photo's faces in one batch): where the time goes.
 * Options: --threads 1,2 (intra-op threads to try), --iterations N, --load N (N busy-looping worker threads compete
 * for the CPU during the whole bench, as on a busy server), --packs LIST, --models DIR, --no-face-api, --json
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import sharp from 'sharp';
import { Command } from 'commander';
import { FaceRecognizer, stagesOf, type RecognizerOptions } from '../src/recognizer.js';
import { PACKS } from '../src/pack/packs.js';
import { licenceAccepted } from '../src/pack/router.js';
import { createOrtEngine } from '../src/engine/ort.js';
import { defaultThreads } from '../src/engine/engine.js';
import { decodeImage } from '../src/image/decode.js';
import { startCpuLoad } from './cpu-load.js';
import { faceApiModelDir } from '../src/engine/model-store.js';
import type { RgbImage } from '../src/image/types.js';

const opts = new Command()
  .option('--threads <list>', 'intra-op thread counts to measure', '1,2')
  .option('--no-spin-variant', 'skip the threads=2 run with onnxruntime spin-waiting on (off by default)')
  .option('--iterations <n>', 'timed repetitions per figure', '30')
  .option('--data <dir>', 'datasets folder', path.resolve('../shared/datasets'))
  .option('--load <n>', 'busy-looping worker threads competing for the CPU during the bench (0-16)', '0')
  .option('--no-face-api', 'skip the face-api rows (faster)')
  .option('--packs <list>', 'packs to give a row each (their default threading)', PACKS.map((p) => p.name).join(','))
  .option('--models <dir>', "the packs' model files", process.env.FACENET_MODELS ?? path.resolve('../shared/models'))
  .option('--accept-license', 'include packs whose weights are not permissively licensed')
  .option('--json', 'machine-readable output')
  .parse()
  .opts<{
    threads: string;
    iterations: string;
    data: string;
    json?: boolean;
    spinVariant: boolean;
    load: string;
    faceApi: boolean;
    packs: string;
    models: string;
    acceptLicense?: boolean;
  }>();
const LOAD = Number(opts.load);
if (!Number.isInteger(LOAD) || LOAD < 0 || LOAD > 16)
  throw new Error(`--load expects an integer 0-16, got "${opts.load}"`);

const N = Number(opts.iterations);

/** Median ms of `iterations` timed calls after a warm-up: robust to the hiccups of a shared 2-core machine. */
async function time(fn: () => Promise<unknown>, iterations = N): Promise<number> {
  for (let i = 0; i < 3; i++) await fn(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const mid = ms.length >> 1;
  return ms.length % 2 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
}

async function inputs(): Promise<{ photo: RgbImage; photoPath: string; chip: RgbImage }> {
  const det = path.join(opts.data, 'detection/dlib_faces/2008_002470.jpg');
  const johns = path.join(opts.data, 'johns');
  if (!existsSync(det) || !existsSync(johns)) throw new Error(`bench needs ${det} and ${johns} (../shared/datasets)`);
  const buf = await sharp(det).resize(640, 480, { fit: 'fill' }).jpeg({ quality: 92 }).toBuffer();
  const photo = await decodeImage(buf);
  const person = readdirSync(johns).find((d) => !d.includes('.'))!;
  const chip = await decodeImage(path.join(johns, person, readdirSync(path.join(johns, person))[0]));
  const photoPath = path.join(os.tmpdir(), 'facenet-bench-640x480.jpg');
  await sharp(buf).toFile(photoPath);
  return { photo, photoPath, chip };
}

interface Figures {
  embedB1: number;
  embedB16: number;
  detect: number;
  /** Detection time per face found on the photo. */
  detectPerFace: number;
  endToEnd: number;
  faces: number;
  /** Where end to end goes, stage by stage on the same photo (ours only; they add up to about endToEnd). */
  stages?: { decode: number; detect: number; landmarks: number; align: number; embed: number };
}

async function benchOurs(
  threads: number | undefined,
  photoPath: string,
  photo: RgbImage,
  chip: RgbImage,
  spinning?: boolean,
  pipeline: RecognizerOptions = {},
): Promise<Figures> {
  const fr = await FaceRecognizer.load({ threads, engine: createOrtEngine({ spinning }), ...pipeline });
  const { embedder, detector } = stagesOf(fr);
  const chips16 = Array.from({ length: 16 }, () => chip);
  const embedB1 = await time(() => embedder.embedRaw([chip]));
  const embedB16 = (await time(() => embedder.embedRaw(chips16), Math.ceil(N / 4))) / 16;
  const detect = await time(() => detector.detect(photo));
  const faces = (await fr.embed(photoPath)).length;
  const endToEnd = await time(() => fr.embed(photoPath), Math.ceil(N / 2));
  const stages = await stageTimes(fr, photoPath, photo);
  await fr.close();
  return { embedB1, embedB16, detect, detectPerFace: detect / faces, endToEnd, faces, stages };
}

/**
 * The stages of fr.embed(photo) timed one by one (same calls, same order): decoding, detection, landmarks (the
 * 68-point net of dlib packs; nothing for five-point packs), the chips, and the embedder on all the photo's chips
 * at once (one engine call for up to 16 chips).
 */
async function stageTimes(
  fr: FaceRecognizer,
  photoPath: string,
  photo: RgbImage,
): Promise<NonNullable<Figures['stages']>> {
  const stages = stagesOf(fr);
  const dets = [...(await stages.detector.detect(photo))].sort(
    (a, b) => b.box.width * b.box.height - a.box.width * a.box.height,
  );
  const located = await stages.locate(photo, dets);
  const sets = located.map((f) => stages.faceChips(photo, f));
  const n = Math.ceil(N / 2);
  return {
    decode: await time(() => decodeImage(photoPath), n),
    detect: await time(() => stages.detector.detect(photo), n),
    landmarks: await time(() => stages.locate(photo, dets), n),
    align: await time(async () => located.map((f) => stages.faceChips(photo, f)), n),
    embed: await time(() => stages.embedder.embedChipSets(sets, { flip: fr.flip }), n),
  };
}

async function benchFaceApi(photo: RgbImage, chip: RgbImage): Promise<Figures> {
  const require = createRequire(import.meta.url);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const faceapi: any = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  const dir = faceApiModelDir();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(dir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(dir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(dir);
  const tf = faceapi.tf;
  const chipT = tf.tensor3d(chip.data, [chip.height, chip.width, 3], 'int32');
  const chips16 = Array.from({ length: 16 }, () => chipT);
  const photoT = tf.tensor3d(photo.data, [photo.height, photo.width, 3], 'int32');
  const ssd = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 });
  const embedB1 = await time(() => faceapi.nets.faceRecognitionNet.computeFaceDescriptor(chipT));
  const embedB16 =
    (await time(() => faceapi.nets.faceRecognitionNet.computeFaceDescriptor(chips16), Math.ceil(N / 4))) / 16;
  const detect = await time(() => faceapi.detectAllFaces(photoT, ssd));
  const endToEnd = await time(
    async () => {
      // decoding is part of end-to-end for both: face-api gets the same RGB bytes via sharp
      const img = await decodeImage(path.join(os.tmpdir(), 'facenet-bench-640x480.jpg'));
      const t = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
      const r = await faceapi.detectAllFaces(t, ssd).withFaceLandmarks().withFaceDescriptors();
      t.dispose();
      return r;
    },
    Math.ceil(N / 2),
  );
  const faces = (await faceapi.detectAllFaces(photoT, ssd)).length;
  return { embedB1, embedB16, detect, detectPerFace: detect / faces, endToEnd, faces };
}

const { photo, photoPath, chip } = await inputs();
const threadCounts = opts.threads.split(',').map(Number);
const load = LOAD ? startCpuLoad(LOAD) : undefined;
const ours: Record<string, Figures> = {};
// warm-up of the process (JIT of the pixel code, sharp, onnxruntime's allocators), so the first row is not slower
// for being first; the rows below each warm up their own recognizer too
{
  const fr = await FaceRecognizer.load({});
  for (let i = 0; i < 5; i++) await fr.embed(photoPath);
  await fr.close();
}
ours[`default threads (${defaultThreads()})`] = await benchOurs(undefined, photoPath, photo, chip);
for (const t of threadCounts) ours[`threads=${t}`] = await benchOurs(t, photoPath, photo, chip);
if (opts.spinVariant) ours['threads=2 spinning'] = await benchOurs(2, photoPath, photo, chip, true);
// like for like with face-api end to end: one chip, one net run per face (the default runs six: 3 crops × flip)
ours['threads=2 one chip, no flip'] = await benchOurs(2, photoPath, photo, chip, undefined, {
  ttaPaddings: [],
  flip: false,
});
for (const name of opts.packs.split(',').filter(Boolean)) {
  const pack = PACKS.find((p) => p.name === name);
  if (!pack) throw new Error(`unknown pack ${name}`);
  if (!pack.licence.permissive && !licenceAccepted(opts.acceptLicense || undefined)) {
    process.stderr.write(
      `skipping pack ${name}: not permissively licensed (${pack.licence.line}); pass --accept-license to measure it\n`,
    );
    continue;
  }
  // each pack with its default threading (src/pack/packs.ts: YuNet and EdgeFace on one thread, the rest one per core)
  ours[`pack=${name}`] = await benchOurs(undefined, photoPath, photo, chip, undefined, {
    pack: name,
    models: opts.models,
    acceptLicense: true,
  });
}
const peer: Figures = opts.faceApi
  ? await benchFaceApi(photo, chip)
  : { embedB1: NaN, embedB16: NaN, detect: NaN, detectPerFace: NaN, endToEnd: NaN, faces: 0 };
await load?.stop();
const ratio = (a: Figures, b: Figures) => ({
  embedB1: a.embedB1 / b.embedB1,
  embedB16: a.embedB16 / b.embedB16,
  detect: a.detect / b.detect,
  endToEnd: a.endToEnd / b.endToEnd,
});
const speedup = (f: Figures) => ratio(peer, f);
const oneThread = ours['threads=1'];
const result = {
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model}`,
  node: process.version,
  iterations: N,
  competingLoadThreads: LOAD,
  loadAverage: os.loadavg(),
  ours,
  faceApiTfjsWasm: peer,
  speedup: Object.fromEntries(Object.entries(ours).map(([k, v]) => [k, speedup(v)])),
  // time of each row relative to one thread, same run (< 1: faster than one thread)
  relativeToOneThread: oneThread
    ? Object.fromEntries(Object.entries(ours).map(([k, v]) => [k, ratio(v, oneThread)]))
    : undefined,
};
if (opts.json) console.log(JSON.stringify(result, null, 2));
else {
  const f = (v: number) => v.toFixed(1).padStart(8);
  const loadAverage = result.loadAverage.map((v) => v.toFixed(2)).join(' ');
  console.log(
    `machine: ${result.machine}, ${result.node}; ${N} iterations per figure (ms, lower is better); ` +
      `competing load: ${LOAD} busy thread(s); load average ${loadAverage}`,
  );
  const w = 48;
  const heads = ['embed b1', 'embed b16', 'detect', 'det/face'].map((h) => h.padStart(10)).join('');
  console.log(`${'engine'.padEnd(w)}${heads}${'end-to-end'.padStart(12)}  faces`);
  for (const [k, v] of Object.entries(ours))
    console.log(
      `${`facenet-ts ORT ${k}`.padEnd(w)}${f(v.embedB1)}  ${f(v.embedB16)}  ` +
        `${f(v.detect)}  ${f(v.detectPerFace)}  ${f(v.endToEnd)}    ${v.faces}`,
    );
  console.log(
    `${'face-api tfjs-wasm'.padEnd(w)}${f(peer.embedB1)}  ${f(peer.embedB16)}  ` +
      `${f(peer.detect)}  ${f(peer.detectPerFace)}  ${f(peer.endToEnd)}    ${peer.faces}`,
  );
  const stageHeads = ['decode', 'detect', 'landmk', 'align', 'embed', 'sum', 'e2e'].map((h) => h.padStart(8)).join('');
  console.log(`\nwhere end to end goes (ms, each stage timed alone on the same photo): ${stageHeads}`);
  for (const [k, v] of Object.entries(ours)) {
    if (!v.stages) continue;
    const st = v.stages;
    const g = (x: number) => x.toFixed(1).padStart(8);
    const sum = st.decode + st.detect + st.landmarks + st.align + st.embed;
    const cells = [st.decode, st.detect, st.landmarks, st.align, st.embed, sum, v.endToEnd].map(g).join('');
    console.log(`${`facenet-ts ORT ${k}`.padEnd(w)}${''.padEnd(36)}${cells}`);
  }
  for (const [k, r] of Object.entries(result.relativeToOneThread ?? {}))
    console.log(
      `time relative to threads=1, ${k}: embed b1 ${r.embedB1.toFixed(2)}, ` +
        `embed b16 ${r.embedB16.toFixed(2)}, detect ${r.detect.toFixed(2)}, end-to-end ${r.endToEnd.toFixed(2)}`,
    );
  if (opts.faceApi)
    for (const [k, v] of Object.entries(ours)) {
      const r = speedup(v);
      console.log(
        `speed-up vs face-api, ${k}: embed b1 ${r.embedB1.toFixed(1)}×, embed b16 ${r.embedB16.toFixed(1)}×, ` +
          `detect ${r.detect.toFixed(1)}×, end-to-end ${r.endToEnd.toFixed(1)}×`,
      );
    }
}
