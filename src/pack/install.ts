/**
 * `facenet packs add DIR|URL`: copies or downloads a pack's model files into the models folder. Every file is checked
 * against its pinned SHA-256 before anything is written; a mismatch writes nothing. This is the only place that
 * downloads, and only when asked.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { FaceError, ModelError } from '../errors.js';
import { fileState, filePath, modelsDir, packFiles, packStatus, sha256Hex } from './files.js';
import { PACKS } from './packs.js';
import { resolvePack } from './router.js';
import type { PackFile } from './types.js';

export interface InstallOptions {
  /** Destination models folder (default: modelsDir()). */
  models?: string;
  /** Packs whose files to install (default: every pack's files the source has). */
  packs?: readonly string[];
}

export interface InstallResult {
  readonly modelsDir: string;
  /** Files written, verified. */
  readonly installed: readonly string[];
  /** Files that were already there and verified. */
  readonly present: readonly string[];
  /** Files the source does not have. */
  readonly notFound: readonly string[];
  /** Per requested pack: whether all its files are now in place and verified. */
  readonly packs: readonly { name: string; complete: boolean }[];
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** The file's bytes from a folder (its relative path, else its bare name), or undefined when absent. */
async function fromDir(dir: string, file: PackFile): Promise<Uint8Array | undefined> {
  for (const p of [filePath(dir, file), path.join(dir, path.posix.basename(file.path))]) {
    try {
      return new Uint8Array(await readFile(p));
    } catch {
      /* try the next layout */
    }
  }
  return undefined;
}

/** The file's bytes from `${base}/${path}`, or undefined on 404; never more than its pinned size. */
async function fromUrl(base: string, file: PackFile): Promise<Uint8Array | undefined> {
  const url = new URL(file.path, base.endsWith('/') ? base : `${base}/`);
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (e) {
    throw new FaceError('INVALID_INPUT', `cannot reach ${url.href}: ${(e as Error).message}`, { url: url.href });
  }
  if (res.status === 404) return undefined;
  if (!res.ok || !res.body)
    throw new FaceError('INVALID_INPUT', `${url.href} answered ${res.status}`, { url: url.href, status: res.status });
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > file.bytes) {
      await res.body.cancel().catch(() => undefined);
      throw new ModelError('MODEL_CHECKSUM', `${url.href} is larger than ${file.path} (${file.bytes} bytes): refused`, {
        url: url.href,
        file: file.path,
      });
    }
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export async function installPackFiles(source: string, opts: InstallOptions = {}): Promise<InstallResult> {
  const dest = modelsDir(opts.models);
  const packs = (opts.packs?.length ? opts.packs : PACKS.map((p) => p.name)).map((n) => resolvePack(n));
  const wanted = new Map<string, PackFile>();
  // a bundled file found in the repository's models/ counts as present (filePath); elsewhere it installs like any other
  for (const p of packs) for (const f of packFiles(p)) wanted.set(f.path, f);
  const present: string[] = [];
  const notFound: string[] = [];
  const fetched: { file: PackFile; bytes: Uint8Array }[] = [];
  const mismatched: { path: string; actual: string }[] = [];
  for (const file of wanted.values()) {
    if ((await fileState(dest, file)) === 'verified') {
      present.push(file.path);
      continue;
    }
    const bytes = isUrl(source) ? await fromUrl(source, file) : await fromDir(source, file);
    if (!bytes) {
      notFound.push(file.path);
      continue;
    }
    const actual = sha256Hex(bytes);
    if (actual !== file.sha256) mismatched.push({ path: file.path, actual });
    else fetched.push({ file, bytes });
  }
  if (mismatched.length)
    throw new ModelError(
      'MODEL_CHECKSUM',
      `${source}: ` +
        mismatched.map((m) => `${m.path} has sha256 ${m.actual}, expected ${wanted.get(m.path)!.sha256}`).join('; ') +
        '. Nothing was installed',
      {
        source,
        mismatched,
      },
    );
  if (fetched.length === 0 && present.length === 0)
    throw new FaceError(
      'INVALID_INPUT',
      `${source} holds none of the files of ${packs.map((p) => p.name).join(', ')} ` +
        `(looked for ${[...wanted.keys()].join(', ')})`,
      { source },
    );
  // every folder on the way is checked before anything is written: all files land inside `dest`, or none
  for (const { file } of fetched) await assertNoLinkedFolder(dest, file.path);
  // always into the models folder (never the repository's models/ of a bundled file)
  for (const { file, bytes } of fetched) await writeInside(dest, file.path, bytes);
  const complete = await Promise.all(
    packs.map(async (p) => ({
      name: p.name,
      complete: (await packStatus(p, dest)).every((s) => s.state === 'verified'),
    })),
  );
  return { modelsDir: dest, installed: fetched.map((f) => f.file.path), present, notFound, packs: complete };
}

/**
 * The folders between `dest` and the file `rel` (a '/'-separated path inside it) that exist must be real folders,
 * not symbolic links (or anything else): a link there would carry the write outside the models folder. `dest` itself
 * may be a link (the user named it).
 */
async function assertNoLinkedFolder(dest: string, rel: string): Promise<void> {
  let at = dest;
  for (const part of rel.split('/').slice(0, -1)) {
    at = path.join(at, part);
    const st = await lstat(at).catch(() => undefined);
    if (!st) return; // made by mkdir below
    if (!st.isDirectory())
      throw new FaceError(
        'INVALID_INPUT',
        `${at} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}: ` +
          `packs add writes only inside ${dest}; nothing was installed`,
        { path: at },
      );
  }
}

/**
 * Write `bytes` to `dest/rel` without following a link at the destination: a new file in the same folder (O_EXCL,
 * so never through an existing name), flushed, then renamed over the final name. A symbolic link there is replaced
 * by the file; what it pointed to is left untouched. (write-file-atomic resolves links and writes to their target.)
 */
async function writeInside(dest: string, rel: string, bytes: Uint8Array): Promise<void> {
  const final = path.join(dest, ...rel.split('/'));
  const dir = path.dirname(final);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(final)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, final);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new FaceError(
      'INVALID_INPUT',
      `cannot write ${final}: ${(e as Error).message}`,
      { path: final },
      { cause: e },
    );
  }
  const d = await open(dir, 'r').catch(() => undefined);
  await d?.sync().catch(() => undefined); // the rename, durable (not every file system allows it)
  await d?.close();
}
