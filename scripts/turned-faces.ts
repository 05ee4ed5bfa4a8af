/**
 * The figures behind the turned-face settings (docs/cfp.md): per pack, how many faces fall in each |yaw| band (from
 * their five points, src/align/pose.ts) among cfp-dev's frontal and profile photos and a sample of LFW, the best
 * detection score of each cfp-dev profile photo, and the detections on no_faces/ with their yaw.
 *
 *   npx tsx scripts/turned-faces.ts [--packs dlib128,dlib128-yunet,edgeface-xs] [--data DIR] [--models DIR] [--json]
 *
 * Faces are detected and picked as `eval cfp` (largest) and `eval lfw` (centre) do (EVAL_DETECT: score 0.5, photos
 * at their own size).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { FaceRecognizer, stagesOf } from '../src/recognizer.js';
import { readCfp } from '../src/eval/cfp.js';
import { evalDetect, pickLabelledFace, type FacePolicy } from '../src/eval/labelled-face.js';
import { decodeImage } from '../src/image/decode.js';
import { faceYaw } from '../src/align/turned.js';

const opts = new Command()
  .option('--packs <list>', 'packs', 'dlib128,dlib128-yunet,edgeface-xs')
  .option('--data <dir>', 'datasets folder', path.resolve('../shared/datasets'))
  .option('--models <dir>', 'models folder', process.env.FACENET_MODELS ?? path.resolve('../shared/models'))
  .option('--json', 'machine-readable output')
  .parse()
  .opts<{ packs: string; data: string; models: string; json?: boolean }>();

const BANDS = [0, 15, 30, 45, 60, 75, 90, Infinity];
const SCORES = [0.5, 0.6, 0.65, 0.7, 0.8, 0.9];

function histogram(yaws: readonly number[]): number[] {
  return BANDS.slice(0, -1).map((lo, i) => yaws.filter((y) => Math.abs(y) >= lo && Math.abs(y) < BANDS[i + 1]).length);
}

const cfp = readCfp(path.join(opts.data, 'cfp-dev'));
const lfwRoot = path.join(opts.data, 'lfw', 'lfw');
const lfw = readdirSync(lfwRoot)
  .sort()
  .filter((_, i) => i % 20 === 0)
  .map((p) => path.join(lfwRoot, p, readdirSync(path.join(lfwRoot, p)).sort()[0]));
const noFaces = path.join(opts.data, 'detection', 'no_faces');
const sets: [string, readonly string[], FacePolicy][] = [
  ['cfp-dev frontal (every 2nd)', cfp.frontal.filter((_, i) => i % 2 === 0), 'largest'],
  ['cfp-dev profile', cfp.profile, 'largest'],
  ['LFW (first photo of every 20th person)', lfw, 'centre'],
];

const report = [];
for (const pack of opts.packs.split(',')) {
  const fr = await FaceRecognizer.load({ pack, acceptLicense: true, models: opts.models, threads: 1 });
  try {
    const yaw = [];
    for (const [name, files, policy] of sets) {
      const yaws: number[] = [];
      for (const f of files) {
        const img = await decodeImage(f);
        const { face } = pickLabelledFace(
          await stagesOf(fr).detector.detect(img, evalDetect()),
          img.width,
          img.height,
          policy,
        );
        if (!face) continue;
        const [located] = await stagesOf(fr).locate(img, [face]);
        const y = faceYaw(located);
        if (y !== undefined) yaws.push(y);
      }
      yaw.push({ photos: name, faces: yaws.length, bands: histogram(yaws) });
    }
    // the best score per profile photo, with every threshold lowered to 0.2 (the turned rule included)
    const best: number[] = [];
    for (const f of cfp.profile) {
      const dets = await stagesOf(fr).detector.detect(
        await decodeImage(f),
        evalDetect({ minScore: 0.2, turnedMinScore: 0.2 }),
      );
      best.push(dets.length ? Math.max(...dets.map((d) => d.score)) : 0);
    }
    const animals = [];
    for (const f of readdirSync(noFaces).filter((n) => /\.jpe?g$/i.test(n))) {
      const dets = await stagesOf(fr).detector.detect(
        await decodeImage(path.join(noFaces, f)),
        evalDetect({ minScore: 0.2, turnedMinScore: 0.2 }),
      );
      animals.push({ file: f, detections: dets.map((d) => ({ score: d.score, yaw: faceYaw(d) ?? null })) });
    }
    report.push({
      pack,
      detector: stagesOf(fr).detector.modelId,
      yaw,
      profileBestScore: Object.fromEntries(SCORES.map((t) => [t, best.filter((s) => s >= t).length])),
      profiles: best.length,
      noFaces: animals,
    });
  } finally {
    await fr.close();
  }
}

if (opts.json) console.log(JSON.stringify(report, null, 2));
else
  for (const r of report) {
    console.log(`${r.pack} (${r.detector}): faces per |yaw| band ${BANDS.slice(0, -1).join(' / ')}°+`);
    for (const y of r.yaw) console.log(`  ${y.photos}, ${y.faces} faces: ${y.bands.join(' / ')}`);
    console.log(
      `  cfp-dev profiles (${r.profiles}) whose best detection scores at least ${SCORES.join(' / ')}: ` +
        SCORES.map((t) => r.profileBestScore[t]).join(' / '),
    );
    const at = (d: { score: number; yaw: number | null }): string =>
      `${d.score.toFixed(2)} @ ${d.yaw === null ? '–' : d.yaw.toFixed(0)}°`;
    for (const a of r.noFaces) console.log(`  no_faces/${a.file}: ${a.detections.map(at).join(', ') || 'none'}`);
  }
