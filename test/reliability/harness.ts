/**
 * The real server on 127.0.0.1 for the reliability suites: a SQLite gallery in a temporary folder, an admin and a
 * recognize key, and the helpers every case uses (call, alive, what is stored, read through a separate connection).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { FaceRecognizer } from '../../src/recognizer.js';
import { Gallery, type GalleryOptions } from '../../src/gallery/gallery.js';
import { ClusterState, type NewFace } from '../../src/cluster/state.js';
import { clusterIntoState, facesOfPhoto } from '../../src/cluster/library.js';
import { galleryRecognizer } from '../../src/gallery/face-source.js';
import { SqliteGalleryStore, type SqliteStoreOptions } from '../../src/gallery/store/sqlite/sqlite-store.js';
import { buildServer, type ServerLimits } from '../../src/server/app.js';
import { ServerDb } from '../../src/server/keys.js';
import { JOHNS_DIR } from '../helpers/datasets.js';
import type { LooseJson } from '../helpers/loose-json.js';

export const chips = (name: string) =>
  readdirSync(path.join(JOHNS_DIR, name))
    .sort()
    .map((f) => path.join(JOHNS_DIR, name, f));

export interface Served {
  base: string;
  file: string;
  dir: string;
  admin: string;
  recognize: string;
  app: FastifyInstance;
  gallery: Gallery;
  clusters?: ClusterState;
  close(): Promise<void>;
}

export async function serve(
  fr: FaceRecognizer,
  opts: {
    limits?: ServerLimits;
    store?: SqliteStoreOptions;
    logger?: boolean;
    /** A cluster state to serve under /v1/clusters, opened from this file (made by `prepare` in `dir`). */
    clusters?: (dir: string) => Promise<string>;
    createIndex?: GalleryOptions['createIndex'];
    /** The folder to use (a tmpfs), else a fresh temporary one. */
    dir?: string;
  } = {},
): Promise<Served> {
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'facenet-rel-'));
  const file = path.join(dir, 'gallery.db');
  const db = ServerDb.open(file);
  const admin = db.addKey('admin').key;
  const recognize = db.addKey('recognize').key;
  const gallery = await Gallery.open({
    store: SqliteGalleryStore.open(file, opts.store),
    recognizer: fr,
    createIndex: opts.createIndex,
  });
  const clusters = opts.clusters ? ClusterState.open(await opts.clusters(dir), { mustExist: true }) : undefined;
  const app = await buildServer({
    gallery,
    recognizer: fr,
    db,
    auth: true,
    limits: opts.limits,
    logger: opts.logger,
    clusters,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    base,
    file,
    dir,
    admin,
    recognize,
    app,
    gallery,
    clusters,
    async close() {
      await app.close();
      await gallery.close();
      clusters?.close();
      db.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  json: LooseJson;
  text: string;
  headers: Headers;
}

export async function call(
  base: string,
  method: string,
  url: string,
  opts: {
    key?: string;
    body?: FormData | object | string | Uint8Array;
    type?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: BodyInit | undefined;
  if (opts.body instanceof FormData) body = opts.body;
  else if (typeof opts.body === 'string' || opts.body instanceof Uint8Array) {
    body = opts.body as BodyInit;
    headers['content-type'] = opts.type ?? 'text/plain';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${base}${url}`, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export function form(fields: Record<string, string>, image?: Buffer, type = 'image/jpeg'): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  if (image) f.append('image', new Blob([new Uint8Array(image)], { type }), 'photo');
  return f;
}

/** What the gallery file holds, read through a connection of its own: people with their template counts. */
export async function stored(file: string): Promise<{ name: string; templates: number }[]> {
  const s = SqliteGalleryStore.open(file, { mustExist: true });
  try {
    return (await s.people()).map((p) => ({ name: p.name, templates: p.templates }));
  } finally {
    await s.close();
  }
}

/** The server answers, in the one error shape when it refuses. */
export async function alive(base: string): Promise<boolean> {
  const r = await call(base, 'GET', '/v1/health');
  return r.status === 200 && r.json?.status === 'ok';
}

/** Whether `text` holds a control or format character other than newline and tab, written raw (not escaped). */
export function hasRawControl(text: string): boolean {
  return /[^\P{Cc}\n\t]|\p{Cf}/u.test(text);
}

/** A cluster state of two johns, made through the library with the server's own model id (the pack's TTA). */
export async function johnsState(recognizer: FaceRecognizer, dir: string, people = ['John_Simm', 'John_Salley']) {
  const file = path.join(dir, 'clusters.db');
  const gr = galleryRecognizer(recognizer);
  const faces: NewFace[] = [];
  for (const who of people)
    for (const f of chips(who).slice(0, 6)) faces.push(...(await facesOfPhoto(gr, f, f, { aligned: true })));
  const state = ClusterState.open(file);
  try {
    await clusterIntoState(state, gr.modelId, faces, { threshold: 0.55 });
  } finally {
    state.close();
  }
  return file;
}

/** A small tmpfs, when this process may mount one (root with CAP_SYS_ADMIN); undefined otherwise. */
export function mountTmpfs(size = '3m'): { dir: string; unmount(): void } | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return {
      dir,
      unmount: () => {
        execFileSync('umount', [dir], { stdio: 'ignore' });
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** Fill the file system of `dir` to its last block (files `fill*` there); returns how many were written. */
export function fillDisk(dir: string): number {
  let n = 0;
  try {
    for (;;) writeFileSync(path.join(dir, `fill${n++}`), Buffer.alloc(4096));
  } catch {
    // the disk is full
  }
  try {
    for (;;) writeFileSync(path.join(dir, `fill${n++}`), Buffer.alloc(1));
  } catch {
    // to the last block
  }
  return n;
}
