/** `facenet serve` as a child process (so a test can SIGKILL it) and small HTTP helpers for its API. */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';

export interface Served {
  child: ChildProcess;
  base: string;
  stderr: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Start `facenet serve ARGS --port 0` and wait for its "serving" line (the port it chose). */
export async function serve(args: string[], timeoutMs = 180_000): Promise<Served> {
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), CLI, 'serve', '--port', '0', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.resume();
  const deadline = Date.now() + timeoutMs;
  let m: RegExpExecArray | null;
  while (!(m = / at (http:\/\/[\d.]+:\d+) /.exec(err))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`facenet serve did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
  return {
    child,
    base: m[1],
    stderr: () => err,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      await exited;
    },
  };
}

export async function call(
  base: string,
  method: string,
  path: string,
  key?: string,
  body?: FormData | Record<string, unknown>,
): Promise<{ status: number; json: Record<string, unknown>; bytes?: Buffer; type: string }> {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body: payload });
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) return { status: res.status, json: (await res.json()) as Record<string, unknown>, type };
  return { status: res.status, json: {}, bytes: Buffer.from(await res.arrayBuffer()), type };
}

/** Poll until `ok` holds for the value, or fail after `timeoutMs`. */
export async function until<T>(
  get: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
