/**
 * npx tsx scripts/load-decode.ts [--requests 64] [--parallel 8] [--seconds 120] [--concurrency 2]
 *
 * One bounded loopback load run for docs/reliability.md: the real server (`startServer`, auth off, its own
 * temporary gallery) in a child process on 127.0.0.1, and `--parallel` clients sending decode-heavy requests to
 * POST /v1/detect until `--requests` have been answered or `--seconds` have passed. The mix, per round of four:
 * a 12 MP JPEG (a detection photo upscaled to 4000×3000: a full decode each), a 16 MP JPEG (another photo at
 * 4000×4000), a 9 KB JPEG whose header declares 5000×5000 (a face chip with its frame header rewritten: refused
 * from the header), and a 107-byte SVG declaring 5000×5000 (refused: SVG is off). Samples the server's RSS
 * (/proc/PID/status) every 25 ms and prints the baseline, the peak, the statuses and the latencies. Loopback only;
 * nothing else is contacted.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const DATASETS = process.env.FACENET_DATASETS ?? path.resolve('../shared/datasets');

if (process.argv.includes('--serve')) {
  const { values } = parseArgs({
    options: { serve: { type: 'boolean' }, gallery: { type: 'string' }, concurrency: { type: 'string' } },
  });
  const { startServer } = await import('../src/server/start.js');
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    gallery: values.gallery,
    auth: false,
    recognizer: { threads: 1 },
    limits: { concurrency: Number(values.concurrency ?? 2) },
  });
  process.send!({ url: server.url });
  process.on('message', async () => {
    await server.close();
    process.exit(0);
  });
} else {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string' },
      parallel: { type: 'string' },
      seconds: { type: 'string' },
      concurrency: { type: 'string' },
    },
  });
  const total = Math.min(1000, Number(values.requests ?? 64));
  const parallel = Math.min(32, Number(values.parallel ?? 8));
  const seconds = Math.min(600, Number(values.seconds ?? 120));
  const concurrency = Number(values.concurrency ?? 2);

  const photos = readdirSync(path.join(DATASETS, 'detection', 'dlib_faces'))
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort();
  const big = await sharp(path.join(DATASETS, 'detection', 'dlib_faces', photos[0]))
    .resize(4000, 3000, { fit: 'fill' })
    .jpeg({ quality: 85 })
    .toBuffer();
  const bigger = await sharp(path.join(DATASETS, 'detection', 'dlib_faces', photos[1 % photos.length]))
    .resize(4000, 4000, { fit: 'fill' })
    .jpeg({ quality: 85 })
    .toBuffer();
  const chip = readFileSync(
    path.join(DATASETS, 'johns', 'John_Salley', readdirSync(path.join(DATASETS, 'johns', 'John_Salley')).sort()[0]),
  );
  const bomb = Buffer.from(chip);
  const sof = bomb.findIndex((b, i) => b === 0xff && (bomb[i + 1] === 0xc0 || bomb[i + 1] === 0xc2));
  bomb.writeUInt16BE(5000, sof + 5);
  bomb.writeUInt16BE(5000, sof + 7);
  const svg = Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" width="5000" height="5000"><rect width="5000" height="5000"/></svg>',
  );
  const inputs = [
    { kind: '12 MP JPEG', bytes: big, type: 'image/jpeg' },
    { kind: '16 MP JPEG', bytes: bigger, type: 'image/jpeg' },
    { kind: 'JPEG bomb (header 5000×5000)', bytes: bomb, type: 'image/jpeg' },
    { kind: 'SVG 5000×5000', bytes: svg, type: 'image/svg+xml' },
  ];

  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-load-'));
  const child = fork(
    fileURLToPath(import.meta.url),
    ['--serve', '--gallery', path.join(dir, 'g.db'), '--concurrency', String(concurrency)],
    { execArgv: ['--import', 'tsx'] },
  );
  const url = await new Promise<string>((resolve) => child.once('message', (m: { url: string }) => resolve(m.url)));
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`not loopback: ${url}`);
  const rss = () => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  };
  // one warm-up request of each valid kind, so the baseline includes loaded models
  for (const i of inputs.slice(0, 2)) await send(i);
  const baseline = rss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 25);

  const results: { kind: string; status: number; code?: string; ms: number }[] = [];
  async function send(i: (typeof inputs)[number]) {
    const f = new FormData();
    f.append('image', new Blob([new Uint8Array(i.bytes)], { type: i.type }), 'img');
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/detect`, { method: 'POST', body: f });
    const json = (await res.json()) as { error?: { code: string } };
    return { kind: i.kind, status: res.status, code: json.error?.code, ms: performance.now() - t0 };
  }
  const deadline = performance.now() + seconds * 1000;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < total && performance.now() < deadline) results.push(await send(inputs[next++ % inputs.length]));
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const after = rss();
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });

  const pct = (xs: number[], p: number) =>
    xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN;
  const byKind = inputs.map((i) => {
    const rs = results.filter((r) => r.kind === i.kind);
    const statuses: Record<string, number> = {};
    for (const r of rs)
      statuses[`${r.status}${r.code ? ` ${r.code}` : ''}`] =
        (statuses[`${r.status}${r.code ? ` ${r.code}` : ''}`] ?? 0) + 1;
    return {
      kind: i.kind,
      bytes: i.bytes.length,
      requests: rs.length,
      statuses,
      p50Ms: Math.round(
        pct(
          rs.map((r) => r.ms),
          0.5,
        ),
      ),
      p95Ms: Math.round(
        pct(
          rs.map((r) => r.ms),
          0.95,
        ),
      ),
    };
  });
  const summary = {
    requests: results.length,
    parallel,
    serverConcurrency: concurrency,
    wallSeconds: Math.round(wall * 10) / 10,
    rssMB: { baseline: Math.round(baseline), peak: Math.round(peak), after: Math.round(after) },
    byKind,
  };
  console.log(JSON.stringify(summary, null, 2));
}
