/**
 * The passive liveness check as data: the two anti-spoofing models (shipped in the package's `models/antispoof/`,
 * pinned by SHA-256), the crop scale each was trained at, the shipped threshold, and how each detector's boxes map
 * onto the box shape the models expect. The liveness stage (src/liveness) reads this; nothing branches on a network.
 */
import type { LivenessBoxMap } from '../liveness/types.js';
import type { DetectorKind, PackDetector, PackFile } from './types.js';

/** One model of the pair: its file, the crop scale around the face box, and its input and output. */
export interface AntispoofModel {
  readonly name: string;
  readonly file: PackFile;
  /** The crop is this many times the (mapped) face box, around its centre. */
  readonly scale: number;
  /** Side of the square input, pixels. */
  readonly size: number;
  readonly inputName: string;
  readonly outputName: string;
  /** Index of the live class in the output probabilities. */
  readonly liveClass: number;
}

/**
 * The MiniFASNet pair of minivision-ai/Silent-Face-Anti-Spoofing @ b6d5f04a (Apache-2.0), exported to ONNX
 * (../shared/models/README.md, models/README.md): BGR 0–255 NCHW 80×80 → softmax over 3 classes, class 1 live.
 */
export const ANTISPOOF_MODELS: readonly AntispoofModel[] = [
  {
    name: 'minifasnet-v2-2.7',
    file: {
      path: 'antispoof/minifasnet_v2_2.7_80x80.onnx',
      sha256: 'ce1eb3be5ce54597f1950ad06b0c549e2b4fd5aeb5f378497cf591c8c9cd4e48',
      bytes: 1744933,
      bundled: true,
    },
    scale: 2.7,
    size: 80,
    inputName: 'input',
    outputName: 'prob',
    liveClass: 1,
  },
  {
    name: 'minifasnet-v1se-4.0',
    file: {
      path: 'antispoof/minifasnet_v1se_4.0_80x80.onnx',
      sha256: '76ecae88a47a5ababb3729c87458be8047da78bf32582e20a913b76ddaf7e043',
      bytes: 1744216,
      bundled: true,
    },
    scale: 4.0,
    size: 80,
    inputName: 'input',
    outputName: 'prob',
    liveClass: 1,
  },
];

/**
 * Live iff the live score (the two live probabilities' mean) is at least this. Calibrated for a BPCER of 1 % on
 * live faces photographed by a camera (the 482 live photos of the assembled set; `facenet eval liveness --pack
 * dlib128-yunet --live ../antispoof-data/live --target-bpcer 0.01` gives 0.9113, rounded down). What it costs and
 * catches, per attack type and on LFW: docs/liveness.md.
 */
export const LIVENESS_THRESHOLD = 0.91;

/**
 * Detector box → the models' box, per detector (docs/liveness.md, "Box mapping"). YuNet's was fitted against the
 * reference repository's RetinaFace boxes (../shared/models/README.md); the SSD's and SCRFD's were fitted onto YuNet's
 * boxes of the same LFW faces and composed with it (scripts/liveness-box-fit.ts).
 */
export const LIVENESS_BOXES: Record<DetectorKind, LivenessBoxMap> = {
  yunet: { side: 1.16, dx: 0, dy: 0.056 },
  // scripts/liveness-box-fit.ts on 1,000 LFW photos: 983 matched, YuNet w/h = 0.950/1.062 of the SSD's
  ssd: { side: 1.102, dx: 0.012, dy: 0.054 },
  // the same: 1,000 matched, YuNet w/h = 0.992/0.957 of SCRFD's (SCRFD's boxes are taller)
  scrfd: { side: 1.15, dx: -0.001, dy: 0.063 },
};

/** The box mapping for a pack's detector: its own when the pack gives one, else its kind's. */
export function livenessBoxFor(detector: PackDetector): LivenessBoxMap {
  return detector.livenessBox ?? LIVENESS_BOXES[detector.kind];
}
