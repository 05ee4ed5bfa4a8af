/**
 * The packs facenet-ts ships, as data. Model files are pinned by SHA-256 (../shared/models/SHA256SUMS); the face-api
 * nets come from the npm package and are pinned by the package instead.
 */
import { ARCFACE_112_TEMPLATE } from '../align/five-point.js';
import { PROJECTION_INPUT, PROJECTION_OUTPUT, type EmbedderInputSpec } from '../embed/input-spec.js';
import { LFW_THRESHOLD } from '../embed/calibrated-threshold.js';
import type { PackDefinition, PackFile } from './types.js';

export const MODEL_FILES = {
  // MIT and 230 KB: shipped in the package (models/yunet/, with its licence), so the default pack needs no install
  yunet: {
    path: 'yunet/face_detection_yunet_2026may.onnx',
    sha256: 'ebafce4e3c118d6554634be5c27ab333b4c047a9a8c3faf1d7cf93101c22f0f0',
    bytes: 229738,
    bundled: true,
  },
  scrfd25g: {
    path: 'scrfd/scrfd_2.5g.onnx',
    sha256: '041f73f47371333d1d17a6fee6c8ab4e6aecabefe398ff32cca4e2d5eaee0af9',
    bytes: 3292009,
  },
  edgefaceXs: {
    path: 'edgeface/edgeface_xs_q_fp32.onnx',
    sha256: '14e8fda2676a0a0c837856fbaedce92ea5047f1742a70a0946026268cec93d23',
    bytes: 9209206,
  },
  edgefaceXxs: {
    path: 'edgeface/edgeface_xxs_q_fp32.onnx',
    sha256: 'c443ab107964dded439eb6cdb9ff0a302a849e9c0bdf02c3e4f29bfa2c21547e',
    bytes: 5179255,
  },
} as const satisfies Record<string, PackFile>;

/**
 * Files facenet-ts made and ships itself (its `models/` folder), not in ../shared/models. The 512 → 128 head was
 * distilled by `facenet train --arch head --pack edgeface-xs --loss distil --accept-license --models ../shared/models
 * --data ../shared/datasets/lfw --exclude-pairs ../shared/datasets/lfw/pairsDevTest.txt --epochs 20 --seed 1
 * --workers 0 --out models/edgeface-xs-head128` (docs/packs.md, "512 → 128 head").
 */
export const BUNDLED_FILES = {
  edgefaceXsHead128: {
    path: 'edgeface-xs-head128/model.onnx',
    sha256: 'bd0f6f8f42b323b12dd49235f9944bf850676680a9a3f5bb756680699ed97edc',
    bytes: 270719,
    bundled: true,
  },
} as const satisfies Record<string, PackFile>;

/** EdgeFace: RGB, (x − 127.5) / 127.5, NCHW 112×112, `input` → `embedding` [N, 512]. */
export const EDGEFACE_INPUT: EmbedderInputSpec = {
  size: 112,
  channels: 'rgb',
  mean: 127.5,
  std: 127.5,
  layout: 'nchw',
  inputName: 'input',
  outputName: 'embedding',
  dim: 512,
};

const ARCFACE_ALIGN = { kind: 'five-point', size: 112, template: ARCFACE_112_TEMPLATE } as const;
const DLIB_ALIGN = { kind: 'dlib68', size: 150, padding: 0.25 } as const;

const FACE_API_LICENCE = 'MIT: face-api SSD, 68-point and dlib ResNet weights (@vladmandic/face-api, dlib)';
const YUNET_LICENCE = 'YuNet: MIT (OpenCV Zoo)';
const SCRFD_LICENCE = 'SCRFD: InsightFace pretrained models, non-commercial research use only';
const EDGEFACE_LICENCE =
  'EdgeFace: unsettled (code BSD-3-Clause, Idiap model card CC BY-NC-SA 4.0, ' +
  'trained on WebFace), treated as research use only';
const HEAD128_LICENCE =
  "head128: facenet-ts's 512 → 128 projection distilled from EdgeFace-XS embeddings of LFW, " +
  'a derivative of EdgeFace under its terms';

const SCRFD_25G = { kind: 'scrfd', file: MODEL_FILES.scrfd25g, landmarks: 'five', maxSide: 640 } as const;
/*
 * Thread hints (`threads: 1`): YuNet and EdgeFace ran slower with two intra-op threads than with one on the 2-core
 * machine, idle and with 2 busy threads (`npm run bench:threads`, docs/results.md: EdgeFace one chip 5.8 vs 3.8 ms,
 * YuNet on the 640×480 photo 10.6 vs 9.4 ms); the SSD, the 68-point net, the dlib ResNet and SCRFD gain from two.
 */
const YUNET = { kind: 'yunet', file: MODEL_FILES.yunet, landmarks: 'five', threads: 1 } as const;

const edgeface = (variant: 'xs' | 'xxs') =>
  ({
    kind: 'onnx',
    name: `edgeface-${variant}`,
    file: variant === 'xs' ? MODEL_FILES.edgefaceXs : MODEL_FILES.edgefaceXxs,
    input: EDGEFACE_INPUT,
    threads: 1,
  }) as const;
/**
 * dlib packs: chip paddings averaged with dlib's 0.25 chip, flip on. Chosen on LFW View 1 (`facenet eval view1`, every
 * pair of the pairsDevTrain images, flip on): TAR@FAR=1e-4 84.97 % with one chip; 85.33 % adding 0.3; 85.56 % adding
 * 0.2 and 0.3; 86.24 % adding 0.15 and 0.35; 85.51 % adding 0.1 and 0.4. View 2 was run only on the choice.
 */
const DLIB_TTA = { flip: true, crops: [0.15, 0.35] } as const;
/** EdgeFace packs: one chip, no flip ("flip TTA changed nothing measurable", ../shared/models/README.md). */
const ONE_VIEW = { flip: false, crops: [] } as const;

/*
 * Faces turned by 45° or more (src/align/turned.ts), chosen on cfp-dev only (docs/cfp.md): the five-point packs align
 * them on the face's eye-to-mouth axis ('axis'), which keeps the chip's scale where the crowded points shrink it
 * (edgeface-xs FP 92.64 → 94.79 %); the dlib-chip packs keep the 68 points unless the chip they give has collapsed
 * ('guard'; 'axis' for every turned face lost 1.6 pp there).
 */
const TURNED_AXIS = { yawAbove: 45, align: 'axis' } as const;
const TURNED_GUARD = { yawAbove: 45, align: 'guard' } as const;

export const PACKS: readonly PackDefinition[] = [
  {
    name: 'dlib128',
    description:
      "face-api's SSD + 68 points → dlib 150×150 chip → dlib ResNet 128-D, crop + flip TTA (6 net runs per face)",
    detector: { kind: 'ssd', landmarks: 'none' },
    align: DLIB_ALIGN,
    embedder: { kind: 'face-api-128' },
    tta: DLIB_TTA,
    licence: { line: FACE_API_LICENCE, permissive: true },
    compareThreshold: LFW_THRESHOLD,
  },
  {
    name: 'dlib128-yunet',
    description: 'YuNet boxes → 68 points → dlib 150×150 chip → dlib ResNet 128-D, crop + flip TTA',
    detector: YUNET,
    align: DLIB_ALIGN,
    embedder: { kind: 'face-api-128' },
    tta: DLIB_TTA,
    turned: TURNED_GUARD,
    licence: { line: `${YUNET_LICENCE}; ${FACE_API_LICENCE}`, permissive: true },
    // facenet eval lfw --pack dlib128-yunet (2026-11-30): 99.45 % ± 0.11 flip, 99.17 % ± 0.24 plain
    compareThreshold: { plain: 0.4081, flip: 0.3997 },
  },
  {
    name: 'edgeface-xs',
    description: 'SCRFD-2.5G boxes + 5 points → ArcFace 112×112 chip → EdgeFace-XS 512-D',
    detector: SCRFD_25G,
    align: ARCFACE_ALIGN,
    embedder: edgeface('xs'),
    tta: ONE_VIEW,
    turned: TURNED_AXIS,
    licence: { line: `${SCRFD_LICENCE}; ${EDGEFACE_LICENCE}`, permissive: false },
    // facenet eval lfw --pack edgeface-xs (2026-11-30): 99.65 % ± 0.28 plain, 99.68 % ± 0.25 flip
    compareThreshold: { plain: 1.2302, flip: 1.229 },
  },
  {
    name: 'edgeface-xs-yunet',
    description: 'YuNet boxes + 5 points → ArcFace 112×112 chip → EdgeFace-XS 512-D',
    detector: YUNET,
    align: ARCFACE_ALIGN,
    embedder: edgeface('xs'),
    tta: ONE_VIEW,
    turned: TURNED_AXIS,
    licence: { line: `${YUNET_LICENCE}; ${EDGEFACE_LICENCE}`, permissive: false },
    // facenet eval lfw --pack edgeface-xs-yunet (issue 19, turned faces on their axis): 99.40 % ± 0.40 plain and flip
    // (before: 99.45 % ± 0.37 plain, τ 1.2409 / 1.2354)
    compareThreshold: { plain: 1.2342, flip: 1.2309 },
  },
  {
    name: 'edgeface-xs-128',
    description:
      'SCRFD-2.5G boxes + 5 points → ArcFace 112×112 chip → EdgeFace-XS 512-D → ' +
      '512 → 128 projection head (a quarter of the template memory and search time)',
    detector: SCRFD_25G,
    align: ARCFACE_ALIGN,
    embedder: {
      ...edgeface('xs'),
      projection: {
        name: 'head128',
        file: BUNDLED_FILES.edgefaceXsHead128,
        inputName: PROJECTION_INPUT,
        outputName: PROJECTION_OUTPUT,
        dim: 128,
      },
    },
    tta: ONE_VIEW,
    turned: TURNED_AXIS,
    licence: { line: `${SCRFD_LICENCE}; ${EDGEFACE_LICENCE}; ${HEAD128_LICENCE}`, permissive: false },
    // issue 19's goal: at most 0.3 pp FF and 1 pp FP lost against edgeface-xs on CFP (docs/packs.md, "512 → 128 head")
    experimental:
      'on turned faces (cfp-dev) it loses 0.43 pp FF (goal ≤ 0.3) and 0.0–0.3 pp FP against edgeface-xs, ' +
      'and 3–7 points of frontal–profile TAR at FAR 1e-3: EdgeFace-XS embeddings span 192 dimensions, 128 keep 82 % ' +
      'of their energy; use edgeface-xs where accuracy matters more than template size',
    // facenet eval lfw --pack edgeface-xs-128 (2026-12-07, distilled head): 99.48 % ± 0.37 plain, 99.62 % ± 0.28 flip
    compareThreshold: { plain: 1.2169, flip: 1.2206 },
  },
  {
    name: 'edgeface-xxs',
    description: 'SCRFD-2.5G boxes + 5 points → ArcFace 112×112 chip → EdgeFace-XXS 512-D (smaller, faster net)',
    detector: SCRFD_25G,
    align: ARCFACE_ALIGN,
    embedder: edgeface('xxs'),
    tta: ONE_VIEW,
    turned: TURNED_AXIS,
    licence: { line: `${SCRFD_LICENCE}; ${EDGEFACE_LICENCE}`, permissive: false },
  },
];

/** The pack used when none is named: permissive, and every file in the npm package. */
export const DEFAULT_PACK = 'dlib128-yunet';
/**
 * Why DEFAULT_PACK is the default (`facenet packs`); the figures and their commands are in docs/packs.md and
 * docs/cfp.md.
 */
export const DEFAULT_PACK_REASON =
  'the best permissively licensed pack (MIT), and all its files ship in the npm package: the same LFW accuracy as ' +
  'dlib128 (99.45 %) with a face found on every LFW photo, better on faces turned away from the camera (CFP ' +
  'frontal–profile 92.2 % against 88.0 %; the SSD of dlib128 misses profiles), and YuNet detects faster. Galleries ' +
  'built with dlib128 keep opening with it.';
