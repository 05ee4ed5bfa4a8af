/** facenet serve: the REST API and the web page in one process (API keys: keys.ts). */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { maskPassword } from '../../gallery/store/location.js';
import { DEFAULT_LIMITS } from '../../server/app.js';
import { keysFile, ServerDb } from '../../server/keys.js';
import { startServer } from '../../server/start.js';
import { action, writeErr } from '../output.js';
import { numberFlag } from '../flags.js';
import { addOptions, withHelp, type OptionSpec } from '../options.js';
import { DEFAULT_PACK } from '../../pack/packs.js';
import { PIPELINE_OPTIONS as P, recognizerOptions, type PipelineFlags } from './common.js';
import { GALLERY_OPTION } from './gallery-common.js';
import { KEYS_OPTION, registerKeysCommands } from './keys.js';
import { serveLivenessOf, SERVE_LIVENESS_OPTIONS, type ServeLivenessFlags } from './serve-liveness.js';

/** Bounds of the serve options: beyond them a typo (an extra zero) would start thousands of threads or workers. */
const MAX_CONCURRENCY = 256;

interface ServeFlags extends PipelineFlags, ServeLivenessFlags {
  port?: string;
  host: string;
  gallery: string;
  keys?: string;
  clusters?: string;
  auth: boolean;
  maxImageMb?: string;
  timeoutMs?: string;
  concurrency?: string;
  maxQueued?: string;
  workers?: string;
  log?: boolean;
  video: boolean;
  videoDir?: string;
  allowPrivateUrls?: boolean;
  maxVideoMb?: string;
  maxVideoJobs?: string;
  maxStreams?: string;
  sliceSeconds?: string;
  requireLiveness?: boolean;
}

/** The server's own options, then the pipeline's (the same options as every command, in the server's words). */
const SERVE_OPTIONS: readonly OptionSpec[] = [
  { flags: '--port <n>', help: 'TCP port', default: process.env.PORT ?? '8080' },
  { flags: '--host <addr>', help: 'address to listen on', default: '127.0.0.1' },
  withHelp(GALLERY_OPTION, 'gallery: SQLite file or postgres:// URL (replicas may share one)'),
  KEYS_OPTION,
  { flags: '--no-auth', help: 'serve without API keys (local use only)' },
  {
    flags: '--clusters <file>',
    help: 'serve this `facenet cluster` state under /v1/clusters and on the page (unnamed people)',
  },
  withHelp(P.pack, `recognition pipeline (default ${DEFAULT_PACK}; \`facenet packs\` lists them)`),
  P.models,
  withHelp(P.acceptLicense, 'serve a pack whose weights are not permissively licensed (or FACENET_ACCEPT_LICENSE=1)'),
  withHelp(
    P.threads,
    'inference threads per model (default: the cores shared among the inference workers; ' +
      '0 = let the inference engine choose)',
  ),
  withHelp(P.model, 'embedding model exported by `facenet train`'),
  withHelp(P.flip, "flip test-time augmentation on (default: the pack's setting, as in the CLI)"),
  withHelp(P.noFlip, 'turn off flip test-time augmentation'),
  P.crops,
  P.minScore,
  P.turnedMinScore,
  P.minFaceSize,
  P.detectSize,
  {
    flags: '--max-image-mb <n>',
    help: 'largest image upload, MB',
    default: String(DEFAULT_LIMITS.maxImageBytes / 1024 / 1024),
  },
  withHelp(P.maxPixels, 'largest image, width × height', { default: String(DEFAULT_LIMITS.maxPixels) }),
  {
    flags: '--timeout-ms <n>',
    help: 'inference time limit per request, queue wait included',
    default: String(DEFAULT_LIMITS.inferenceTimeoutMs),
  },
  { flags: '--concurrency <n>', help: 'inference jobs run at once', default: String(DEFAULT_LIMITS.concurrency) },
  {
    flags: '--max-queued <n>',
    help: 'inference jobs allowed to wait before 429',
    default: String(DEFAULT_LIMITS.maxQueued),
  },
  {
    flags: '--require-liveness',
    help:
      'verify and enroll only with the token of a passed liveness challenge (livenessToken; ' +
      'docs/liveness-challenge.md)',
  },
  { flags: '--workers <n>', help: 'inference worker threads (default: --concurrency); 0 = on the main thread' },
  withHelp(P.allowSvg, 'accept SVG uploads (off by default: a few bytes of SVG can declare any size)'),
  ...SERVE_LIVENESS_OPTIONS,
  { flags: '--log', help: 'log every request (JSON lines: method, path without query string, status, time)' },
  { flags: '--no-video', help: 'serve no video jobs (/v1/videos) nor live streams (/v1/stream)' },
  { flags: '--video-dir <dir>', help: 'where uploaded videos wait for their job (several machines: a shared folder)' },
  { flags: '--allow-private-urls', help: 'video URLs may point at loopback, private and link-local addresses' },
  { flags: '--max-video-mb <n>', help: 'largest video upload, MB', default: '512' },
  {
    flags: '--max-video-jobs <n>',
    help: 'video jobs queued or running at once (all servers); more answer 429',
    default: '16',
  },
  { flags: '--max-streams <n>', help: 'live WebSocket streams at once', default: '4' },
  {
    flags: '--slice-seconds <n>',
    help: 'video jobs checkpoint this often (seconds of work): the most a crash loses',
    default: '60',
  },
];

/** The video side's options (`--no-video`: none). */
function videoOptions(flags: ServeFlags) {
  const n = (name: string, v: string | undefined, min: number, max: number) =>
    numberFlag(name, v, { int: true, min, max });
  return (
    flags.video && {
      uploads: flags.videoDir,
      allowPrivateUrls: !!flags.allowPrivateUrls,
      limits: {
        maxVideoBytes: (n('max-video-mb', flags.maxVideoMb, 1, 1_000_000) ?? 512) * 1024 * 1024,
        maxJobs: n('max-video-jobs', flags.maxVideoJobs, 1, 100_000),
        maxStreams: n('max-streams', flags.maxStreams, 0, 10_000),
        sliceSeconds: n('slice-seconds', flags.sliceSeconds, 1, 3600),
      },
    }
  );
}

function serveLimits(flags: ServeFlags) {
  const int = (name: string, v: string | undefined, fallback: number, min: number, max?: number) =>
    numberFlag(name, v, { int: true, min, max }) ?? fallback;
  return {
    maxImageBytes: Math.round(numberFlag('max-image-mb', flags.maxImageMb, { above: 0 })! * 1024 * 1024),
    maxPixels: int('max-pixels', flags.maxPixels, DEFAULT_LIMITS.maxPixels, 1),
    inferenceTimeoutMs: int('timeout-ms', flags.timeoutMs, DEFAULT_LIMITS.inferenceTimeoutMs, 1),
    concurrency: int('concurrency', flags.concurrency, DEFAULT_LIMITS.concurrency, 1, MAX_CONCURRENCY),
    maxQueued: int('max-queued', flags.maxQueued, DEFAULT_LIMITS.maxQueued, 0, 100_000),
  };
}

/** Warnings before serving: no authentication at all, or authentication without any key yet. */
function warnAboutKeys(flags: ServeFlags): void {
  if (!flags.auth) {
    writeErr(
      'WARNING: --no-auth: every route, enrollment and deletion included, ' +
        'is open to anyone who can reach this port. Local use only.\n',
    );
    return;
  }
  // never created here: a server that fails to start (an unreachable database) leaves no keys file behind
  const file = keysFile(flags);
  const db = existsSync(file) ? ServerDb.open(file, { mustExist: true }) : undefined;
  const active = db?.listKeys().filter((k) => !k.revoked) ?? [];
  db?.close();
  if (!active.length)
    writeErr(`WARNING: no API keys yet: create one with \`facenet keys add --role admin --keys ${keysFile(flags)}\`\n`);
}

async function serve(flags: ServeFlags): Promise<void> {
  const limits = serveLimits(flags);
  const port = numberFlag('port', flags.port, { int: true, min: 0, max: 65535 }) ?? 8080;
  const workers = numberFlag('workers', flags.workers, { int: true, min: 0, max: MAX_CONCURRENCY });
  const recognizer = recognizerOptions(flags);
  const liveness = serveLivenessOf(flags);
  warnAboutKeys(flags);
  const server = await startServer({
    port,
    host: flags.host,
    gallery: flags.gallery,
    keys: flags.keys,
    auth: flags.auth,
    recognizer,
    limits,
    logger: !!flags.log,
    workers,
    clusters: flags.clusters,
    liveness,
    video: videoOptions(flags),
    challenge: { requireToken: !!flags.requireLiveness },
  });
  writeErr(
    `facenet serving ${maskPassword(flags.gallery)} at ${server.url}  (page ${server.url}/, ` +
      `API ${server.url}/v1, docs ${server.url}/docs)\n`,
  );
  writeErr(`pack ${server.pack.name}: ${server.pack.licence}\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise<never>(() => {}); // serve until a signal
}

export function registerServeCommands(program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve the REST API (/v1, docs at /docs) and the web page (/) on the gallery');
  addOptions(cmd, SERVE_OPTIONS).action(action(serve));
  registerKeysCommands(program);
}
