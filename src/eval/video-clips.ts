/**
 * Labelled video clips made from real photos: LFW faces (the central 150×150 of each 250×250 photo) pasted on a
 * textured 640×480 canvas and moved along scripted paths (crossing, leaving and coming back, a group drifting),
 * encoded by ffmpeg. Each frame's ground truth is the face region of every visible face (at least half uncovered),
 * with the person's id. Tests, `npm run eval:tracking` and `npm run bench:video` build them at run time: no video is
 * committed.
 */
import path from 'node:path';
import sharp from 'sharp';
import { encodeVideo } from '../engine/ffmpeg.js';
import type { Box } from '../detect/types.js';

/** Where a face is at a time; positions between keys are linear, `hidden` keys take the face off the canvas. */
export interface PathKey {
  readonly t: number;
  readonly x: number;
  readonly y: number;
  readonly hidden?: boolean;
}

export interface ClipFace {
  /** LFW person and image number (1-based), e.g. George_W_Bush 1. The central 200 px of the photo is pasted. */
  readonly person: string;
  readonly image: number;
  /** Side of the pasted crop, pixels. */
  readonly size: number;
  readonly path: readonly PathKey[];
}

export interface ClipSpec {
  readonly name: string;
  readonly seconds: number;
  readonly fps: number;
  readonly width: number;
  readonly height: number;
  readonly faces: readonly ClipFace[];
}

export interface GroundTruthFrame {
  readonly time: number;
  readonly objects: readonly { readonly id: number; readonly person: string; readonly box: Box }[];
}

const W = 640;
const H = 480;
const key = (t: number, x: number, y: number, hidden = false): PathKey => ({ t, x, y, hidden });

/** The standard scenarios: the tracking evaluation's set and the benchmark's group. */
export const SCENARIOS: readonly ClipSpec[] = [
  {
    name: 'crossing',
    seconds: 6,
    fps: 25,
    width: W,
    height: H,
    faces: [
      { person: 'Colin_Powell', image: 1, size: 230, path: [key(0, 0, 150), key(6, 410, 190)] },
      { person: 'Tony_Blair', image: 1, size: 230, path: [key(0, 410, 170), key(6, 0, 150)] },
    ],
  },
  {
    name: 'leave-and-return',
    seconds: 8,
    fps: 25,
    width: W,
    height: H,
    faces: [
      {
        person: 'Donald_Rumsfeld',
        image: 1,
        size: 220,
        path: [key(0, 60, 20), key(2.5, 700, 40, true), key(4.5, 700, 40, true), key(5, 560, 40), key(8, 200, 30)],
      },
      { person: 'Gerhard_Schroeder', image: 1, size: 220, path: [key(0, 300, 250), key(8, 350, 240)] },
    ],
  },
  {
    name: 'group',
    seconds: 10,
    fps: 25,
    width: W,
    height: H,
    faces: [
      { person: 'George_W_Bush', image: 1, size: 200, path: [key(0, 0, 20), key(10, 30, 40)] },
      { person: 'Colin_Powell', image: 2, size: 200, path: [key(0, 220, 10), key(10, 200, 40)] },
      { person: 'Tony_Blair', image: 2, size: 200, path: [key(0, 440, 30), key(10, 420, 10)] },
      { person: 'Ariel_Sharon', image: 1, size: 200, path: [key(0, 10, 270), key(10, 40, 250)] },
      { person: 'Hugo_Chavez', image: 1, size: 200, path: [key(0, 230, 250), key(10, 210, 275)] },
      { person: 'Junichiro_Koizumi', image: 1, size: 200, path: [key(0, 430, 260), key(10, 400, 270)] },
    ],
  },
];

export const lfwImage = (lfwDir: string, person: string, n: number) =>
  path.join(lfwDir, 'lfw', person, `${person}_${String(n).padStart(4, '0')}.jpg`);

function position(p: readonly PathKey[], t: number): { x: number; y: number; hidden: boolean } {
  let i = 0;
  while (i < p.length - 1 && p[i + 1].t <= t) i++;
  const a = p[i];
  const b = p[Math.min(i + 1, p.length - 1)];
  if (a.hidden && (b.hidden || b === a)) return { x: a.x, y: a.y, hidden: true };
  const k = b.t > a.t ? Math.min(1, Math.max(0, (t - a.t) / (b.t - a.t))) : 0;
  return { x: a.x + k * (b.x - a.x), y: a.y + k * (b.y - a.y), hidden: !!a.hidden && k < 1 && !!b.hidden };
}

/** A deterministic, softly textured wall (no faces), like a room behind the people. */
function background(width: number, height: number): Uint8Array {
  const bg = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v =
        120 + 30 * Math.sin(x / 70) * Math.cos(y / 90) + 25 * (y / height) + 6 * Math.sin((x * 7 + y * 13) % 17);
      const i = 3 * (y * width + x);
      bg[i] = v;
      bg[i + 1] = v * 0.95 + 10;
      bg[i + 2] = v * 0.9 + 20;
    }
  return bg;
}

async function faceCrop(lfwDir: string, f: ClipFace): Promise<Uint8Array> {
  const { data } = await sharp(lfwImage(lfwDir, f.person, f.image))
    .extract({ left: 25, top: 25, width: 200, height: 200 })
    .resize(f.size, f.size)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

/** The face inside a pasted crop (LFW's face sits in the middle of the central 200 px of the photo). */
const faceBox = (x: number, y: number, size: number): Box => ({
  x: x + 0.25 * size,
  y: y + 0.22 * size,
  width: 0.5 * size,
  height: 0.58 * size,
});

/** Opacity of a crop's pixel: 1 inside, fading to 0 over the outer 15 % (no hard square edge around the face). */
function feather(x: number, y: number, size: number): number {
  const edge = Math.min(x, y, size - 1 - x, size - 1 - y) / (0.15 * size);
  return Math.min(1, Math.max(0, edge));
}

const overlapArea = (a: Box, b: Box) =>
  Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)) *
  Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));

/** Render and encode `spec` to `out` (mp4, H.264); the per-frame ground truth. Later faces are drawn on top. */
export async function makeClip(spec: ClipSpec, lfwDir: string, out: string): Promise<GroundTruthFrame[]> {
  const crops = await Promise.all(spec.faces.map((f) => faceCrop(lfwDir, f)));
  const bg = background(spec.width, spec.height);
  const enc = encodeVideo({ output: out, width: spec.width, height: spec.height, fps: spec.fps });
  const truth: GroundTruthFrame[] = [];
  const frames = Math.round(spec.seconds * spec.fps);
  for (let n = 0; n < frames; n++) {
    const t = n / spec.fps;
    const img = bg.slice();
    const placed: { id: number; person: string; box: Box; crop: Box }[] = [];
    spec.faces.forEach((f, id) => {
      const p = position(f.path, t);
      if (p.hidden) return;
      const x0 = Math.round(p.x);
      const y0 = Math.round(p.y);
      for (let y = 0; y < f.size; y++) {
        const yy = y0 + y;
        if (yy < 0 || yy >= spec.height) continue;
        for (let x = 0; x < f.size; x++) {
          const xx = x0 + x;
          if (xx < 0 || xx >= spec.width) continue;
          const s = 3 * (y * f.size + x);
          const d = 3 * (yy * spec.width + xx);
          const a = feather(x, y, f.size);
          for (let c = 0; c < 3; c++) img[d + c] = a * crops[id][s + c] + (1 - a) * img[d + c];
        }
      }
      placed.push({
        id: id + 1,
        person: f.person,
        box: faceBox(x0, y0, f.size),
        crop: { x: x0, y: y0, width: f.size, height: f.size },
      });
    });
    const objects = placed.filter((o, i) => {
      const inFrame = overlapArea(o.box, { x: 0, y: 0, width: spec.width, height: spec.height });
      const covered = placed.slice(i + 1).reduce((s, above) => s + overlapArea(o.box, above.crop), 0);
      const area = o.box.width * o.box.height;
      return inFrame >= 0.6 * area && covered <= 0.5 * area;
    });
    truth.push({ time: t, objects: objects.map(({ id, person, box }) => ({ id, person, box })) });
    await enc.write(img);
  }
  await enc.end();
  return truth;
}
