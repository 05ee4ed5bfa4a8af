/** Dataset checks shared by the 5-point detector tests (YuNet, SCRFD): recall, false faces, landmark plausibility. */
import path from 'node:path';
import type { Detection, DetectOptions, FaceDetector, Point } from '../../src/detect/types.js';
import { decodeImage } from '../../src/image/decode.js';
import { DLIB_FACES, dlibFacesLabelled, matchBoxes, noFacePhotos } from './detection-data.js';

export interface RecallResult {
  hit: number;
  total: number;
  /** Detections matching neither a labelled nor an ignored box. */
  extra: number;
  /** Lowest score among matched faces. */
  weakest: number;
  /** Each matched face: its detection and dlib's 68 points. */
  matched: { file: string; det: Detection; parts?: Point[] }[];
}

export async function recallOnDlibFaces(
  detector: FaceDetector,
  opts: DetectOptions = {},
  minIou = 0.5,
): Promise<RecallResult> {
  const r: RecallResult = { hit: 0, total: 0, extra: 0, weakest: 1, matched: [] };
  for (const photo of dlibFacesLabelled(true)) {
    const img = await decodeImage(path.join(DLIB_FACES, photo.file));
    const dets = await detector.detect(img, opts);
    const pairs = matchBoxes(
      photo.faces.map((f) => f.box),
      dets,
      minIou,
    );
    // detections on boxes marked ignore are neither hits nor false faces
    const onIgnored = matchBoxes(
      photo.ignored,
      dets.filter((_, j) => !pairs.some((p) => p[1] === j)),
      minIou,
    ).length;
    r.total += photo.faces.length;
    r.hit += pairs.length;
    r.extra += dets.length - pairs.length - onIgnored;
    for (const [i, j] of pairs) {
      r.weakest = Math.min(r.weakest, dets[j].score);
      r.matched.push({ file: photo.file, det: dets[j], parts: photo.faces[i].parts });
    }
  }
  return r;
}

/** Faces reported on each no_faces/ photo. */
export async function falseFaces(
  detector: FaceDetector,
  opts: DetectOptions = {},
): Promise<{ file: string; dets: Detection[] }[]> {
  const out = [];
  for (const file of noFacePhotos())
    out.push({ file: path.basename(file), dets: await detector.detect(await decodeImage(file), opts) });
  return out;
}

/** dlib's 68 points → the five points (eye centres, nose tip, mouth corners), image left-to-right. */
export function fiveFrom68(p: readonly Point[]): Point[] {
  const mean = (from: number, to: number) => {
    let x = 0;
    let y = 0;
    for (let i = from; i <= to; i++) {
      x += p[i].x;
      y += p[i].y;
    }
    return { x: x / (to - from + 1), y: y / (to - from + 1) };
  };
  return [mean(36, 41), mean(42, 47), p[30], p[48], p[54]];
}

/**
 * Why five points are implausible for a face in `box`, or undefined: all five inside the box grown by 10 % a side,
 * eyes above the nose above the mouth corners, the left eye and mouth corner left of the right ones.
 */
export function implausiblePoints(det: Detection): string | undefined {
  const p = det.points;
  if (!p || p.length !== 5) return `expected five points, got ${p?.length}`;
  const { x, y, width: w, height: h } = det.box;
  for (const q of p)
    if (q.x < x - 0.1 * w || q.x > x + 1.1 * w || q.y < y - 0.1 * h || q.y > y + 1.1 * h)
      return `point ${JSON.stringify(q)} outside the box`;
  const [le, re, nose, lm, rm] = p;
  if (!(le.x < re.x && lm.x < rm.x)) return 'left/right order';
  if (!(Math.max(le.y, re.y) < nose.y && nose.y < Math.min(lm.y, rm.y))) return 'eyes, nose, mouth not top to bottom';
  return undefined;
}

/** Largest distance from the detector's five points to those from dlib's 68 points, as a fraction of the box side. */
export function pointError(det: Detection, parts: readonly Point[]): number {
  const ref = fiveFrom68(parts);
  const side = Math.sqrt(det.box.width * det.box.height);
  return Math.max(...det.points!.map((q, i) => Math.hypot(q.x - ref[i].x, q.y - ref[i].y) / side));
}
