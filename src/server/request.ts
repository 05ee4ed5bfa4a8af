/** Reading request bodies (multipart or JSON) and the JSON-schema fragments routes share. */
import { FaceError } from '../errors.js';

export { boxJson, r4 } from '../face-json.js';

export type Body = Record<string, unknown>;

const imageProp = {
  description: 'The photo: a file field in multipart/form-data, or base64 (a data: URL is fine) in application/json.',
};
export const farProp = (what: string) => ({
  type: 'number',
  exclusiveMinimum: 0,
  exclusiveMaximum: 1,
  description: what,
});
export const consumes = ['application/json', 'multipart/form-data'];
/** A person's name in the path, percent-encoded; the library's rule (src/gallery/names.ts) judges it. */
export const nameParam = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } };
export const errorResponse = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
};
export const secured: { [label: string]: string[] }[] = [{ bearerAuth: [] }, { apiKey: [] }];

/** The token of a passed liveness challenge (POST /v1/liveness/challenge/{id}/frames); single-use. */
export const livenessTokenProp = {
  type: 'string',
  maxLength: 100,
  description:
    'the token a passed liveness challenge earned (single-use); required when the server runs with --require-liveness',
};

/** A body schema with the image field and the route's own fields. */
export const imageBody = (props: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  required: ['image', ...required],
  properties: { image: imageProp, ...props },
});

/** The image of a request body: a multipart file (Buffer) or base64 text. */
export function imageOf(body: Body | undefined, maxBytes: number): Buffer {
  const v = body?.image;
  if (Buffer.isBuffer(v)) {
    if (!v.length) throw new FaceError('IMAGE_EMPTY', 'the uploaded image is empty');
    return v;
  }
  if (typeof v === 'string') {
    const b64 = v.replace(/^data:[^,]*;base64,/, '').replace(/\s+/g, '');
    if (!b64) throw new FaceError('IMAGE_EMPTY', 'the image field is empty');
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) throw new FaceError('INVALID_INPUT', 'the image field is not base64');
    const img = Buffer.from(b64, 'base64');
    if (img.length > maxBytes)
      throw new FaceError('BODY_TOO_LARGE', `the image is ${img.length} bytes, over the ${maxBytes}-byte limit`, {
        bytes: img.length,
        maxImageBytes: maxBytes,
      });
    return img;
  }
  throw new FaceError('INVALID_INPUT', 'no image: send a multipart file field "image" or a base64 "image" in JSON');
}

/** Multipart text fields arrive as strings; JSON fields as their types. */
export function boolOf(v: unknown): boolean {
  return v === true || v === 'true' || v === '1' || v === 'on';
}

/** A face box chosen by the client: `{x, y, width, height}` (or its JSON text in multipart). */
export function faceBoxOf(v: unknown): { x: number; y: number; width: number; height: number } | undefined {
  if (v === undefined || v === '') return undefined;
  let b = v;
  if (typeof v === 'string') {
    try {
      b = JSON.parse(v);
    } catch {
      throw new FaceError('INVALID_INPUT', 'face must be a box {"x","y","width","height"} in pixels');
    }
  }
  const box = b as Record<string, unknown>;
  const ok =
    box &&
    typeof box === 'object' &&
    ['x', 'y', 'width', 'height'].every((k) => typeof box[k] === 'number' && Number.isFinite(box[k]));
  if (!ok || !((box.width as number) > 0 && (box.height as number) > 0))
    throw new FaceError(
      'INVALID_INPUT',
      'face must be a box {"x","y","width","height"} in pixels, width and height > 0',
    );
  return { x: box.x as number, y: box.y as number, width: box.width as number, height: box.height as number };
}

export function metadataOf(v: unknown): Record<string, unknown> | undefined {
  if (v === undefined || v === '') return undefined;
  let m = v;
  if (typeof v === 'string') {
    try {
      m = JSON.parse(v);
    } catch {
      throw new FaceError('INVALID_INPUT', 'metadata must be a JSON object');
    }
  }
  if (!m || typeof m !== 'object' || Array.isArray(m))
    throw new FaceError('INVALID_INPUT', 'metadata must be a JSON object');
  return m as Record<string, unknown>;
}
