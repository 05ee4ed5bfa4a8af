/**
 * npm run bench:threads — is the default onnxruntime threading ever slower than one thread, on an idle machine and
 * on a busy one?
 *
 * Every setting is loaded once per pack, warmed up, then timed in interleaved rounds (one measurement of each setting
 * per round, the order rotated), so a change in what else runs on a shared machine hits every setting alike. Each
 * round gives every setting a ratio to `threads=1` from the same round; the report is the median ratio over the
 * rounds with a 95 % bootstrap interval (< 1: faster than one thread). Phase "as found" adds nothing; phase "busy"
 * adds N busy-looping worker threads (--load N, default: one per core) competing for the CPU.
 *   embed b1: one face chip through the pack's embedder (median of 5 calls); e2e: a 640×480 photo with 6 faces
 *   through the pack's whole pipeline (decode, detect, align, embed with its default TTA).
 * Settings: default (what FaceRecognizer.load() picks: defaultThreads()), threads=0 (onnxruntime's own choice),
 * threads=1, threads=2; with --spinning also threads=2 with spin-waiting on.
 * Options: --packs LIST (default dlib128,edgeface-xs-yunet; non-permissive ones need --accept-license), --rounds N
 * (default 30), --load N, --no-busy / --no-idle (one phase only), --models DIR, --json
 */
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Command } from 'commander';
import { FaceRecognizer, stagesOf, type RecognizerOptions } from '../src/recognizer.js';
import { createOrtEngine } from '../src/engine/ort.js';
import { defaultThreads } from '../src/engine/engine.js';
import { licenceAccepted, resolvePack } from '../src/pack/router.js';
import { startCpuLoad } from './cpu-load.js';
import { decodeImage } from '../src/image/decode.js';

const opts = new Command()
  .option('--packs <list>', 'packs to measure', 'dlib128,edgeface-xs-yunet')
  .option('--rounds <n>', 'interleaved rounds per phase', '30')
  .option('--load <n>', 'busy threads in the busy phase (default: one per core)', String(os.availableParallelism()))
  .option('--no-idle', 'skip the phase without added load')
  .option('--no-busy', 'skip the phase with added load')
  .option('--spinning', 'also measure threads=2 with spin-waiting on')
  .option('--accept-license', 'include packs whose weights are not permissively licensed')
  .option('--models <dir>', "the packs' model files", process.env.FACENET_MODELS ?? path.resolve('../shared/models'))
  .option('--data <dir>', 'datasets folder', path.resolve('../shared/datasets'))
  .option('--json', 'machine-readable output')
  .parse()
  .opts<{
    packs: string;
    rounds: string;
    load: string;
    idle: boolean;
    busy: boolean;
    spinning?: boolean;
    acceptLicense?: boolean;
    models: string;
    data: string;
    json?: boolean;
  }>();
const ROUNDS = Number(opts.rounds);
const LOAD = Number(opts.load);
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 3) || !Number.isInteger(LOAD) || LOAD < 1 || LOAD > 16)
  throw new Error('--rounds ≥ 3, --load 1-16');

const settings: Record<string, (o: RecognizerOptions) => Promise<FaceRecognizer>> = {
  "default (the pack's)": (o) => FaceRecognizer.load(o),
  'threads=0 (onnxruntime)': (o) => FaceRecognizer.load({ ...o, threads: 0 }),
  'threads=1': (o) => FaceRecognizer.load({ ...o, threads: 1 }),
  'threads=2': (o) => FaceRecognizer.load({ ...o, threads: 2 }),
  ...(opts.spinning
    ? {
        'threads=2 spinning': (o: RecognizerOptions) =>
          FaceRecognizer.load({ ...o, threads: 2, engine: createOrtEngine({ spinning: true }) }),
      }
    : {}),
};
const ONE = 'threads=1';

const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[(s.length >> 1) - 1] + s[s.length >> 1]) / 2;
};
/** 95 % percentile-bootstrap interval of the median (fixed seed: the same figures give the same interval). */
function medianInterval(v: readonly number[], resamples = 2000): [number, number] {
  let seed = 1;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const meds: number[] = [];
  for (let r = 0; r < resamples; r++)
    meds.push(median(Array.from({ length: v.length }, () => v[Math.floor(rnd() * v.length)])));
  meds.sort((a, b) => a - b);
  return [meds[Math.floor(0.025 * resamples)], meds[Math.ceil(0.975 * resamples) - 1]];
}
async function ms(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

interface Figure {
  /** Median ms over the rounds. */
  ms: number;
  /** Median over the rounds of this setting's time / threads=1's in the same round, with its 95 % interval. */
  ratio: number;
  interval: [number, number];
}
type Phase = Record<string, { embedB1: Figure; detect: Figure; endToEnd: Figure }>;

async function phase(recognizers: Record<string, FaceRecognizer>, photoPath: string): Promise<Phase> {
  const names = Object.keys(recognizers);
  const chip = (await recognizers[ONE].embed(photoPath))[0].chip;
  const pixels = await decodeImage(photoPath);
  for (const n of names) for (let i = 0; i < 3; i++) await recognizers[n].embed(photoPath); // warm-up, every setting
  const b1: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const e2e: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const detect: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    for (const n of order) {
      const fr = recognizers[n];
      const five: number[] = [];
      for (let i = 0; i < 5; i++) five.push(await ms(() => stagesOf(fr).embedder.embedRaw([chip])));
      b1[n].push(median(five));
      detect[n].push(await ms(() => fr.detect(pixels)));
      e2e[n].push(await ms(() => fr.embed(photoPath)));
    }
  }
  const figure = (times: Record<string, number[]>, n: string): Figure => {
    const ratios = times[n].map((t, r) => t / times[ONE][r]);
    return { ms: median(times[n]), ratio: median(ratios), interval: medianInterval(ratios) };
  };
  return Object.fromEntries(
    names.map((n) => [n, { embedB1: figure(b1, n), detect: figure(detect, n), endToEnd: figure(e2e, n) }]),
  );
}

const det = path.join(opts.data, 'detection/dlib_faces/2008_002470.jpg');
const photoPath = path.join(os.tmpdir(), 'facenet-bench-threads-640x480.jpg');
await sharp(det).resize(640, 480, { fit: 'fill' }).jpeg({ quality: 92 }).toFile(photoPath);

const results: { pack: string; phase: string; loadAverage: number[]; figures: Phase }[] = [];
for (const pack of opts.packs.split(',').filter(Boolean)) {
  if (!resolvePack(pack).licence.permissive && !licenceAccepted(opts.acceptLicense || undefined)) {
    process.stderr.write(`skipping pack ${pack}: not permissively licensed; pass --accept-license to measure it\n`);
    continue;
  }
  const common: RecognizerOptions = { pack, models: opts.models, acceptLicense: true };
  const recognizers: Record<string, FaceRecognizer> = {};
  for (const [k, load] of Object.entries(settings)) recognizers[k] = await load(common);
  try {
    if (opts.idle)
      results.push({
        pack,
        phase: 'as found',
        loadAverage: os.loadavg(),
        figures: await phase(recognizers, photoPath),
      });
    if (opts.busy) {
      const load = startCpuLoad(LOAD);
      try {
        results.push({
          pack,
          phase: `+${LOAD} busy threads`,
          loadAverage: os.loadavg(),
          figures: await phase(recognizers, photoPath),
        });
      } finally {
        await load.stop();
      }
    }
  } finally {
    for (const fr of Object.values(recognizers)) await fr.close();
  }
}

const out = {
  machine: `${os.availableParallelism()} × ${os.cpus()[0]?.model}`,
  node: process.version,
  rounds: ROUNDS,
  defaultThreads: defaultThreads(),
  results,
};
if (opts.json) console.log(JSON.stringify(out, null, 2));
else {
  console.log(
    `${out.machine}, ${out.node}; ${ROUNDS} interleaved rounds per phase; ` +
      `default = ${out.defaultThreads} intra-op thread(s) per model`,
  );
  console.log(
    'time relative to threads=1 in the same round: median over rounds (95 % bootstrap interval); < 1 is faster',
  );
  const cell = (f: Figure, digits: number) =>
    `${f.ms.toFixed(digits).padStart(8)} ${f.ratio.toFixed(2)} ` +
    `(${f.interval[0].toFixed(2)}–${f.interval[1].toFixed(2)})`;
  for (const r of results) {
    console.log(
      `\npack ${r.pack}, ${r.phase} (load average at start ${r.loadAverage.map((v) => v.toFixed(2)).join(' ')})`,
    );
    console.log(
      `${'setting'.padEnd(26)}${'embed b1 ms, vs 1 thread'.padEnd(30)}` +
        `${'detect ms, vs 1 thread'.padEnd(30)}e2e ms, vs 1 thread`,
    );
    for (const [k, f] of Object.entries(r.figures))
      console.log(
        `${k.padEnd(26)}${cell(f.embedB1, 2).padEnd(30)}${cell(f.detect, 1).padEnd(30)}${cell(f.endToEnd, 1)}`,
      );
  }
}
