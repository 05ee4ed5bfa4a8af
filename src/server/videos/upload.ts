/**
 * Video uploads go to disk as they arrive, never into memory: the multipart plugin hands each file part here; a
 * route whose config sets `videoUpload` gets it streamed to a new file in the server's upload folder (at most its
 * `multipartOptions.limits.fileSize` bytes: a larger one is removed and answered BODY_TOO_LARGE), every other route
 * gets the part buffered as before.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { FaceError } from '../../errors.js';

export interface SavedUpload {
  readonly id: string;
  readonly path: string;
  readonly filename: string;
  readonly bytes: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Stream the route's file part to this folder instead of buffering it. */
    videoUpload?: { dir: string; maxBytes: number };
  }
  interface FastifyRequest {
    upload?: SavedUpload;
  }
}

export async function onUploadPart(req: FastifyRequest, part: MultipartFile): Promise<void> {
  const spec = req.routeOptions.config?.videoUpload;
  if (!spec) {
    await part.toBuffer();
    return;
  }
  if (req.upload) {
    part.file.resume();
    throw new FaceError('INVALID_INPUT', 'send one video file, in the field "video"');
  }
  mkdirSync(spec.dir, { recursive: true, mode: 0o700 });
  const id = randomUUID();
  const file = path.join(spec.dir, `${id}.upload`);
  let bytes = 0;
  part.file.on('data', (d: Buffer) => (bytes += d.length));
  try {
    await pipeline(part.file, createWriteStream(file, { mode: 0o600 }));
  } catch (e) {
    rmSync(file, { force: true });
    if ((e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE' || part.file.truncated)
      throw new FaceError('BODY_TOO_LARGE', `the video is over the ${spec.maxBytes}-byte limit`, {
        maxVideoBytes: spec.maxBytes,
      });
    throw e;
  }
  if (part.file.truncated) {
    rmSync(file, { force: true });
    throw new FaceError('BODY_TOO_LARGE', `the video is over the ${spec.maxBytes}-byte limit`, {
      maxVideoBytes: spec.maxBytes,
    });
  }
  req.upload = { id, path: file, filename: part.filename, bytes };
}

/**
 * An error about a stored upload, told in the client's words: the file's stored path (the server's folders) becomes
 * the name it was uploaded under, in the message and the details.
 */
export function inClientWords<E>(e: E, stored: string, name: string): E | FaceError {
  if (!(e instanceof FaceError)) return e;
  const hide = (v: unknown): unknown => (typeof v === 'string' ? v.split(stored).join(name) : v);
  const details = e.details ? Object.fromEntries(Object.entries(e.details).map(([k, v]) => [k, hide(v)])) : undefined;
  return new FaceError(e.code, String(hide(e.message)), details, { cause: e });
}
