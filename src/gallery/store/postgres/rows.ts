/** Embeddings in pgvector's binary wire format, and the rows of people and templates as the store's types. */
import type { QueryResultRow } from 'pg';
import { FaceError } from '../../../errors.js';
import type { Metadata, Person, StoredTemplate } from '../store.js';

/** pgvector's binary wire format (vector_recv): int16 dim, int16 0, dim × float4 big-endian. */
export function encodeVector(v: Float32Array): Buffer {
  if (!(v instanceof Float32Array)) throw new FaceError('INVALID_INPUT', 'an embedding must be a Float32Array');
  if (v.length < 1 || v.length > 16_000)
    throw new FaceError('INVALID_INPUT', `an embedding of ${v.length} dimensions cannot be stored (1–16000)`);
  const b = Buffer.allocUnsafe(4 + 4 * v.length);
  b.writeInt16BE(v.length, 0);
  b.writeInt16BE(0, 2);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new FaceError('INVALID_INPUT', `embedding component ${i} is ${v[i]}`);
    b.writeFloatBE(v[i], 4 + 4 * i);
  }
  return b;
}

/** vector_send's bytes back into a Float32Array (bit-exact). */
export function decodeVector(b: Buffer): Float32Array {
  const dim = b.length >= 4 ? b.readInt16BE(0) : -1;
  if (dim < 0 || b.length !== 4 + 4 * dim)
    throw new FaceError('GALLERY_ERROR', `stored embedding has ${b.length} bytes, not a pgvector vector`);
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = b.readFloatBE(4 + 4 * i);
  return out;
}

/** Inner product (double accumulation) of a vector_send payload and a query of the same dimension. */
export function dotBinary(b: Buffer, q: Float32Array): number {
  if (b.length !== 4 + 4 * q.length)
    throw new FaceError(
      'GALLERY_ERROR',
      `stored embedding has ${(b.length - 4) / 4} dimensions, the query ${q.length}`,
    );
  let s = 0;
  for (let i = 0; i < q.length; i++) s += b.readFloatBE(4 + 4 * i) * q[i];
  return s;
}

export interface PersonRow extends QueryResultRow {
  id: number;
  name: string;
  metadata: unknown;
  created: Date;
}

export interface TemplateRow extends QueryResultRow {
  id: number;
  person_id: number;
  model_id: string;
  embedding: Buffer;
  source_sha256: string;
  detection_score: number;
  face_size: number;
  created: Date;
}

function parseMetadata(m: unknown): Metadata {
  return m && typeof m === 'object' && !Array.isArray(m) ? (m as Metadata) : {};
}

export const rowToPerson = (r: PersonRow): Person => ({
  id: r.id,
  name: r.name,
  metadata: parseMetadata(r.metadata),
  created: r.created.toISOString(),
});

export const rowToTemplate = (r: TemplateRow): StoredTemplate => ({
  id: r.id,
  personId: r.person_id,
  modelId: r.model_id,
  embedding: decodeVector(r.embedding),
  sourceSha256: r.source_sha256,
  detectionScore: r.detection_score,
  faceSize: r.face_size,
  created: r.created.toISOString(),
});

export const TEMPLATE_COLUMNS =
  'id, person_id, model_id, vector_send(embedding) AS embedding, source_sha256, detection_score, face_size, created';
