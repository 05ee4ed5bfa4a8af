/**
 * npm run bench:train — triplet-loss training on LFW, evaluated on LFW View 1 (pairsDevTest.txt, 1,000 pairs).
 *
 * Trains `--arch small` from scratch on the LFW people who do not appear in pairsDevTest.txt, once per miner
 * (default semi-hard, batch-hard, random), and evaluates DevTest accuracy at 10, 30 and 60 minutes of training
 * (the marks × --minutes-scale). The first miner runs on the clock; the others run to the same step counts
 * ("equal steps"), so miners are compared on equal work. Accuracy: 10-fold cross-validation on the 1,000 DevTest
 * pairs (pair k in fold k mod 10; each fold's threshold chosen on the other nine).
 *
 * --head: instead, trains the projection head on the frozen pretrained net (same split) and reports DevTest
 * accuracy before and after, and exports the model for `facenet eval lfw --model OUT/head/model.onnx`.
 *
 * Chips come from the face pipeline once and are cached (DevTest people first, then the training people with the
 * most images): --extract-only fills that cache and exits. As in `facenet eval lfw`, a photo where no face is
 * detected gets landmarks from a centre box (LFW photos are centred on the labelled face).
 */
import { existsSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { Command } from 'commander';
import { useBackend } from '../src/train/backend.js';
import { defaultChipCacheDir, listIdentities, loadChips, warmChipCache, type ChipSet } from '../src/train/data.js';
import { Trainer } from '../src/train/trainer.js';
import { buildConfig, pretrainedFeatures, recognitionWeights } from '../src/train/run.js';
import { verificationStats, type Pair } from '../src/train/validate.js';
import { MINING_METHODS, type Mining } from '../src/train/triplet.js';
import { CHIP_SIZE } from '../src/embed/recognition-graph.js';

const o = new Command()
  .option('--lfw <dir>', 'LFW folder (with lfw/ and pairsDevTest.txt)', path.resolve('../shared/datasets/lfw'))
  .option('--miners <list>', 'miners to compare', 'semi-hard,batch-hard,random')
  .option('--marks <list>', 'evaluation marks in minutes of training', '10,30,60')
  .option('--minutes-scale <f>', 'multiply every mark (e.g. 0.1 for a 6-minute run per miner)', '1')
  .option('--input-size <px>', 'small arch input size', '64')
  .option('--seed <n>', 'seed', '1')
  .option('--p <n>', 'identities per batch', '16')
  .option('--k <n>', 'images per identity', '4')
  .option('--negatives <n>', 'single-image identities per batch', '8')
  .option('--lr <rate>', 'learning rate (default: train default)')
  .option('--warmup-steps <n>', 'batch-hard / batch-all only: semi-hard steps first (0 = none)', '0')
  .option('--head', 'train --arch head instead and report before/after')
  .option('--head-minutes <m>', 'head training time', '10')
  .option('--extract-only', 'fill the chip cache and exit')
  .option('--cached-only', 'skip extraction; train only on people whose chips are all cached already')
  .option('--chip-cache <dir>', 'chip cache folder')
  .option('--out <dir>', 'where to write results and models', path.join(os.tmpdir(), 'facenet-bench-train'))
  .option('--json', 'print the results as JSON')
  .parse()
  .opts<{
    lfw: string;
    miners: string;
    marks: string;
    minutesScale: string;
    inputSize: string;
    seed: string;
    p: string;
    k: string;
    negatives: string;
    lr?: string;
    warmupSteps: string;
    head?: boolean;
    headMinutes: string;
    extractOnly?: boolean;
    cachedOnly?: boolean;
    chipCache?: string;
    out: string;
    json?: boolean;
  }>();

const LFW_IMAGES = path.join(o.lfw, 'lfw');
const chipCacheDir = o.chipCache ?? defaultChipCacheDir(LFW_IMAGES);
const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
const imageFile = (name: string, n: number) => path.join(LFW_IMAGES, name, `${name}_${String(n).padStart(4, '0')}.jpg`);

/** pairsDevTest.txt: first line the count, then `name n1 n2` (same) or `name1 n1 name2 n2` (different). */
function readPairs(file: string): { a: string; b: string; same: boolean; people: string[] }[] {
  const lines = readFileSync(file, 'utf8').trim().split(/\r?\n/).slice(1);
  return lines.map((l) => {
    const p = l.trim().split(/\s+/);
    if (p.length === 3) return { a: imageFile(p[0], +p[1]), b: imageFile(p[0], +p[2]), same: true, people: [p[0]] };
    return { a: imageFile(p[0], +p[1]), b: imageFile(p[2], +p[3]), same: false, people: [p[0], p[2]] };
  });
}

const devPairs = readPairs(path.join(o.lfw, 'pairsDevTest.txt'));
const devPeople = new Set(devPairs.flatMap((p) => p.people));

async function extract(): Promise<void> {
  const ids = await listIdentities(LFW_IMAGES);
  const devFiles = [...new Set(devPairs.flatMap((p) => [p.a, p.b]))];
  const train = ids.filter((i) => !devPeople.has(i.name));
  const multi = train
    .filter((i) => i.files.length >= 2)
    .sort((a, b) => b.files.length - a.files.length || a.name.localeCompare(b.name));
  const singles = train.filter((i) => i.files.length === 1);
  const order = [...devFiles, ...multi.flatMap((i) => i.files), ...singles.flatMap((i) => i.files)];
  let last = 0;
  const t0 = Date.now();
  const missing = await warmChipCache(LFW_IMAGES, order, {
    chipCacheDir,
    centreFallback: true,
    onProgress: (d, t) => {
      if (Date.now() - last > 30_000 || d === t) {
        last = Date.now();
        log(`chips ${d}/${t} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      }
    },
  });
  log(`chip cache ready: ${order.length} photos (${missing} without a face even with the centre-box fallback)`);
}

/** DevTest chips and the pairs as indices into them (pairs with a faceless photo are counted, then dropped). */
async function devTest(size: number): Promise<{ chips: ChipSet; pairs: Pair[]; dropped: number }> {
  const chips = await loadChips(LFW_IMAGES, {
    size,
    source: 'detect',
    chipCacheDir,
    centreFallback: true,
    include: devPeople,
  });
  const index = new Map(chips.files.map((f, i) => [path.resolve(f), i]));
  const pairs: Pair[] = [];
  let dropped = 0;
  // interleave so contiguous folds hold both kinds: pair k goes to fold k mod 10
  const order = devPairs.map((p, k) => ({ p, k })).sort((x, y) => (x.k % 10) - (y.k % 10) || x.k - y.k);
  for (const { p } of order) {
    const i = index.get(path.resolve(p.a));
    const j = index.get(path.resolve(p.b));
    if (i === undefined || j === undefined) dropped++;
    else pairs.push({ i, j, same: p.same });
  }
  return { chips, pairs, dropped };
}

function evalDev(
  trainer: Trainer,
  dev: { chips: ChipSet; pairs: Pair[] },
  features?: { orig: Float32Array; flipped: Float32Array },
) {
  const emb = trainer.embed([...dev.chips.labels.keys()], { chips: dev.chips, features });
  return verificationStats(emb, trainer.config.arch.embeddingDim, dev.pairs, 10);
}

const pctStr = (v: number) => `${(100 * v).toFixed(1)} %`;

/** Training people whose chips are all in the cache (for --cached-only). */
async function cachedPeople(): Promise<Set<string>> {
  const ids = await listIdentities(LFW_IMAGES);
  const ok = (f: string) => {
    const rel = path.relative(LFW_IMAGES, f);
    return existsSync(path.join(chipCacheDir, `${rel}.png`));
  };
  return new Set(ids.filter((i) => !devPeople.has(i.name) && i.files.every(ok)).map((i) => i.name));
}

async function benchSmall(): Promise<void> {
  const size = Number(o.inputSize);
  const miners = o.miners.split(',').map((s) => s.trim()) as Mining[];
  for (const m of miners) if (!MINING_METHODS.includes(m)) throw new Error(`unknown miner ${m}`);
  const scale = Number(o.minutesScale);
  const marks = o.marks
    .split(',')
    .map(Number)
    .map((m) => m * scale);
  log(`loading chips (${size}px)`);
  const include = o.cachedOnly ? await cachedPeople() : undefined;
  const train = await loadChips(LFW_IMAGES, {
    size,
    source: 'detect',
    chipCacheDir,
    centreFallback: true,
    exclude: devPeople,
    include,
  });
  const dev = await devTest(size);
  log(
    `train: ${train.files.length} chips of ${train.identities.length} people ` +
      `(${train.missing.length} photos without a face); DevTest: ${dev.pairs.length} pairs (${dev.dropped} dropped)`,
  );
  await useBackend('wasm');
  const results: Record<string, unknown>[] = [];
  let stepMarks: number[] | undefined;
  for (const mining of miners) {
    const config = buildConfig({
      data: LFW_IMAGES,
      out: '',
      arch: 'small',
      inputSize: size,
      mining,
      ...(mining === 'batch-hard' || mining === 'batch-all' ? { warmupSteps: Number(o.warmupSteps) } : {}),
      seed: Number(o.seed),
      P: Number(o.p),
      K: Number(o.k),
      negatives: Number(o.negatives),
      ...(o.lr ? { lr: Number(o.lr) } : {}),
      valIdentities: 0, // evaluation is DevTest
    });
    const t = new Trainer(config, { chips: train });
    // the first miner runs on the clock; the others to the same step counts
    t.budget = stepMarks ? { steps: stepMarks[stepMarks.length - 1] } : { minutes: marks[marks.length - 1] };
    const evals: Record<string, unknown>[] = [];
    let images = 0;
    let triplets = 0;
    let seconds = 0;
    const found: number[] = [];
    for (let k = 0; k < marks.length; k++) {
      const reached = () => (stepMarks ? t.step >= stepMarks[k] : t.trainSeconds >= marks[k] * 60);
      while (!reached()) {
        const s = t.trainStep();
        images += s.images;
        triplets += s.triplets;
        seconds += s.seconds;
        if (t.step % 50 === 0)
          log(
            `${mining} step ${t.step} loss ${s.loss.toFixed(4)} ` +
              `active ${(100 * s.activeFraction).toFixed(0)} % (${t.trainSeconds.toFixed(0)} s)`,
          );
      }
      found.push(t.step);
      const v = evalDev(t, dev);
      const e = {
        minutes: marks[k],
        step: t.step,
        trainSeconds: Math.round(t.trainSeconds),
        accuracy: v.accuracy,
        std: v.std,
        auc: v.auc,
        tarAtFar1e2: v.tarAtFar1e2,
      };
      evals.push(e);
      log(
        `${mining} @ ${marks[k]} min (step ${t.step}, ${t.trainSeconds.toFixed(0)} s): ` +
          `DevTest accuracy ${pctStr(v.accuracy)} ± ${pctStr(v.std)}, AUC ${v.auc.toFixed(3)}`,
      );
    }
    stepMarks ??= found;
    const dir = path.join(o.out, mining);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'model.onnx'), t.exportOnnx(undefined, { bench: 'lfw-devtest', mining }));
    results.push({ mining, imagesPerSec: images / seconds, tripletsPerSec: triplets / seconds, evals });
    log(`${mining}: ${(images / seconds).toFixed(1)} images/s, ${(triplets / seconds).toFixed(0)} triplets/s`);
    t.dispose();
  }
  const report = {
    arch: 'small',
    inputSize: size,
    marksMinutes: marks,
    minutesScale: scale,
    cachedOnly: !!o.cachedOnly,
    trainChips: train.files.length,
    trainPeople: train.identities.length,
    devPairs: dev.pairs.length,
    devDropped: dev.dropped,
    cpus: os.cpus().length,
    loadAverage: os.loadavg(),
    results,
  };
  mkdirSync(o.out, { recursive: true });
  writeFileSync(path.join(o.out, 'bench-train.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const header = `| miner | ${marks.map((m) => `${m} min`).join(' | ')} | images/s | triplets/s |`;
    const rows = results.map((r) => {
      const evals = (r.evals as { accuracy: number; step: number }[]).map(
        (e) => `${pctStr(e.accuracy)} (step ${e.step})`,
      );
      const speed = `${(r.imagesPerSec as number).toFixed(1)} | ${(r.tripletsPerSec as number).toFixed(0)}`;
      return `| ${r.mining} | ${evals.join(' | ')} | ${speed} |`;
    });
    process.stdout.write([header, `|${'---|'.repeat(marks.length + 3)}`, ...rows, ''].join('\n'));
  }
}

async function benchHead(): Promise<void> {
  log('loading 150px chips and pretrained features');
  const train = await loadChips(LFW_IMAGES, {
    size: CHIP_SIZE,
    source: 'detect',
    chipCacheDir,
    centreFallback: true,
    exclude: devPeople,
  });
  const trainFeatures = await pretrainedFeatures(train, { cacheFile: path.join(chipCacheDir, 'features') });
  const dev = await devTest(CHIP_SIZE);
  const devFeatures = await pretrainedFeatures(dev.chips, { cacheFile: path.join(chipCacheDir, 'features') });
  await useBackend('wasm');
  const config = buildConfig({
    data: LFW_IMAGES,
    out: '',
    arch: 'head',
    seed: Number(o.seed),
    P: Number(o.p),
    K: Number(o.k),
    negatives: Number(o.negatives),
    valIdentities: 0,
    ...(o.lr ? { lr: Number(o.lr) } : {}),
  });
  const t = new Trainer(config, { chips: train, features: trainFeatures });
  t.budget = { minutes: Number(o.headMinutes) * Number(o.minutesScale) };
  const before = evalDev(t, dev, devFeatures);
  log(`head before training (= pretrained net): DevTest ${pctStr(before.accuracy)}`);
  let images = 0;
  let triplets = 0;
  let seconds = 0;
  while (!t.done()) {
    const s = t.trainStep();
    images += s.images;
    triplets += s.triplets;
    seconds += s.seconds;
  }
  const after = evalDev(t, dev, devFeatures);
  log(`head after ${t.step} steps: DevTest ${pctStr(after.accuracy)}`);
  const dir = path.join(o.out, 'head');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.onnx'), t.exportOnnx(await recognitionWeights(), { bench: 'lfw-devtest' }));
  const report = {
    arch: 'head',
    steps: t.step,
    trainSeconds: t.trainSeconds,
    before,
    after,
    imagesPerSec: images / seconds,
    tripletsPerSec: triplets / seconds,
    model: path.join(dir, 'model.onnx'),
  };
  writeFileSync(path.join(o.out, 'bench-train-head.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(
    o.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : `head: DevTest ${pctStr(before.accuracy)} → ${pctStr(after.accuracy)} after ${t.step} steps; ` +
          `model ${report.model}\n`,
  );
  t.dispose();
}

if (!o.cachedOnly) await extract();
if (!o.extractOnly) {
  if (o.head) await benchHead();
  else await benchSmall();
}
