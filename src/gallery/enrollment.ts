/**
 * Enrollment's face-side work, apart from the Gallery that stores the result: which face of each photo to enroll,
 * and the quality and consistency warnings (never refusals) about them.
 */
import type { Box } from '../detect/types.js';
import { boxArea, iou } from '../detect/box.js';
import { FaceError } from '../errors.js';
import type { ImageInput } from '../image/types.js';
import {
  describeInput,
  faceSize,
  inputSha256,
  type FaceFindOptions,
  type GalleryFace,
  type GalleryRecognizer,
} from './face-source.js';
import type { GalleryView, ViewTemplate } from './gallery-view.js';
import { distanceFromDot, dot } from '../embed/vector.js';
import type { EnrollMode, Metadata, Person } from './store/store.js';

/** Faces smaller than this (shorter box side, pixels) are enrolled with a warning: the chip is mostly upsampling. */
export const SMALL_FACE_PX = 40;
/** Detector scores below this are enrolled with a warning. */
export const LOW_SCORE = 0.7;

export interface EnrollOptions extends FaceFindOptions {
  /** Take the largest face of a photo with several instead of rejecting it. */
  largest?: boolean;
  /**
   * Take the detected face that overlaps this box best (IoU ≥ 0.3), e.g. one picked on the web page from a group photo.
   */
  face?: Box;
  metadata?: Metadata;
  /** FAR of the threshold used to flag likely duplicates (default 1e-3). */
  far?: number;
  /** `create` (PERSON_EXISTS if enrolled), `add` (PERSON_NOT_FOUND if not) or `upsert` (default). */
  mode?: EnrollMode;
}

export type EnrollWarningCode =
  'DUPLICATE' | 'INCONSISTENT' | 'SMALL_FACE' | 'LOW_SCORE' | 'ALREADY_ENROLLED' | 'NO_CALIBRATION';

export interface EnrollWarning {
  readonly code: EnrollWarningCode;
  readonly message: string;
  readonly source?: string;
  /** DUPLICATE: the other person; INCONSISTENT: this person. */
  readonly person?: string;
  readonly distance?: number;
}

export interface EnrolledFace {
  readonly source: string;
  readonly sha256: string;
  readonly templateId: number;
  readonly box: Box;
  readonly detectionScore: number;
  readonly faceSize: number;
  readonly facesInImage: number;
}

export interface EnrollResult {
  readonly person: Person;
  readonly created: boolean;
  /** Templates added by this call (photos already enrolled for the person are skipped). */
  readonly added: readonly EnrolledFace[];
  /** The person's templates after this call. */
  readonly templates: number;
  readonly warnings: readonly EnrollWarning[];
}

/** A face chosen from one photo, not yet stored. */
export interface PhotoToEnroll {
  readonly source: string;
  readonly sha256: string;
  readonly face: GalleryFace;
  readonly facesInImage: number;
}

/** A box as `x,y,width,height` in whole pixels: what `--face` takes and `facenet detect` prints. */
export function boxText(b: Box): string {
  return [b.x, b.y, b.width, b.height].map((v) => Math.round(v)).join(',');
}

export function largestFirst(faces: readonly GalleryFace[]): GalleryFace[] {
  return [...faces].sort((a, b) => boxArea(b.box) - boxArea(a.box));
}

/**
 * The detected face that overlaps `box` best; NO_FACE when none overlaps it by IoU ≥ 0.3, listing the boxes found
 * (as `x,y,width,height`, what `--face` takes) so that the caller can pick one. `outcome` ends the message.
 */
export function pickFace<F extends Pick<GalleryFace, 'box'>>(
  faces: readonly F[],
  box: Box,
  source: string,
  outcome = 'nothing was enrolled',
): F {
  let best: F | undefined;
  let bestIou = 0.3;
  for (const f of faces) {
    const o = iou(f.box, box);
    if (o >= bestIou) [best, bestIou] = [f, o];
  }
  if (!best)
    throw new FaceError(
      'NO_FACE',
      `no detected face in ${source} matches the chosen box ${boxText(box)}` +
        (faces.length ? ` (faces found: ${faces.map((f) => boxText(f.box)).join('; ')})` : '') +
        `; ${outcome}`,
      { source, box, boxes: faces.map((f) => f.box) },
    );
  return best;
}

/**
 * Embed each photo and choose its face: NO_FACE, or MULTIPLE_FACES unless `largest` or a chosen box, refuse the whole
 * enrollment; photos already enrolled for the person (`known` sha256s) or repeated are skipped with a warning.
 */
export async function photosToEnroll(
  recognizer: GalleryRecognizer,
  list: readonly ImageInput[],
  opts: EnrollOptions,
  name: string,
  known: ReadonlySet<string>,
): Promise<{ fresh: PhotoToEnroll[]; warnings: EnrollWarning[] }> {
  const warnings: EnrollWarning[] = [];
  const fresh: PhotoToEnroll[] = [];
  for (const img of list) {
    const source = describeInput(img);
    const sha256 = await inputSha256(img);
    const faces = await recognizer.embed(img, { aligned: opts.aligned, detect: opts.detect });
    if (!faces.length) throw new FaceError('NO_FACE', `no face found in ${source}; nothing was enrolled`, { source });
    const picked = opts.face ? pickFace(faces, opts.face, source) : undefined;
    if (faces.length > 1 && !opts.largest && !picked)
      throw new FaceError(
        'MULTIPLE_FACES',
        `${faces.length} faces in ${source} (${faces.map((f) => boxText(f.box)).join('; ')}); choose one ` +
          '(--face x,y,width,height or --largest; through the API a face box or largest) or crop the photo. ' +
          'Nothing was enrolled',
        {
          source,
          faces: faces.length,
          boxes: faces.map((f) => f.box),
        },
      );
    if (known.has(sha256) || fresh.some((f) => f.sha256 === sha256)) {
      warnings.push({
        code: 'ALREADY_ENROLLED',
        message: `${source} is already enrolled for ${name}; skipped`,
        source,
      });
      continue;
    }
    fresh.push({ source, sha256, face: picked ?? largestFirst(faces)[0], facesInImage: faces.length });
  }
  return { fresh, warnings };
}

/**
 * Per photo: small face, low detector score, and (with a calibrated τ) a likely duplicate of someone else or a
 * mismatch with the person's other photos (`own` stored templates and the other fresh ones).
 */
export async function enrollmentWarnings(
  fresh: readonly PhotoToEnroll[],
  ctx: {
    tau: number | undefined;
    view: GalleryView;
    own: readonly ViewTemplate[];
    personId: number | undefined;
    name: string;
  },
): Promise<EnrollWarning[]> {
  const { tau, view, own, name } = ctx;
  const warnings: EnrollWarning[] = [];
  for (const f of fresh) {
    const size = faceSize(f.face.box);
    if (size < SMALL_FACE_PX)
      warnings.push({
        code: 'SMALL_FACE',
        message: `face in ${f.source} is only ${Math.round(size)} px; a larger photo gives a better template`,
        source: f.source,
      });
    if (f.face.score < LOW_SCORE)
      warnings.push({
        code: 'LOW_SCORE',
        message:
          `detector score ${f.face.score.toFixed(2)} in ${f.source}; ` + 'the face may be blurred, occluded or turned',
        source: f.source,
      });
    if (tau === undefined) continue;
    const [other] = await view.search(f.face.embedding, 1, { excludeLabel: ctx.personId });
    if (other && other.distance < tau) {
      warnings.push({
        code: 'DUPLICATE',
        message:
          `${f.source} matches already enrolled ${other.name} ` +
          `(distance ${other.distance.toFixed(3)} < τ ${tau.toFixed(3)}): likely the same person`,
        source: f.source,
        person: other.name,
        distance: other.distance,
      });
    }
    const mine = [...own.map((t) => t.embedding), ...fresh.filter((o) => o !== f).map((o) => o.face.embedding)];
    const nearestOwn = mine.length
      ? Math.min(...mine.map((e) => distanceFromDot(dot(e, f.face.embedding))))
      : undefined;
    if (nearestOwn !== undefined && nearestOwn >= tau)
      warnings.push({
        code: 'INCONSISTENT',
        message:
          `${f.source} does not match ${name}'s other photos ` +
          `(nearest distance ${nearestOwn.toFixed(3)} ≥ τ ${tau.toFixed(3)}): check it is the same person`,
        source: f.source,
        person: name,
        distance: nearestOwn,
      });
  }
  return warnings;
}
