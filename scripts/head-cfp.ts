/**
 * How much a projection head loses against its pack on CFP (frontal–frontal and frontal–profile), on the same
 * embeddings: every photo is embedded once by the pack (e.g. edgeface-xs, 512-D), each head is applied to those
 * embeddings, and all are scored the same way (docs/packs.md, "512 → 128 head").
 *
 *   FACENET_MODELS=../shared/models FACENET_ACCEPT_LICENSE=1 npx tsx scripts/head-cfp.ts \
 *     --data ../shared/datasets/cfp-dev --pack edgeface-xs --heads OLD.onnx models/edgeface-xs-head128/model.onnx
 *
 * - The face of a photo: the largest detection (CFP photos are single-subject crops, often off-centre; the policy
 *   `facenet eval cfp` uses), a centre box when none; detections read from / written to the evaluations' cache.
 * - Per protocol (FF, FP): k-fold accuracy over the folder's Split folds (τ chosen on the other folds, as
 *   `eval lfw`), AUC and TAR at FAR 1e-3 over the protocol pairs, and over *every* pair (FF: every two frontal photos;
 *   FP: every frontal with every profile photo: ~10⁵ impostor pairs, so TAR at FAR 1e-3 and 1e-4 are measured).
 * A head is a function of the pack's embedding, so these figures are the pack-with-head's (the pack's embedder is the
 * head applied to the network's output, test/pack/projection-pack.test.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { FaceRecognizer, stagesOf } from '../src/recognizer.js';
import { EmbeddingCache } from '../src/eval/embedding-cache.js';
import { evalDetect } from '../src/eval/labelled-face.js';
import { tenFold } from '../src/eval/lfw.js';
import { rocAuc, rocCurve, tarAtFar, type ScoredPair } from '../src/eval/roc.js';
import { decodeImage, readImageBytes } from '../src/image/decode.js';
import { defaultCacheDir } from '../src/engine/model-store.js';
import { ortEngine } from '../src/engine/ort.js';
import { PROJECTION_INPUT, PROJECTION_OUTPUT } from '../src/embed/input-spec.js';
import { boxArea } from '../src/detect/box.js';

const opts = new Command()
  .requiredOption('--data <dir>', 'CFP folder in the original layout (Data/Images, Protocol/)')
  .option('--pack <name>', 'the pack whose embeddings the heads project', 'edgeface-xs')
  .option('--heads <files...>', 'projection heads (ONNX, input `features`) to compare with the pack', [])
  .option('--models <dir>', 'models folder', process.env.FACENET_MODELS)
  .option('--json', 'machine-readable output')
  .parse()
  .opts<{ data: string; pack: string; heads: string[]; models?: string; json?: boolean }>();

/** `index path` lines of a Pair_list file → absolute paths, index order. */
function readList(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((l) => path.resolve(path.dirname(file), l.trim().split(/\s+/)[1]));
}

type Pair = { a: string; b: string; same: boolean };

function readFolds(dir: string, frontal: string[], other: string[]): Pair[][] {
  return readdirSync(dir)
    .sort()
    .map((fold) =>
      (['same', 'diff'] as const).flatMap((kind) =>
        readFileSync(path.join(dir, fold, `${kind}.txt`), 'utf8')
          .split(/\r?\n/)
          .filter((l) => l.trim())
          .map((l) => {
            const [i, j] = l.split(',').map(Number);
            return { a: frontal[i - 1], b: other[j - 1], same: kind === 'same' };
          }),
      ),
    );
}

/** The pack's embedding of the largest face of each photo (plain, unit length). */
async function packEmbeddings(files: readonly string[]): Promise<Map<string, Float32Array>> {
  const fr = await FaceRecognizer.load({ pack: opts.pack, models: opts.models, flip: false });
  const cache = new EmbeddingCache(path.join(defaultCacheDir(), 'eval-embeddings.db'));
  try {
    const st = stagesOf(fr);
    const detect = evalDetect();
    const detectorKey = JSON.stringify({ detector: st.detector.modelId, opts: detect });
    const out = new Map<string, Float32Array>();
    for (const f of files) {
      const bytes = await readImageBytes(f);
      const sha = createHash('sha256').update(bytes).digest('hex');
      const img = await decodeImage(bytes);
      let dets = cache.getDetections(detectorKey, sha);
      if (!dets) {
        dets = await st.detector.detect(img, detect);
        cache.putDetections(detectorKey, sha, dets);
      }
      const largest = [...dets].sort((p, q) => boxArea(q.box) - boxArea(p.box))[0];
      const side = 0.45 * Math.min(img.width, img.height);
      const centre = { box: { x: (img.width - side) / 2, y: (img.height - side) / 2, width: side, height: side } };
      const [located] = await st.locate(img, [largest ?? { ...centre, score: 0 }]);
      const [views] = await st.embedder.embedChipSetViews([st.faceChips(img, located)], false);
      out.set(f, views.plain);
    }
    return out;
  } finally {
    cache.close();
    await fr.close();
  }
}

async function applyHead(file: string, emb: Map<string, Float32Array>): Promise<Map<string, Float32Array>> {
  const keys = [...emb.keys()];
  const d = emb.get(keys[0])!.length;
  const x = new Float32Array(keys.length * d);
  keys.forEach((k, i) => x.set(emb.get(k)!, i * d));
  const session = await ortEngine.load(new Uint8Array(readFileSync(file)), { threads: 1 });
  try {
    const r = await session.run({ [PROJECTION_INPUT]: { data: x, dims: [keys.length, d] } });
    const y = r[PROJECTION_OUTPUT];
    const k = y.dims[1];
    return new Map(keys.map((key, i) => [key, y.data.slice(i * k, (i + 1) * k)]));
  } finally {
    await session.close();
  }
}

const distance = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
};
const identity = (f: string) => path.basename(path.dirname(path.dirname(f)));

function scoreAll(a: readonly string[], b: readonly string[], emb: Map<string, Float32Array>, same: boolean) {
  const out: ScoredPair[] = [];
  a.forEach((x, i) =>
    b.forEach((y, j) => {
      if (same && j <= i) return;
      out.push({ distance: distance(emb.get(x)!, emb.get(y)!), same: identity(x) === identity(y) });
    }),
  );
  return out;
}

const protocol = path.join(opts.data, 'Protocol');
const frontal = readList(path.join(protocol, 'Pair_list_F.txt'));
const profile = readList(path.join(protocol, 'Pair_list_P.txt'));
const folds = {
  FF: readFolds(path.join(protocol, 'Split', 'FF'), frontal, frontal),
  FP: readFolds(path.join(protocol, 'Split', 'FP'), frontal, profile),
};
const t0 = performance.now();
const base = await packEmbeddings([...new Set([...frontal, ...profile])]);
const rows: Record<string, unknown>[] = [];
for (const [name, emb] of [
  [opts.pack, base] as const,
  ...(await Promise.all(opts.heads.map(async (h) => [h, await applyHead(h, base)] as const))),
]) {
  const row: Record<string, unknown> = { embeddings: name, dim: emb.values().next().value!.length };
  for (const p of ['FF', 'FP'] as const) {
    const scored = folds[p].map((fold) =>
      fold.map((q) => ({ distance: distance(emb.get(q.a)!, emb.get(q.b)!), same: q.same })),
    );
    const k = tenFold(scored);
    const all = rocCurve(scoreAll(frontal, p === 'FF' ? frontal : profile, emb, p === 'FF'));
    row[p] = {
      accuracy: k.accuracy,
      std: k.std,
      auc: k.auc,
      tarAtFar1e3: k.tarAtFar1e3,
      allPairs: { auc: rocAuc(all), tarAtFar1e3: tarAtFar(all, 1e-3), tarAtFar1e4: tarAtFar(all, 1e-4) },
    };
  }
  rows.push(row);
}
const seconds = (performance.now() - t0) / 1000;
if (opts.json) console.log(JSON.stringify({ data: opts.data, pack: opts.pack, rows, seconds }, null, 2));
else {
  const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
  type P = { accuracy: number; std: number; tarAtFar1e3: number; allPairs: { auc: number; tarAtFar1e3: number } };
  for (const r of rows) {
    console.log(`${r.embeddings} (${r.dim}-D)`);
    for (const p of ['FF', 'FP'] as const) {
      const v = r[p] as P;
      console.log(
        `  ${p} accuracy ${pct(v.accuracy)} ± ${pct(v.std)}  TAR@FAR=1e-3 ${pct(v.tarAtFar1e3)} (protocol pairs)  ` +
          `every pair: AUC ${v.allPairs.auc.toFixed(5)}  TAR@FAR=1e-3 ${pct(v.allPairs.tarAtFar1e3)}`,
      );
    }
  }
  console.log(`${seconds.toFixed(0)} s`);
}
