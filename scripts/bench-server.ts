/**
 * npm run bench:server [-- --requests 10000 --connections 8 --threads 1 --concurrency 2 --max-queued 32]
 *
 * A bounded load on POST /v1/identify over loopback: the server runs in a child process (the real `startServer`,
 * API keys on), autocannon drives it from this process. Prints requests/s, p50/p99 latency, errors and non-2xx
 * responses, the server's RSS before and after the run, and the server's event-loop delay during the load
 * (perf_hooks.monitorEventLoopDelay in the server process). Exits 1 on any error or non-2xx response, or when the
 * server's RSS grew by more than --max-rss-growth-mb (default 50 MB) over the run.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface Stats {
  rssMB: number;
  heapUsedMB: number;
  loop: { p50Ms: number; p99Ms: number; maxMs: number; meanMs: number };
}

const JOHNS = process.env.FACENET_DATASETS
  ? path.join(process.env.FACENET_DATASETS, 'johns')
  : path.resolve('../shared/datasets/johns');

// ---- child: the server
if (process.argv.includes('--serve')) {
  const { values } = parseArgs({
    options: {
      serve: { type: 'boolean' },
      port: { type: 'string' },
      gallery: { type: 'string' },
      threads: { type: 'string' },
      concurrency: { type: 'string' },
      'max-queued': { type: 'string' },
      workers: { type: 'string' },
    },
  });
  const { startServer } = await import('../src/server/start.js');
  const server = await startServer({
    port: Number(values.port),
    gallery: values.gallery,
    auth: true,
    recognizer: { threads: Number(values.threads ?? 1) },
    limits: { concurrency: Number(values.concurrency ?? 2), maxQueued: Number(values['max-queued'] ?? 32) },
    workers: values.workers === undefined ? undefined : Number(values.workers),
  });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'stats') {
      // loop figures first: the forced GC below stalls the loop and must not count towards the next window
      const delay = {
        p50Ms: ms(loop.percentile(50)),
        p99Ms: ms(loop.percentile(99)),
        maxMs: ms(loop.max),
        meanMs: ms(loop.mean),
      };
      global.gc?.();
      const mem = process.memoryUsage();
      const stats: Stats = {
        rssMB: Math.round(mem.rss / 1048576),
        heapUsedMB: Math.round(mem.heapUsed / 1048576),
        loop: delay,
      };
      setTimeout(() => {
        loop.reset();
        process.send!({ stats });
      }, 100);
    } else if (m.cmd === 'stop') void server.close().then(() => process.exit(0));
  });
  process.send!({ ready: server.url });
} else {
  // ---- parent: setup, load, report
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '10000' },
      connections: { type: 'string', default: '8' },
      threads: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '2' },
      'max-queued': { type: 'string', default: '32' },
      workers: { type: 'string' }, // inference worker threads in the server (default: concurrency; 0 = main thread)
      port: { type: 'string', default: '0' },
      'max-rss-growth-mb': { type: 'string', default: '50' },
      json: { type: 'boolean' },
    },
  });
  const requests = Number(values.requests);
  const connections = Number(values.connections);
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-bench-'));
  const gallery = path.join(dir, 'bench.db');
  const { ServerDb } = await import('../src/server/keys.js');
  const db = ServerDb.open(gallery);
  const key = db.addKey('admin', 'bench').key;
  db.close();

  const port = Number(values.port) || 20000 + Math.floor(Math.random() * 20000);
  const self = fileURLToPath(import.meta.url);
  const child: ChildProcess = fork(
    self,
    [
      '--serve',
      '--port',
      String(port),
      '--gallery',
      gallery,
      '--threads',
      values.threads!,
      '--concurrency',
      values.concurrency!,
      '--max-queued',
      values['max-queued']!,
      ...(values.workers ? ['--workers', values.workers] : []),
    ],
    {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const next = <T>(key: string) =>
    new Promise<T>((resolve, reject) => {
      const on = (m: Record<string, unknown>) => {
        if (key in m) {
          child.off('message', on);
          resolve(m[key] as T);
        }
      };
      child.on('message', on);
      child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
  const stats = () => {
    child.send({ cmd: 'stats' });
    return next<Stats>('stats');
  };
  try {
    const url = await next<string>('ready');
    const auth = { authorization: `Bearer ${key}` };
    // enroll the first photo of each johns person; probe with another photo of one of them
    const people = readdirSync(JOHNS, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    for (const name of people) {
      const first = readdirSync(path.join(JOHNS, name)).sort()[0];
      const res = await fetch(`${url}/v1/people`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name, image: readFileSync(path.join(JOHNS, name, first)).toString('base64') }),
      });
      if (res.status !== 201) throw new Error(`enroll ${name}: ${res.status} ${await res.text()}`);
    }
    const probeFile = path.join(JOHNS, people[0], readdirSync(path.join(JOHNS, people[0])).sort()[1]);
    const body = JSON.stringify({ image: readFileSync(probeFile).toString('base64') });
    const check = (await (
      await fetch(`${url}/v1/identify`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body,
      })
    ).json()) as {
      faces: { person: string }[];
    };
    if (check.faces[0]?.person !== people[0]) throw new Error(`probe not identified: ${JSON.stringify(check)}`);

    const load = (amount: number) =>
      autocannon({
        url: `${url}/v1/identify`,
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body,
        connections,
        amount,
        timeout: 60,
      });
    await load(Math.min(50, requests)); // warm-up
    const before = await stats();
    const t0 = Date.now();
    const r = await load(requests);
    const seconds = (Date.now() - t0) / 1000;
    const afterStats = await stats();
    const summary = {
      target: 'POST /v1/identify (JSON base64, 150×150 JPEG, 1 face, gallery of 5 people)',
      requests: r.requests.total,
      connections,
      server: {
        concurrency: Number(values.concurrency),
        maxQueued: Number(values['max-queued']),
        threadsPerModel: Number(values.threads),
        workers: values.workers === undefined ? Number(values.concurrency) : Number(values.workers),
      },
      seconds: Math.round(seconds * 10) / 10,
      reqPerSec: Math.round((r.requests.total / seconds) * 10) / 10,
      latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
      rssMB: {
        before: before.rssMB,
        after: afterStats.rssMB,
        growth: afterStats.rssMB - before.rssMB,
        bound: Number(values['max-rss-growth-mb']),
      },
      heapUsedMB: { before: before.heapUsedMB, after: afterStats.heapUsedMB },
      eventLoopDelayDuringLoadMs: afterStats.loop,
    };
    if (values.json) console.log(JSON.stringify(summary, null, 2));
    else
      console.log(
        [
          `${summary.target}`,
          `${summary.requests} requests, ${connections} connections, ` +
            `server concurrency ${summary.server.concurrency} / queue ${summary.server.maxQueued}, ` +
            `${summary.server.workers} inference worker(s), ${summary.server.threadsPerModel} thread(s) per model`,
          `${summary.reqPerSec} req/s over ${summary.seconds} s; latency p50 ${summary.latencyMs.p50} ms, ` +
            `p90 ${summary.latencyMs.p90} ms, p99 ${summary.latencyMs.p99} ms, max ${summary.latencyMs.max} ms`,
          `errors ${summary.errors}, timeouts ${summary.timeouts}, non-2xx ${summary.non2xx}`,
          `server RSS ${summary.rssMB.before} MB → ${summary.rssMB.after} MB ` +
            `(${summary.rssMB.growth >= 0 ? '+' : ''}${summary.rssMB.growth} MB, ` +
            `bound +${summary.rssMB.bound} MB); heap ${summary.heapUsedMB.before} → ${summary.heapUsedMB.after} MB`,
          'server event-loop delay under load: ' +
            `p50 ${afterStats.loop.p50Ms} ms, p99 ${afterStats.loop.p99Ms} ms, max ${afterStats.loop.maxMs} ms`,
        ].join('\n'),
      );
    if (r.errors || r.non2xx || summary.rssMB.growth > summary.rssMB.bound) process.exitCode = 1;
  } finally {
    child.send({ cmd: 'stop' });
    await new Promise((res) => child.once('exit', res));
    rmSync(dir, { recursive: true, force: true });
  }
}
