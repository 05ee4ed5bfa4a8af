/**
 * Checkpoint files: 'FNTC', uint32 header length, a JSON header, then float32 blocks the header points to.
 * Holds everything a bit-exact resume needs: parameters, batch-norm state, optimizer moments, RNG and sampler
 * state, step counters and the learning curves so far.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { FaceError } from '../errors.js';
import type { NamedArray } from './model.js';

const MAGIC = 'FNTC';

export interface CheckpointArrays {
  params: Record<string, NamedArray>;
  state: Record<string, NamedArray>;
  adamM: Record<string, NamedArray>;
  adamV: Record<string, NamedArray>;
}

export interface Checkpoint<H> {
  header: H;
  arrays: CheckpointArrays;
}

type Ref = { shape: number[]; offset: number; length: number };

export async function writeCheckpoint<H>(file: string, ckpt: Checkpoint<H>): Promise<void> {
  const blocks: Float32Array[] = [];
  let offset = 0;
  const refs: Record<string, Record<string, Ref>> = {};
  for (const [group, arrays] of Object.entries(ckpt.arrays) as [string, Record<string, NamedArray>][]) {
    refs[group] = {};
    for (const [name, a] of Object.entries(arrays)) {
      refs[group][name] = { shape: a.shape, offset, length: a.data.length };
      blocks.push(a.data);
      offset += a.data.length;
    }
  }
  const header = Buffer.from(JSON.stringify({ header: ckpt.header, refs }), 'utf8');
  const pre = Buffer.alloc(8);
  pre.write(MAGIC, 0, 'ascii');
  pre.writeUInt32LE(header.length, 4);
  // float blocks start 4-byte aligned
  const padLen = (4 - ((8 + header.length) % 4)) % 4;
  const body = Buffer.concat([
    pre,
    header,
    Buffer.alloc(padLen),
    ...blocks.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
  ]);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, body);
}

export async function readCheckpoint<H>(file: string): Promise<Checkpoint<H>> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    throw new FaceError(
      'INVALID_INPUT',
      `cannot read checkpoint ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { file },
    );
  }
  if (buf.length < 8 || buf.toString('ascii', 0, 4) !== MAGIC)
    throw new FaceError('INVALID_INPUT', `${file} is not a facenet training checkpoint`, { file });
  const damaged = (why: string) =>
    new FaceError('INVALID_INPUT', `${file} is a damaged training checkpoint (${why})`, { file });
  const hlen = buf.readUInt32LE(4);
  let parsed: { header: H; refs: Record<string, Record<string, Ref>> };
  try {
    parsed = JSON.parse(buf.toString('utf8', 8, 8 + hlen)) as typeof parsed;
  } catch {
    throw damaged('its header is cut short or not JSON');
  }
  const { header, refs } = parsed;
  if (!header || !refs || typeof refs !== 'object') throw damaged('no header or no array table');
  const start = 8 + hlen + ((4 - ((8 + hlen) % 4)) % 4);
  // whole floats only: a file cut at any byte must not make the Float32Array itself throw
  const floatBytes = Math.max(0, buf.length - start) & ~3;
  const floats = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + floatBytes));
  const arrays = { params: {}, state: {}, adamM: {}, adamV: {} } as CheckpointArrays;
  for (const [group, entries] of Object.entries(refs)) {
    const target = (arrays as unknown as Record<string, Record<string, NamedArray>>)[group];
    if (!target) continue;
    for (const [name, r] of Object.entries(entries)) {
      // a file cut short (or edited) would hand tfjs arrays shorter than their shape
      const size = r.shape.reduce((a, b) => a * b, 1);
      if (r.length !== size || r.offset < 0 || r.offset + r.length > floats.length)
        throw damaged(`array ${group}/${name} does not fit in the file`);
      target[name] = { shape: r.shape, data: floats.slice(r.offset, r.offset + r.length) };
    }
  }
  return { header, arrays };
}
