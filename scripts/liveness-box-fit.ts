/**
 * Fits how the SSD's and SCRFD's face boxes map onto the box the anti-spoofing pair expects, by way of YuNet, whose
 * mapping was fitted against the reference repository's RetinaFace boxes (../shared/models/README.md: a square of side
 * 1.16·w centred 0.056·h below the box centre). On LFW photos where both detectors find the central face (IoU ≥ 0.5),
 * the medians of w_Y/w_D, h_Y/h_D, (cx_Y − cx_D)/w_D and (cy_Y − cy_D)/h_D give YuNet's box from detector D's; composed
 * with YuNet's mapping that is side = 1.16·(w_Y/w_D)·w_D, dx = (cx_Y − cx_D)/w_D,
 * dy = (cy_Y − cy_D)/h_D + 0.056·h_Y/h_D.
 * Then it checks each mapping: the live scores of the same faces through D's mapped box and through YuNet's.
 *
 *   npx tsx scripts/liveness-box-fit.ts [--data ../shared/datasets/lfw] [--models ../shared/models] [--photos 1000]
 *     [--json]
 * Photos: the first photo of every LFW person, in name order, up to --photos.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { FaceRecognizer, stagesOf } from '../src/recognizer.js';
import { decodeImage } from '../src/image/decode.js';
import type { RgbImage } from '../src/image/types.js';
import type { Box } from '../src/detect/types.js';
import { centralFace, iou } from '../src/detect/box.js';
import { lfwImageRoot } from '../src/eval/lfw-pairs.js';
import { LIVENESS_BOXES, LIVENESS_THRESHOLD } from '../src/pack/liveness.js';
import type { LivenessBoxMap } from '../src/liveness/types.js';
import { LivenessCheck } from '../src/liveness/check.js';

const opts = new Command()
  .option('--data <dir>', 'LFW folder', path.resolve('../shared/datasets/lfw'))
  .option(
    '--models <dir>',
    'models folder (YuNet, SCRFD)',
    process.env.FACENET_MODELS ?? path.resolve('../shared/models'),
  )
  .option('--photos <n>', 'photos to use', '1000')
  .option('--json', 'machine-readable output')
  .parse()
  .opts<{ data: string; models: string; photos: string; json?: boolean }>();

const DETECTORS = { ssd: 'dlib128', yunet: 'dlib128-yunet', scrfd: 'edgeface-xs' } as const;
type Kind = keyof typeof DETECTORS;

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quartiles = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return [s[Math.floor(s.length / 4)], s[Math.floor((3 * s.length) / 4)]];
};
const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

const root = lfwImageRoot(opts.data);
const people = readdirSync(root, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const photos = people.slice(0, Number(opts.photos)).map((p) => path.join(root, p, `${p}_0001.jpg`));

const recognizers = Object.fromEntries(
  await Promise.all(
    Object.entries(DETECTORS).map(async ([k, pack]) => [
      k,
      await FaceRecognizer.load({ pack, models: opts.models, acceptLicense: true, threads: 1 }),
    ]),
  ),
) as Record<Kind, FaceRecognizer>;

/** Central face box of each photo per detector (undefined where none). */
const boxes: Record<Kind, (Box | undefined)[]> = { ssd: [], yunet: [], scrfd: [] };
const images: RgbImage[] = [];
for (const file of photos) {
  const img = await decodeImage(file);
  images.push(img);
  for (const k of Object.keys(DETECTORS) as Kind[]) {
    const dets = await stagesOf(recognizers[k]).detector.detect(img);
    boxes[k].push(centralFace(dets, img.width, img.height)?.box);
  }
}

const yunetMap = LIVENESS_BOXES.yunet;
const fits: Record<string, unknown> = {};
const check = await LivenessCheck.load({ boxMap: yunetMap, threads: 1 });
for (const k of ['ssd', 'scrfd'] as const) {
  const pairs = photos.flatMap((_, i) => {
    const d = boxes[k][i];
    const y = boxes.yunet[i];
    return d && y && iou(d, y) >= 0.5 ? [{ i, d, y }] : [];
  });
  const cx = (b: Box) => b.x + b.width / 2;
  const cy = (b: Box) => b.y + b.height / 2;
  const w = pairs.map(({ d, y }) => y.width / d.width);
  const h = pairs.map(({ d, y }) => y.height / d.height);
  const dx = pairs.map(({ d, y }) => (cx(y) - cx(d)) / d.width);
  const dy = pairs.map(({ d, y }) => (cy(y) - cy(d)) / d.height);
  const map: LivenessBoxMap = {
    side: r4(yunetMap.side * median(w)),
    dx: r4(median(dx) + yunetMap.dx * median(w)),
    dy: r4(median(dy) + yunetMap.dy * median(h)),
  };
  // the check: live scores through D's box with this mapping against YuNet's box with its own
  const scores = async (which: Kind, m: LivenessBoxMap) => {
    const c = await LivenessCheck.load({ boxMap: m, threads: 1 });
    const out: number[] = [];
    for (const p of pairs) out.push((await c.scores(images[p.i], [boxes[which][p.i]!]))[0].score);
    await c.close();
    return out;
  };
  const mine = await scores(k, map);
  const yours = await scores('yunet', yunetMap);
  const asIs = await scores(k, { side: 1, dx: 0, dy: 0 }); // the detector's box used as it is, for comparison
  const below = (v: number[]) => v.filter((s) => s < LIVENESS_THRESHOLD).length;
  fits[k] = {
    photos: photos.length,
    matched: pairs.length,
    ratios: {
      widthYOverD: { median: r4(median(w)), iqr: quartiles(w).map(r4) },
      heightYOverD: { median: r4(median(h)), iqr: quartiles(h).map(r4) },
      dxOverWidth: { median: r4(median(dx)), iqr: quartiles(dx).map(r4) },
      dyOverHeight: { median: r4(median(dy)), iqr: quartiles(dy).map(r4) },
    },
    map,
    check: {
      medianAbsScoreDifference: r4(median(mine.map((s, i) => Math.abs(s - yours[i])))),
      belowThreshold: {
        mapped: below(mine),
        yunet: below(yours),
        unmapped: below(asIs),
        threshold: LIVENESS_THRESHOLD,
      },
    },
  };
}
await check.close();
for (const r of Object.values(recognizers)) await r.close();

if (opts.json) console.log(JSON.stringify(fits, null, 2));
else
  for (const [k, f] of Object.entries(fits)) {
    const v = f as { matched: number; photos: number; map: LivenessBoxMap; ratios: unknown; check: unknown };
    console.log(`${k}: ${v.matched}/${v.photos} photos matched; map ${JSON.stringify(v.map)}`);
    console.log(`  ratios ${JSON.stringify(v.ratios)}`);
    console.log(`  check ${JSON.stringify(v.check)}`);
  }
