/**
 * facenet serve: the REST API and the web page in one process.
 * facenet keys add | list | revoke: API keys (stored hashed in the gallery file, or in --keys FILE).
 */
import type { Command } from 'commander';
import { DEFAULT_GALLERY_PATH } from '../../gallery/gallery.js';
import { existsSync } from 'node:fs';
import { maskPassword } from '../../gallery/store/location.js';
import { assertReachable } from '../../gallery/store/open-store.js';
import { FaceError } from '../../errors.js';
import { DEFAULT_LIMITS } from '../../server/app.js';
import { DEFAULT_KEYS_PATH, keysFile, parseRole, ServerDb } from '../../server/keys.js';
import { startServer } from '../../server/start.js';
import { action, printResult, writeErr } from '../output.js';
import { DETECT_SIZE_HELP, intOption, recognizerOptions, type PipelineFlags } from './common.js';
import { DEFAULT_PACK } from '../../pack/packs.js';

function int(name: string, v: string | undefined, fallback: number, min = 0, max?: number): number {
  return intOption(name, v, min, max) ?? fallback;
}

/** Bounds of the serve options: beyond them a typo (an extra zero) would start thousands of threads or workers. */
const MAX_CONCURRENCY = 256;

const galleryDefault = () => process.env.FACENET_GALLERY ?? DEFAULT_GALLERY_PATH;
const KEYS_HELP = `API keys and settings file (default: the gallery file; ${DEFAULT_KEYS_PATH} beside a postgres:// gallery)`;

interface ServeFlags extends Pick<PipelineFlags, 'minScore' | 'minFaceSize' | 'detectSize' | 'crops'> {
  port?: string;
  host: string;
  gallery: string;
  keys?: string;
  clusters?: string;
  auth: boolean;
  threads?: string;
  model?: string;
  flip?: boolean;
  pack?: string;
  models?: string;
  acceptLicense?: boolean;
  maxImageMb?: string;
  maxPixels?: string;
  timeoutMs?: string;
  concurrency?: string;
  maxQueued?: string;
  workers?: string;
  log?: boolean;
  allowSvg?: boolean;
  video: boolean;
  videoDir?: string;
  allowPrivateUrls?: boolean;
  maxVideoMb?: string;
  maxVideoJobs?: string;
  maxStreams?: string;
  sliceSeconds?: string;
}

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('serve the REST API (/v1, docs at /docs) and the web page (/) on the gallery')
    .option('--port <n>', 'TCP port', process.env.PORT ?? '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option(
      '--gallery <file|url>',
      'gallery: SQLite file or postgres:// URL (replicas may share one)',
      galleryDefault(),
    )
    .option('--keys <file>', KEYS_HELP)
    .option('--no-auth', 'serve without API keys (local use only)')
    .option(
      '--clusters <file>',
      'serve this `facenet cluster` state under /v1/clusters and on the page (unnamed people)',
    )
    .option('--pack <name>', `recognition pipeline (default ${DEFAULT_PACK}; \`facenet packs\` lists them)`)
    .option(
      '--models <dir>',
      "folder holding the packs' model files (default: FACENET_MODELS, else ~/.local/share/facenet-ts/models)",
    )
    .option(
      '--accept-license',
      'serve a pack whose weights are not permissively licensed (or FACENET_ACCEPT_LICENSE=1)',
    )
    .option(
      '--threads <n>',
      'inference threads per model (default: the cores shared among the inference workers; 0 = the onnxruntime choice)',
    )
    .option('--model <path>', 'embedding model exported by `facenet train`')
    .option('--flip', "flip test-time augmentation on (default: the pack's setting, as in the CLI)")
    .option('--no-flip', 'turn off flip test-time augmentation')
    .option(
      '--crops <paddings>',
      'crop test-time augmentation: chip paddings averaged with the 0.25 chip, ' +
        'e.g. 0.15,0.35 (the default); none = off',
    )
    .option('--min-score <s>', 'detector score threshold (default 0.8)')
    .option('--min-face-size <px>', 'ignore faces smaller than this (default 20)')
    .option('--detect-size <mode>', `${DETECT_SIZE_HELP} (default enlarge)`)
    .option('--max-image-mb <n>', 'largest image upload, MB', String(DEFAULT_LIMITS.maxImageBytes / 1024 / 1024))
    .option('--max-pixels <n>', 'largest image, width × height', String(DEFAULT_LIMITS.maxPixels))
    .option(
      '--timeout-ms <n>',
      'inference time limit per request, queue wait included',
      String(DEFAULT_LIMITS.inferenceTimeoutMs),
    )
    .option('--concurrency <n>', 'inference jobs run at once', String(DEFAULT_LIMITS.concurrency))
    .option('--max-queued <n>', 'inference jobs allowed to wait before 429', String(DEFAULT_LIMITS.maxQueued))
    .option('--workers <n>', 'inference worker threads (default: --concurrency); 0 = on the main thread')
    .option('--allow-svg', 'accept SVG uploads (off by default: a few bytes of SVG can declare any size)')
    .option('--log', 'log every request (JSON lines: method, path without query string, status, time)')
    .option('--no-video', 'serve no video jobs (/v1/videos) nor live streams (/v1/stream)')
    .option('--video-dir <dir>', 'where uploaded videos wait for their job (several machines: a shared folder)')
    .option('--allow-private-urls', 'video URLs may point at loopback, private and link-local addresses')
    .option('--max-video-mb <n>', 'largest video upload, MB', '512')
    .option('--max-video-jobs <n>', 'video jobs queued or running at once (all servers); more answer 429', '16')
    .option('--max-streams <n>', 'live WebSocket streams at once', '4')
    .option('--slice-seconds <n>', 'video jobs checkpoint this often (seconds of work): the most a crash loses', '60')
    .action(
      action(async (flags: ServeFlags) => {
        const limits = {
          maxImageBytes: Math.round(Number(flags.maxImageMb) * 1024 * 1024),
          maxPixels: int('max-pixels', flags.maxPixels, DEFAULT_LIMITS.maxPixels, 1),
          inferenceTimeoutMs: int('timeout-ms', flags.timeoutMs, DEFAULT_LIMITS.inferenceTimeoutMs, 1),
          concurrency: int('concurrency', flags.concurrency, DEFAULT_LIMITS.concurrency, 1, MAX_CONCURRENCY),
          maxQueued: int('max-queued', flags.maxQueued, DEFAULT_LIMITS.maxQueued, 0, 100_000),
        };
        const port = int('port', flags.port, 8080, 0, 65535);
        const workers = flags.workers === undefined ? undefined : int('workers', flags.workers, 0, 0, MAX_CONCURRENCY);
        const recognizer = recognizerOptions({
          pack: flags.pack,
          models: flags.models,
          acceptLicense: flags.acceptLicense,
          threads: flags.threads,
          model: flags.model,
          flip: flags.flip,
          crops: flags.crops,
          minScore: flags.minScore,
          minFaceSize: flags.minFaceSize,
          detectSize: flags.detectSize,
          allowSvg: flags.allowSvg,
        });
        if (!(limits.maxImageBytes > 0))
          throw new FaceError('INVALID_INPUT', `--max-image-mb: invalid value "${flags.maxImageMb}"`);
        if (!flags.auth)
          process.stderr.write(
            'WARNING: --no-auth: every route, enrollment and deletion included, ' +
              'is open to anyone who can reach this port. Local use only.\n',
          );
        else {
          // never created here: a server that fails to start (an unreachable database) leaves no keys file behind
          const file = keysFile(flags);
          const db = existsSync(file) ? ServerDb.open(file, { mustExist: true }) : undefined;
          const active = db?.listKeys().filter((k) => !k.revoked) ?? [];
          db?.close();
          if (!active.length)
            writeErr(
              `WARNING: no API keys yet: create one with \`facenet keys add --role admin --keys ${keysFile(flags)}\`\n`,
            );
        }
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
          video: flags.video && {
            uploads: flags.videoDir,
            allowPrivateUrls: !!flags.allowPrivateUrls,
            limits: {
              maxVideoBytes: int('max-video-mb', flags.maxVideoMb, 512, 1, 1_000_000) * 1024 * 1024,
              maxJobs: int('max-video-jobs', flags.maxVideoJobs, 16, 1, 100_000),
              maxStreams: int('max-streams', flags.maxStreams, 4, 0, 10_000),
              sliceSeconds: int('slice-seconds', flags.sliceSeconds, 60, 1, 3600),
            },
          },
        });
        writeErr(
          `facenet serving ${maskPassword(flags.gallery)} at ${server.url}  (page ${server.url}/, ` +
            `API ${server.url}/v1, docs ${server.url}/docs)\n`,
        );
        process.stderr.write(`pack ${server.pack.name}: ${server.pack.licence}\n`);
        const stop = () => {
          void server.close().then(() => process.exit(0));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        await new Promise<never>(() => {}); // serve until a signal
      }),
    );

  const keys = program.command('keys').description('API keys of `facenet serve` (stored hashed in the gallery file)');
  keys
    .command('add')
    .description('create a key; it is printed once and only its hash is stored')
    .requiredOption('--role <role>', 'admin (everything) | recognize (detect, embed, verify, identify, read)')
    .option('--name <label>', 'what the key is for', '')
    .option('--gallery <file|url>', 'gallery database', galleryDefault())
    .option('--keys <file>', KEYS_HELP)
    .option('--json', 'machine-readable output')
    .action(
      action(async (flags: { role: string; name: string; gallery: string; keys?: string; json?: boolean }) => {
        const role = parseRole(flags.role);
        await assertKeysGallery(flags);
        const db = ServerDb.open(keysFile(flags));
        try {
          const { key, info } = db.addKey(role, flags.name);
          printResult(
            flags,
            { key, ...info },
            () => `${key}\n(role ${info.role}, id ${info.id}; store it now: it is not shown again)`,
          );
        } finally {
          db.close();
        }
      }),
    );
  keys
    .command('list')
    .description('keys: id, role, name, created, revoked (never the key)')
    .option('--gallery <file|url>', 'gallery database', galleryDefault())
    .option('--keys <file>', KEYS_HELP)
    .option('--json', 'machine-readable output')
    .action(
      action(async (flags: { gallery: string; keys?: string; json?: boolean }) => {
        await assertKeysGallery(flags);
        const db = ServerDb.open(keysFile(flags), { mustExist: true });
        try {
          const list = db.listKeys();
          printResult(flags, { keys: list }, () =>
            list.length
              ? list
                  .map(
                    (k) =>
                      `${k.id}  ${k.role.padEnd(9)}  ${k.revoked ? `revoked ${k.revoked}` : 'active'}  ` +
                      `created ${k.created}  ${k.name}`,
                  )
                  .join('\n')
              : 'no keys',
          );
        } finally {
          db.close();
        }
      }),
    );
  keys
    .command('revoke <id>')
    .description('revoke a key by id (or by the key itself)')
    .option('--gallery <file|url>', 'gallery database', galleryDefault())
    .option('--keys <file>', KEYS_HELP)
    .option('--json', 'machine-readable output')
    .action(
      action(async (id: string, flags: { gallery: string; keys?: string; json?: boolean }) => {
        await assertKeysGallery(flags);
        const db = ServerDb.open(keysFile(flags), { mustExist: true });
        try {
          const k = db.revokeKey(id);
          printResult(flags, k, () => `revoked ${k.id} (${k.role})`);
        } finally {
          db.close();
        }
      }),
    );
}

/**
 * The keys of a postgres:// gallery live in a file beside it (./facenet-keys.db unless --keys): the database must be
 * reachable first, so a mistyped or unreachable URL is GALLERY_ERROR rather than a fresh, empty keys file.
 */
async function assertKeysGallery(flags: { gallery: string; keys?: string }): Promise<void> {
  if (flags.keys === undefined) await assertReachable(flags.gallery);
}
