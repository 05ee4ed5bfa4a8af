/** The labelled detection photos (dlib_faces imglab XML) and box matching, shared by the detector tests. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { iou } from '../../src/detect/box.js';
import type { Box, Detection, Point } from '../../src/detect/types.js';
import { DETECTION_DIR } from './datasets.js';

export const DLIB_FACES = path.join(DETECTION_DIR, 'dlib_faces');
export const NO_FACES = path.join(DETECTION_DIR, 'no_faces');

export interface LabelledFace {
  box: Box;
  /** dlib's 68 points when the *_with_face_landmarks.xml file has them. */
  parts?: Point[];
}

export interface LabelledPhoto {
  file: string;
  faces: LabelledFace[];
  ignored: Box[];
}

/**
 * dlib imglab XML: <image file='…'> <box top= left= width= height= [ignore='1']> [<part name= x= y=/>…] </box> …
 * </image>.
 */
export function readImglab(xmlPath: string): LabelledPhoto[] {
  const xml = readFileSync(xmlPath, 'latin1');
  const out: LabelledPhoto[] = [];
  for (const m of xml.matchAll(/<image\s+file='([^']+)'[^>]*>([\s\S]*?)<\/image>/g)) {
    const item: LabelledPhoto = { file: m[1], faces: [], ignored: [] };
    for (const b of m[2].matchAll(/<box\s([^>]*?)(\/>|>([\s\S]*?)<\/box>)/g)) {
      const attr = (name: string) => new RegExp(`\\b${name}='([^']*)'`).exec(b[1])?.[1];
      const box = {
        x: Number(attr('left')),
        y: Number(attr('top')),
        width: Number(attr('width')),
        height: Number(attr('height')),
      };
      if (![box.x, box.y, box.width, box.height].every(Number.isFinite))
        throw new Error(`bad box in ${xmlPath}: ${b[0]}`);
      if (attr('ignore') === '1') {
        item.ignored.push(box);
        continue;
      }
      const parts = [...(b[3] ?? '').matchAll(/<part\s+name='(\d+)'\s+x='(-?\d+)'\s+y='(-?\d+)'/g)].map((p) => ({
        i: Number(p[1]),
        x: Number(p[2]),
        y: Number(p[3]),
      }));
      item.faces.push(
        parts.length === 68 ? { box, parts: parts.sort((a, c) => a.i - c.i).map(({ x, y }) => ({ x, y })) } : { box },
      );
    }
    out.push(item);
  }
  return out;
}

/** The 43 labelled boxes of dlib_faces (training.xml + testing.xml), with dlib's 68 points where known. */
export function dlibFacesLabelled(withLandmarks = false): LabelledPhoto[] {
  const suffix = withLandmarks ? '_with_face_landmarks.xml' : '.xml';
  return [
    ...readImglab(path.join(DLIB_FACES, `training${suffix}`)),
    ...readImglab(path.join(DLIB_FACES, `testing${suffix}`)),
  ];
}

export function noFacePhotos(): string[] {
  return readdirSync(NO_FACES)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((f) => path.join(NO_FACES, f));
}

/** Greedy one-to-one matching, best IoU first: pairs [truth index, detection index]. */
export function matchBoxes(truth: readonly Box[], found: readonly Detection[], minIou: number): [number, number][] {
  const pairs: [number, number, number][] = [];
  truth.forEach((g, i) => found.forEach((d, j) => pairs.push([iou(g, d.box), i, j])));
  pairs.sort((a, b) => b[0] - a[0]);
  const usedT = new Set<number>();
  const usedF = new Set<number>();
  const out: [number, number][] = [];
  for (const [v, i, j] of pairs) {
    if (v < minIou) break;
    if (usedT.has(i) || usedF.has(j)) continue;
    usedT.add(i);
    usedF.add(j);
    out.push([i, j]);
  }
  return out;
}
