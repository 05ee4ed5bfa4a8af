/**
 * Detection recall and false faces per detector, score threshold and input cap, on ../shared/datasets/detection:
 * the 43 labelled boxes of dlib_faces (training.xml + testing.xml; IoU ≥ 0.5, one-to-one) and the five no_faces/
 * photos. For the 5-point detectors also the largest landmark error against dlib's 68 points (→ five points), as a
 * fraction of the box side.
 *
 *   npx tsx scripts/detector-recall.ts [--detectors yunet,scrfd-2.5g,scrfd-500m,ssd] [--scores 0.3,0.5,0.8]
 *     [--max-side 640] [--coarse-side 320] [--iou 0.5] [--data DIR] [--models DIR] [--json]
 * --upscale 1,2,3,4: the labelled photos (all ≤ 500 px) also enlarged (Lanczos) 2, 3, 4 times, labels scaled with
 *   them, so an input cap that loses faces on large photos shows; no_faces/ only at 1 (with --upscale-no-faces at
 *   each factor: false faces on large photos).
 * --no-tile: the SSD without its tiled pass over photos larger than 1024 px.
 * --johns 1,2,4: instead, how many of the 55 johns chips (150×150 tight face crops) have a face, enlarged by each
 *   factor (at 4× the face is ≈ 500 px: large faces on the canvas).
 * --unlabelled: faces found on the two large unlabelled dlib_faces photos (bald_guys.jpg 1986×1545, 24 faces by eye;
 *   Tom_Cruise_avp_2014_4.jpg 565×800, one face) at each cap and score; --draw DIR writes them with the boxes drawn.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Command } from 'commander';
import { SsdDetector } from '../src/detect/detector.js';
import { YUNET_TURNED_MIN_SCORE, YuNetDetector } from '../src/detect/yunet.js';
import { SCRFD_TURNED_MIN_SCORE, ScrfdDetector } from '../src/detect/scrfd.js';
import { yawFromFivePoints } from '../src/align/pose.js';
import type { Detection, FaceDetector } from '../src/detect/types.js';
import { FivePointDetector, TURNED_DETECTION_YAW } from '../src/detect/five-point-detector.js';
import { decodeImage } from '../src/image/decode.js';
import type { RgbImage } from '../src/image/types.js';
import { readImglab, matchBoxes, type LabelledPhoto } from '../test/helpers/detection-data.js';
import { pointError } from '../test/helpers/five-point-checks.js';

const opts = new Command()
  .option('--detectors <list>', 'yunet, scrfd-2.5g, scrfd-500m, ssd', 'yunet,scrfd-2.5g,scrfd-500m,ssd')
  .option('--scores <list>', 'score thresholds', '0.3,0.4,0.5,0.6,0.7,0.8,0.9')
  .option('--max-side <list>', "input caps of the 5-point detectors ('default': each detector's own)", 'default')
  .option(
    '--coarse-side <list>',
    "coarse-pass sides of the 5-point detectors (0: none; 'default': each detector's own)",
    'default',
  )
  .option(
    '--johns <list>',
    'count faces found on the 55 johns chips (150×150, tight crops) enlarged by each factor instead',
  )
  .option('--iou <v>', 'IoU for a match', '0.5')
  .option('--upscale <list>', 'enlargement factors of the labelled photos', '1')
  .option('--unlabelled', 'count faces on bald_guys.jpg and Tom_Cruise_avp_2014_4.jpg instead')
  .option('--draw <dir>', 'with --unlabelled: write the photos with the boxes drawn')
  .option('--data <dir>', 'datasets folder', path.resolve('../shared/datasets'))
  .option('--models <dir>', 'models folder', process.env.FACENET_MODELS ?? path.resolve('../shared/models'))
  .option('--upscale-no-faces', 'with --upscale: the no_faces/ photos enlarged by each factor too (false faces)')
  .option('--no-tile', 'the SSD without its tiled pass over photos larger than 1024 px (DetectOptions.tile)')
  .option('--json', 'machine-readable output')
  .parse()
  .opts<{
    detectors: string;
    scores: string;
    maxSide: string;
    coarseSide: string;
    johns?: string;
    iou: string;
    upscale: string;
    unlabelled?: boolean;
    draw?: string;
    data: string;
    models: string;
    json?: boolean;
    tile: boolean;
    upscaleNoFaces?: boolean;
  }>();

const list = (s: string) => s.split(',').map(Number);
const dlib = path.join(opts.data, 'detection/dlib_faces');
const noFaces = path.join(opts.data, 'detection/no_faces');
const minIou = Number(opts.iou);

async function load(name: string, maxSide: number | undefined, coarseSide: number | undefined): Promise<FaceDetector> {
  const threads = 1;
  const caps = {
    threads,
    maxSide,
    coarseSide: coarseSide !== undefined && maxSide !== undefined ? Math.min(coarseSide, maxSide) : coarseSide,
  };
  if (name === 'yunet')
    return YuNetDetector.load({
      modelPath: path.join(opts.models, 'yunet/face_detection_yunet_2026may.onnx'),
      ...caps,
    });
  if (name === 'scrfd-2.5g')
    return ScrfdDetector.load({ modelPath: path.join(opts.models, 'scrfd/scrfd_2.5g.onnx'), ...caps });
  if (name === 'scrfd-500m')
    return ScrfdDetector.load({ modelPath: path.join(opts.models, 'scrfd/scrfd_500m.onnx'), ...caps });
  if (name === 'ssd') return SsdDetector.load({ threads });
  throw new Error(`unknown detector ${name}`);
}

async function scaled(file: string, k: number): Promise<RgbImage> {
  if (k === 1) return decodeImage(file);
  const meta = await sharp(file).metadata();
  return decodeImage(
    await sharp(file)
      .resize(Math.round(meta.width! * k), Math.round(meta.height! * k), { kernel: 'lanczos3' })
      .png()
      .toBuffer(),
  );
}

interface Row {
  detector: string;
  maxSide: number | null;
  coarseSide: number | null;
  upscale?: number;
  score: number;
  hit: number;
  total: number;
  extra: number;
  noFaceDetections: number;
  /** Largest landmark error of a matched face, fraction of the box side (5-point detectors). */
  worstPointError?: number;
  medianPointError?: number;
  /** Lowest score of a matched face and highest score on no_faces/, at this threshold. */
  weakestFace?: number;
  strongestNonFace?: number;
}

/** The score from which each 5-point detector keeps a turned face by default (DetectOptions.turnedMinScore). */
const TURNED_MIN: Record<string, number> = {
  yunet: YUNET_TURNED_MIN_SCORE,
  'scrfd-2.5g': SCRFD_TURNED_MIN_SCORE,
  'scrfd-500m': SCRFD_TURNED_MIN_SCORE,
};

/**
 * What a pass at threshold `score` keeps: detections above it, and turned ones (|yaw| ≥ TURNED_DETECTION_YAW) above
 * the detector's turned threshold when that is lower (five-point-detector.ts).
 */
function keptAt(d: Detection, score: number, turnedMin: number | undefined): boolean {
  if (d.score > score) return true;
  if (turnedMin === undefined || !d.points || d.score <= Math.min(score, turnedMin)) return false;
  return Math.abs(yawFromFivePoints(d.points)) >= TURNED_DETECTION_YAW;
}

/**
 * One detector pass per photo at the lowest score; a higher threshold keeps those detections above it, and the turned
 * ones above the detector's turned threshold (exactly what a pass at that threshold gives: greedy NMS lets a box be
 * suppressed only by better-scoring ones).
 */
async function evaluate(
  det: FaceDetector,
  turnedMin: number | undefined,
  photos: LabelledPhoto[],
  upscale: number,
  scores: number[],
  withNoFaces: boolean,
): Promise<Omit<Row, 'detector' | 'maxSide' | 'coarseSide'>[]> {
  const lowest = Math.min(...scores);
  const found: { photo: LabelledPhoto; dets: Detection[] }[] = [];
  for (const photo of photos) {
    const dets = await det.detect(await scaled(path.join(dlib, photo.file), upscale), {
      minScore: lowest,
      tile: opts.tile,
    });
    // labels back in the enlarged photo's pixels
    const faces = photo.faces.map((f) => ({
      box: { x: f.box.x * upscale, y: f.box.y * upscale, width: f.box.width * upscale, height: f.box.height * upscale },
      parts: f.parts?.map((p) => ({ x: p.x * upscale, y: p.y * upscale })),
    }));
    found.push({
      photo: {
        ...photo,
        faces,
        ignored: photo.ignored.map((b) => ({
          x: b.x * upscale,
          y: b.y * upscale,
          width: b.width * upscale,
          height: b.height * upscale,
        })),
      },
      dets,
    });
  }
  const noFaceDets: Detection[] = [];
  if (withNoFaces)
    for (const f of readdirSync(noFaces).filter((n) => /\.jpe?g$/i.test(n)))
      noFaceDets.push(
        ...(await det.detect(await scaled(path.join(noFaces, f), upscale), { minScore: lowest, tile: opts.tile })),
      );
  return scores.map((score) => {
    let hit = 0;
    let total = 0;
    let extra = 0;
    const errors: number[] = [];
    for (const { photo, dets } of found) {
      const kept = dets.filter((d) => keptAt(d, score, turnedMin));
      const pairs = matchBoxes(
        photo.faces.map((f) => f.box),
        kept,
        minIou,
      );
      const onIgnored = matchBoxes(
        photo.ignored,
        kept.filter((_, j) => !pairs.some((p) => p[1] === j)),
        minIou,
      ).length;
      total += photo.faces.length;
      hit += pairs.length;
      extra += kept.length - pairs.length - onIgnored;
      for (const [i, j] of pairs)
        if (kept[j].points && photo.faces[i].parts) errors.push(pointError(kept[j], photo.faces[i].parts!));
    }
    errors.sort((a, b) => a - b);
    const faceScores = found.flatMap(({ photo, dets }) => {
      const kept = dets.filter((d) => keptAt(d, score, turnedMin));
      return matchBoxes(
        photo.faces.map((f) => f.box),
        kept,
        minIou,
      ).map(([, j]) => kept[j].score);
    });
    const nonFace = noFaceDets.filter((d) => keptAt(d, score, turnedMin)).map((d) => d.score);
    return {
      ...(faceScores.length ? { weakestFace: Math.min(...faceScores) } : {}),
      ...(nonFace.length ? { strongestNonFace: Math.max(...nonFace) } : {}),
      score,
      hit,
      total,
      extra,
      noFaceDetections: nonFace.length,
      ...(errors.length
        ? { worstPointError: errors[errors.length - 1], medianPointError: errors[errors.length >> 1] }
        : {}),
      ...(upscale !== 1 ? { upscale } : {}),
    };
  });
}

const labelled = [
  ...readImglab(path.join(dlib, 'training_with_face_landmarks.xml')),
  ...readImglab(path.join(dlib, 'testing_with_face_landmarks.xml')),
];
const rows: Row[] = [];
const johnsDir = path.join(opts.data, 'johns');
const johnsChips = opts.johns
  ? readdirSync(johnsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) =>
        readdirSync(path.join(johnsDir, d.name))
          .filter((f) => f.endsWith('.jpg'))
          .map((f) => path.join(johnsDir, d.name, f)),
      )
      .sort()
  : [];
const johns: {
  detector: string;
  maxSide: number | null;
  coarseSide: number | null;
  upscale: number;
  score: number;
  found: number;
  total: number;
}[] = [];
const unlabelled: {
  detector: string;
  maxSide: number | null;
  coarseSide: number | null;
  file: string;
  score: number;
  faces: number;
}[] = [];

async function drawBoxes(img: RgbImage, dets: readonly Detection[], out: string): Promise<void> {
  const rects = dets
    .map(
      (d) =>
        `<rect x="${d.box.x}" y="${d.box.y}" width="${d.box.width}" height="${d.box.height}" ` +
        `fill="none" stroke="red" stroke-width="${Math.max(2, img.width / 300)}"/>`,
    )
    .join('');
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${img.width}" height="${img.height}">${rects}</svg>`,
  );
  await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .composite([{ input: svg }])
    .png()
    .toFile(out);
}
const scores = list(opts.scores);
for (const name of opts.detectors.split(',')) {
  const sides = (s: string) => (s === 'default' ? [undefined] : list(s));
  for (const [askedMax, askedCoarse] of name === 'ssd'
    ? [[undefined, undefined]]
    : sides(opts.maxSide).flatMap((m) => sides(opts.coarseSide).map((c) => [m, c]))) {
    const det = await load(name, askedMax, askedCoarse);
    const caps = det instanceof FivePointDetector ? det.caps : undefined;
    const maxSide = caps?.maxSide ?? null;
    const coarseSide = caps?.coarseSide ?? null;
    if (opts.johns) {
      for (const k of list(opts.johns)) {
        const found: number[] = [];
        for (const file of johnsChips) {
          const img =
            k === 1
              ? await decodeImage(file)
              : await decodeImage(
                  await sharp(file)
                    .resize(150 * k, 150 * k, { kernel: 'lanczos3' })
                    .png()
                    .toBuffer(),
                );
          found.push((await det.detect(img, { minScore: Math.min(...scores), tile: opts.tile }))[0]?.score ?? 0);
        }
        for (const score of scores)
          johns.push({
            detector: name,
            maxSide,
            coarseSide,
            upscale: k,
            score,
            found: found.filter((s) => s > score).length,
            total: found.length,
          });
      }
    } else if (opts.unlabelled) {
      for (const file of ['bald_guys.jpg', 'Tom_Cruise_avp_2014_4.jpg']) {
        const img = await decodeImage(path.join(dlib, file));
        const dets = await det.detect(img, { minScore: Math.min(...scores), tile: opts.tile });
        for (const score of scores)
          unlabelled.push({
            detector: name,
            maxSide,
            coarseSide,
            file,
            score,
            faces: dets.filter((d) => d.score > score).length,
          });
        if (opts.draw)
          await drawBoxes(
            img,
            dets.filter((d) => d.score > Math.max(...scores)),
            path.join(opts.draw, `${name}-${maxSide ?? 'ssd'}-${coarseSide ?? ''}-${file.replace(/\.jpg$/, '.png')}`),
          );
      }
    } else {
      // the SSD's padded second pass depends on the threshold, so it runs once per score
      const passes = name === 'ssd' ? scores.map((s) => [s]) : [scores];
      for (const k of list(opts.upscale))
        for (const pass of passes)
          for (const r of await evaluate(
            det,
            TURNED_MIN[name],
            labelled,
            k,
            pass,
            k === 1 || opts.upscaleNoFaces === true,
          ))
            rows.push({ detector: name, maxSide, coarseSide, ...r });
    }
    await det.close();
  }
}

const caps = (r: { maxSide: number | null; coarseSide: number | null }) =>
  r.maxSide === null ? '512 (SSD)' : `${r.maxSide} / ${r.coarseSide || '–'}`;
if (opts.json) console.log(JSON.stringify(opts.johns ? johns : opts.unlabelled ? unlabelled : rows, null, 2));
else if (opts.johns) {
  console.log('| detector | max / coarse side | chips enlarged | score > | chips with a face |');
  console.log('|---|---|---|---|---|');
  for (const r of johns)
    console.log(
      `| ${r.detector} | ${caps(r)} | ${r.upscale}× (${150 * r.upscale} px) | ${r.score} | ${r.found}/${r.total} |`,
    );
} else if (opts.unlabelled) {
  console.log('| detector | max / coarse side | photo | score > | faces found |');
  console.log('|---|---|---|---|---|');
  for (const r of unlabelled) console.log(`| ${r.detector} | ${caps(r)} | ${r.file} | ${r.score} | ${r.faces} |`);
} else {
  console.log(
    '| detector | max / coarse side | upscale | score > | recall (IoU ≥ 0.5) ' +
      '| weakest face | unmatched detections | faces on no_faces/ (best score) | point error median / max |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const pe =
      r.worstPointError === undefined ? '–' : `${r.medianPointError!.toFixed(3)} / ${r.worstPointError.toFixed(3)}`;
    const best = r.strongestNonFace ? ` (${r.strongestNonFace.toFixed(3)})` : '';
    const noFaces =
      r.upscale !== undefined && r.upscale !== 1 && !opts.upscaleNoFaces ? '–' : `${r.noFaceDetections}${best}`;
    console.log(
      `| ${r.detector} | ${caps(r)} | ${r.upscale ?? 1} | ${r.score} ` +
        `| ${r.hit}/${r.total} | ${r.weakestFace?.toFixed(3) ?? '–'} | ${r.extra} | ${noFaces} | ${pe} |`,
    );
  }
}
