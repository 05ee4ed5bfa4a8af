/**
 * What the aligned-chip face check (src/align/chip-face.ts) refuses, for one pack: 12 non-faces (the issue's
 * two-tone, gradient and split squares, noise, a checkerboard, rings, the five animal photos of
 * detection/no_faces resized to a chip), which must all be refused, and real aligned chips, which must all pass:
 * the 55 johns chips (150×150 packs only) and N LFW faces aligned by the pack itself (the face nearest the centre of
 * the first photo of every k-th person).
 *
 *   node --import tsx scripts/chip-check.ts [--pack dlib128] [--lfw 300] [--models ../shared/models]
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { FaceRecognizer } from '../src/recognizer.js';
import type { RgbImage } from '../src/image/types.js';

const { values } = parseArgs({
  options: {
    pack: { type: 'string', default: 'dlib128' },
    lfw: { type: 'string', default: '300' },
    models: { type: 'string', default: path.resolve('../shared/models') },
    datasets: { type: 'string', default: process.env.FACENET_DATASETS ?? path.resolve('../shared/datasets') },
  },
});
const fr = await FaceRecognizer.load({ pack: values.pack, models: values.models, acceptLicense: true, threads: 1 });
const side = fr.pack.align.size;

function square(level: (x: number, y: number) => number): RgbImage {
  const data = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) data.fill(level(x, y), 3 * (y * side + x), 3 * (y * side + x) + 3);
  return { width: side, height: side, data };
}
let seed = 1;
const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const half = side / 2;
const nonFaces: Record<string, RgbImage> = {
  'half black, half white': square((x) => (x < half ? 0 : 255)),
  gradient: square((x, y) => Math.round(((x + y) / (2 * side)) * 255)),
  '60/90 split': square((x) => (x < half ? 60 : 90)),
  'horizontal split': square((_, y) => (y < half ? 0 : 255)),
  noise: square(() => Math.floor(random() * 256)),
  checkerboard: square((x, y) => (((x >> 4) + (y >> 4)) % 2 ? 230 : 20)),
  rings: square((x, y) => Math.round(127 + 127 * Math.sin(Math.hypot(x - half, y - half) / 5))),
};
const noFaces = path.join(values.datasets, 'detection', 'no_faces');
for (const f of readdirSync(noFaces)) {
  const { data, info } = await sharp(path.join(noFaces, f))
    .removeAlpha()
    .resize(side, side, { fit: 'cover' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  nonFaces[f] = { width: info.width, height: info.height, data: new Uint8Array(data) };
}

async function passes(chip: RgbImage | Buffer): Promise<boolean> {
  try {
    await fr.align(chip, { aligned: true });
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'NO_FACE') return false;
    throw e;
  }
}

const accepted: string[] = [];
for (const [what, chip] of Object.entries(nonFaces)) if (await passes(chip)) accepted.push(what);
console.log(
  `${values.pack}: non-faces accepted ${accepted.length}/${Object.keys(nonFaces).length} ${accepted.join(', ')}`,
);

if (side === 150) {
  const johns = path.join(values.datasets, 'johns');
  const refused: string[] = [];
  let n = 0;
  for (const who of readdirSync(johns).filter((d) => d.startsWith('John_')))
    for (const f of readdirSync(path.join(johns, who))) {
      n++;
      if (!(await passes(readFileSync(path.join(johns, who, f))))) refused.push(`${who}/${f}`);
    }
  console.log(`${values.pack}: johns chips refused ${refused.length}/${n} ${refused.join(', ')}`);
}

const lfw = path.join(values.datasets, 'lfw', 'lfw');
const people = readdirSync(lfw).sort();
const want = Number(values.lfw);
const step = Math.max(1, Math.floor(people.length / want));
const refused: string[] = [];
let tried = 0;
for (let i = 7; i < people.length && tried < want; i += step) {
  const photo = path.join(lfw, people[i], readdirSync(path.join(lfw, people[i])).sort()[0]);
  const faces = await fr.align(photo);
  if (!faces.length) continue;
  const offCentre = (b: { x: number; y: number; width: number; height: number }) =>
    Math.hypot(b.x + b.width / 2 - 125, b.y + b.height / 2 - 125);
  const face = faces.sort((a, b) => offCentre(a.box) - offCentre(b.box))[0];
  tried++;
  if (!(await passes(face.chip))) refused.push(path.basename(photo));
}
console.log(
  `${values.pack}: LFW chips (${side}×${side}, aligned by the pack) refused ` +
    `${refused.length}/${tried} ${refused.join(', ')}`,
);
await fr.close();
