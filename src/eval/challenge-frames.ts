/**
 * Frames for judging the active liveness check on still photos (no recordings of people answering challenges exist
 * in the shared data): for one person of CFP (frontal and profile photos) or LFW (many photos, some turned a
 * little), the faces the pipeline finds in
 * - `facing`: re-framed copies of their most frontal photo (a little scale, shift and JPEG quality each), standing in
 *   for the frames of a camera held still: the detector's own frame-to-frame noise;
 * - `left` / `right`: CFP: their profile photos (mostly 50–80°) and the mirror images of those; LFW: their photos
 *   turned 20–45° from the frontal one, and mirror images; sorted by the side they turn to;
 * - `swung`: the frontal photo as a flat print turned about its vertical axis (a perspective view, 10–70°);
 * - `closed`: SYNTHETIC: facing faces whose eyelid points are moved toward the eye's corner line (the eye ratio
 *   times CLOSED_SHARE); CFP has no closed eyes. Empty for packs without the 68 landmarks.
 * Every face but the closed ones is the real output of the pack's detector (and landmark net) on a real photo.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Point, RgbImage } from '../image/types.js';
import type { ObservedFace } from '../liveness-challenge/types.js';
import { poseOf } from '../liveness-challenge/pose.js';
import { Rng } from '../train/rng.js';

export interface PersonFrames {
  readonly person: string;
  readonly facing: readonly ObservedFace[];
  readonly left: readonly ObservedFace[];
  readonly right: readonly ObservedFace[];
  readonly swung: readonly ObservedFace[];
  readonly closed: readonly ObservedFace[];
}

/** The faces in an image, largest first (a FaceRecognizer's detect). */
export type DetectFaces = (img: Buffer | RgbImage) => Promise<readonly ObservedFace[]>;

/** Synthetic closed eyes: the lid points' distance from the corner line times this (the 68-point net, on the real
 * nearly-closed eyes of George_W_Bush_0459.jpg in LFW, gives 0.64 of his open eyes' median ratio). */
export const CLOSED_SHARE = 0.6;
/** The angles the print is swung to: both ways, 10° to 70°. */
export const SWING_DEGREES = [-70, -60, -50, -40, -30, -20, -10, 10, 20, 30, 40, 50, 60, 70] as const;

const area = (f: ObservedFace) => f.box.width * f.box.height;
const largest = (faces: readonly ObservedFace[]) => [...faces].sort((a, b) => area(b) - area(a))[0];

/** A re-framed copy: scaled by 0.92–1.08, shifted up to 3 % of the side, re-encoded at JPEG quality 70–95. */
async function reframed(file: string, rng: Rng): Promise<Buffer> {
  const meta = await sharp(file).metadata();
  const [w, h] = [meta.width ?? 0, meta.height ?? 0];
  const s = 0.92 + 0.16 * rng.next();
  const [W, H] = [Math.round(w * s), Math.round(h * s)];
  const dx = Math.round((rng.next() - 0.5) * 0.06 * W);
  const dy = Math.round((rng.next() - 0.5) * 0.06 * H);
  const left = Math.max(0, Math.min(W - w, Math.round((W - w) / 2 + dx)));
  const top = Math.max(0, Math.min(H - h, Math.round((H - h) / 2 + dy)));
  const resized = sharp(file).resize(W, H);
  const framed = s >= 1 ? resized.extract({ left, top, width: w, height: h }) : resized;
  return framed.jpeg({ quality: 70 + Math.floor(25 * rng.next()) }).toBuffer();
}

/**
 * The photo as a flat print turned by `degrees` about its vertical centre line, seen by a camera whose focal length
 * is the photo's larger side (a phone's field of view): a perspective warp, bilinear, grey outside the print.
 */
export function swungPrint(img: RgbImage, degrees: number): RgbImage {
  const { width: w, height: h, data } = img;
  const [cx, cy, f] = [w / 2, h / 2, Math.max(w, h)];
  const [c, s] = [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180)];
  const out = new Uint8Array(w * h * 3).fill(128);
  for (let v = 0; v < h; v++)
    for (let u = 0; u < w; u++) {
      const a = (u + 0.5 - cx) / f;
      const X = (a * f) / (c - a * s);
      const depth = f + X * s;
      if (!(depth > 0)) continue;
      const [x, y] = [cx + X - 0.5, cy + ((v + 0.5 - cy) * depth) / f - 0.5];
      const [x0, y0] = [Math.floor(x), Math.floor(y)];
      if (x0 < 0 || y0 < 0 || x0 + 1 >= w || y0 + 1 >= h) continue;
      const [fx, fy] = [x - x0, y - y0];
      for (let k = 0; k < 3; k++) {
        const at = (xx: number, yy: number) => data[(yy * w + xx) * 3 + k];
        const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
        const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
        out[(v * w + u) * 3 + k] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  return { width: w, height: h, data: out };
}

/** The face with its eyelids moved toward each eye's corner line (iBUG 36–41 and 42–47), the ratio times `share`. */
export function closeEyes(face: ObservedFace, share = CLOSED_SHARE): ObservedFace {
  const l = face.landmarks;
  if (l?.length !== 68) return face;
  const moved: Point[] = [...l];
  for (const [a, b, lids] of [
    [36, 39, [37, 38, 40, 41]],
    [42, 45, [43, 44, 46, 47]],
  ] as const) {
    const [p, q] = [l[a], l[b]];
    const len2 = (q.x - p.x) ** 2 + (q.y - p.y) ** 2;
    for (const i of lids) {
      const t = ((l[i].x - p.x) * (q.x - p.x) + (l[i].y - p.y) * (q.y - p.y)) / len2;
      const foot = { x: p.x + t * (q.x - p.x), y: p.y + t * (q.y - p.y) };
      moved[i] = { x: foot.x + (l[i].x - foot.x) * share, y: foot.y + (l[i].y - foot.y) * share };
    }
  }
  return { ...face, landmarks: moved };
}

async function rgbOf(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(file).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

const flipped = (img: RgbImage): Promise<Buffer> =>
  sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } })
    .flop()
    .jpeg({ quality: 92 })
    .toBuffer();

type Choice = 'largest' | 'central';

function chosen(faces: readonly ObservedFace[], how: Choice, img: { width: number; height: number }) {
  if (how === 'largest') return largest(faces);
  const off = (f: ObservedFace) =>
    Math.hypot(f.box.x + f.box.width / 2 - img.width / 2, f.box.y + f.box.height / 2 - img.height / 2);
  return [...faces].sort((a, b) => off(a) - off(b))[0];
}

/** The face chosen in an image (the largest, or the one nearest the centre as LFW labels them). */
async function faceIn(img: Buffer | RgbImage, detect: DetectFaces, how: Choice): Promise<ObservedFace | undefined> {
  const size = Buffer.isBuffer(img) ? await sharp(img).metadata() : img;
  return chosen(await detect(img), how, { width: size.width ?? 0, height: size.height ?? 0 });
}

interface Located {
  readonly file: string;
  readonly yaw: number;
}

async function locate(files: readonly string[], detect: DetectFaces, how: Choice): Promise<Located[]> {
  const out: Located[] = [];
  for (const file of files) {
    const face = await faceIn(await rgbOf(file), detect, how);
    if (face) out.push({ file, yaw: poseOf(face).yaw });
  }
  return out;
}

/** The still-camera frames, the swung print and the synthetic closed eyes of one frontal photo. */
async function fromFrontal(best: string, detect: DetectFaces, how: Choice, rng: Rng, copies: number) {
  const facing: ObservedFace[] = [];
  for (let i = 0; i < copies; i++) {
    const face = await faceIn(await reframed(best, rng), detect, how);
    if (face) facing.push(face);
  }
  const swung: ObservedFace[] = [];
  const print = await rgbOf(best);
  for (const deg of SWING_DEGREES) {
    const face = await faceIn(swungPrint(print, deg), detect, how);
    if (face) swung.push(face);
  }
  const closed = facing.filter((f) => f.landmarks?.length === 68).map((f) => closeEyes(f));
  return { facing, swung, closed };
}

const files = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));

export interface FramesOptions {
  /** Re-framed copies of the frontal photo (default 6). */
  copies?: number;
  seed?: number;
}

/** One CFP person's frames (folder `Data/Images/NNN`): turns from the profiles and their mirror images. */
export async function cfpPerson(
  dir: string,
  detect: DetectFaces,
  opts: FramesOptions = {},
): Promise<PersonFrames | undefined> {
  const rng = new Rng(opts.seed ?? 1);
  const frontal = await locate(files(path.join(dir, 'frontal')), detect, 'largest');
  if (!frontal.length) return undefined;
  const best = frontal.sort((a, b) => Math.abs(a.yaw) - Math.abs(b.yaw))[0].file;
  const left: ObservedFace[] = [];
  const right: ObservedFace[] = [];
  for (const file of files(path.join(dir, 'profile'))) {
    const img = await rgbOf(file);
    for (const view of [img, await flipped(img)]) {
      const face = await faceIn(view, detect, 'largest');
      if (face) (poseOf(face).yaw > 0 ? left : right).push(face);
    }
  }
  const rest = await fromFrontal(best, detect, 'largest', rng, opts.copies ?? 6);
  return { person: `cfp/${path.basename(dir)}`, left, right, ...rest };
}

/** The band of yaw, from the frontal photo's, that LFW photos must show to stand for a turn "a little" aside. */
export const MODERATE_TURN = { min: 20, max: 45 } as const;

/**
 * One LFW person's frames (folder `lfw/NAME`, the first `photos` of them, 20 by default): turns from their other
 * photos (and mirror images) whose yaw is 20–45° from the most frontal one's (a different moment, so pitch,
 * expression and light differ too: harder than frames of one video). Undefined without a turn on each side.
 */
export async function lfwPerson(
  dir: string,
  detect: DetectFaces,
  opts: FramesOptions & { photos?: number } = {},
): Promise<PersonFrames | undefined> {
  const rng = new Rng(opts.seed ?? 1);
  const located = await locate(files(dir).slice(0, opts.photos ?? 20), detect, 'central');
  if (located.length < 2) return undefined;
  const best = [...located].sort((a, b) => Math.abs(a.yaw) - Math.abs(b.yaw))[0];
  const left: ObservedFace[] = [];
  const right: ObservedFace[] = [];
  const moderate = (yaw: number) =>
    Math.abs(yaw - best.yaw) >= MODERATE_TURN.min && Math.abs(yaw - best.yaw) <= MODERATE_TURN.max;
  for (const l of located) {
    // a photo or its mirror image (turned the other way: -yaw) may fall in the band
    if (!moderate(l.yaw) && !moderate(-l.yaw)) continue;
    const img = await rgbOf(l.file);
    for (const view of [img, await flipped(img)]) {
      const face = await faceIn(view, detect, 'central');
      const yaw = face && poseOf(face).yaw;
      if (face && yaw !== undefined && moderate(yaw)) (yaw > best.yaw ? left : right).push(face);
    }
  }
  if (!left.length || !right.length) return undefined;
  const rest = await fromFrontal(best.file, detect, 'central', rng, opts.copies ?? 6);
  return { person: `lfw/${path.basename(dir)}`, left, right, ...rest };
}
