/**
 * Distillation of a pack's embedding geometry into a smaller projection head (`facenet train --arch head --pack P
 * --loss distil`): no identities are needed, only many faces. The head starts from the PCA of the pack's
 * (normalised) embeddings, the linear map that keeps the most of their dot products, then is trained so that the
 * cosine similarities of its outputs match the pack's own on every pair of a batch.
 *
 * Why not triplets: a triplet head trained on LFW's people, most of whom have one or two photos, fitted LFW and lost
 * 3.9 pp frontal–profile on CFP (docs/packs.md, "512 → 128 head"). Matching the teacher's similarities asks the head
 * to keep what the pack already knows, on whatever faces it is shown.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { tf } from './backend.js';
import { l2Normalize, pairwiseSquaredDistances } from './ops.js';
import type { Rng } from './rng.js';
import type { EmbeddingModel, NamedArray } from './model.js';
import { FaceError, invariant } from '../errors.js';

/** Rows of `x` [n × d], each scaled to unit length (zero rows stay zero). */
export function unitRows(x: Float32Array, d: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i += d) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i + k] * x[i + k];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let k = 0; k < d; k++) out[i + k] = x[i + k] * inv;
  }
  return out;
}

export interface PcaProjection {
  /** [d × k], column j the j-th principal direction. */
  readonly w: NamedArray;
  /** [k] zeros: the head's bias, for a head that starts as e = norm(W·f). */
  readonly b: NamedArray;
  /** Share of the embeddings' energy (mean squared length) the k directions keep. */
  readonly kept: number;
}

/**
 * The top-`k` principal directions of the unit-normalised rows of `x` [n × d], about the origin (not the mean):
 * the k-D map W that best keeps every dot product f_i·f_j of the set, which is what distillation then refines after
 * normalisation. Not centred: on a few clustered people (the johns) the mean is large and centring changes their
 * cosines more than a random projection does. The d × d second-moment matrix is a product on the tfjs backend; its
 * eigenvectors come from ml-matrix (symmetric decomposition).
 */
export function pcaProjection(x: Float32Array, d: number, k: number): PcaProjection {
  const n = x.length / d;
  invariant(Number.isInteger(n) && n > 0, 'pcaProjection: x is not [n × d]');
  if (k > d) throw new FaceError('INVALID_INPUT', `a ${k}-D head cannot start from the PCA of ${d}-D embeddings`);
  const moment = tf.tidy(() => {
    const f = l2Normalize(tf.tensor2d(x, [n, d]));
    return tf.div(tf.matMul(f, f, true, false), n);
  });
  const m = moment.dataSync();
  moment.dispose();
  const rows = Array.from({ length: d }, (_, i) => Array.from(m.subarray(i * d, (i + 1) * d)));
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const vectors = evd.eigenvectorMatrix;
  const order = values.map((v, i) => [v, i] as const).sort((p, q) => q[0] - p[0]);
  const w = new Float32Array(d * k);
  for (let j = 0; j < k; j++) for (let i = 0; i < d; i++) w[i * k + j] = vectors.get(i, order[j][1]);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0);
  const kept = order.slice(0, k).reduce((s, [v]) => s + Math.max(0, v), 0);
  return {
    w: { shape: [d, k], data: w },
    b: { shape: [k], data: new Float32Array(k) },
    kept: total > 0 ? kept / total : 0,
  };
}

/**
 * Mean squared difference between the head's and the teacher's cosine similarities over the distinct pairs of a
 * batch. `student` rows are unit vectors (the head's output), `teacher` rows the raw pack embeddings.
 */
export function similarityDistilLoss(student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const n = student.shape[0];
    invariant(n >= 2 && teacher.shape[0] === n, 'distillation needs two or more rows of each');
    const t = l2Normalize(teacher);
    const s = tf.matMul(student, student, false, true);
    const g = tf.matMul(t, t, false, true);
    const offDiagonal = tf.sub(tf.onesLike(s), tf.eye(n));
    return tf.div(tf.sum(tf.mul(tf.square(tf.sub(s, g)), offDiagonal)), n * (n - 1)) as tf.Scalar;
  });
}

/**
 * How far a head's similarities are from the teacher's on a set of embeddings: the root mean square of
 * (cos_head − cos_pack) over every distinct pair of the rows given (the plain and mirrored views of each image).
 */
export function similarityError(head: Float32Array, teacher: Float32Array, headDim: number, dim: number): number {
  const n = head.length / headDim;
  invariant(teacher.length / dim === n, 'similarityError: row counts differ');
  const t = unitRows(teacher, dim);
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      let g = 0;
      for (let k = 0; k < headDim; k++) s += head[i * headDim + k] * head[j * headDim + k];
      for (let k = 0; k < dim; k++) g += t[i * dim + k] * t[j * dim + k];
      sum += (s - g) ** 2;
      pairs++;
    }
  return pairs ? Math.sqrt(sum / pairs) : 0;
}

/**
 * Batches for distillation: `batch` images of the training identities at a time, visited in a shuffled order that
 * is reshuffled after each pass (an epoch). Each image comes with its mirror image, so every batch holds pairs the
 * teacher finds alike as well as the many it does not.
 */
export class DistilSampler {
  private order: number[] = [];
  private pos = 0;
  epoch = 0;

  constructor(
    private readonly images: readonly number[],
    readonly batch: number,
    private readonly rng: Rng,
  ) {
    if (images.length < 2)
      throw new FaceError('DATASET_MISSING', `distillation needs two or more images; found ${images.length}`);
    this.reshuffle();
  }

  state(): { order: number[]; pos: number; epoch: number } {
    return { order: [...this.order], pos: this.pos, epoch: this.epoch };
  }

  setState(s: { order: number[]; pos: number; epoch: number }): void {
    this.order = [...s.order];
    this.pos = s.pos;
    this.epoch = s.epoch;
  }

  /** Batches per pass over the images. */
  get stepsPerEpoch(): number {
    return Math.ceil(this.images.length / Math.min(this.batch, this.images.length));
  }

  private reshuffle(): void {
    this.order = this.rng.shuffle([...this.images]);
    this.pos = 0;
  }

  /** The next batch's image indices (distinct). */
  next(): number[] {
    const size = Math.min(this.batch, this.images.length);
    const out: number[] = [];
    while (out.length < size) {
      if (this.pos >= this.order.length) {
        this.epoch++;
        this.reshuffle();
      }
      const i = this.order[this.pos++];
      if (!out.includes(i)) out.push(i);
    }
    return out;
  }
}

/** Rows `indices` of `orig`, then the same rows of `flipped` ([2n × d]: the images, then their mirror images). */
export function mirroredRows(
  orig: Float32Array,
  flipped: Float32Array,
  indices: readonly number[],
  d: number,
): Float32Array {
  const out = new Float32Array(2 * indices.length * d);
  indices.forEach((idx, k) => {
    out.set(orig.subarray(idx * d, (idx + 1) * d), k * d);
    out.set(flipped.subarray(idx * d, (idx + 1) * d), (indices.length + k) * d);
  });
  return out;
}

export interface PairMeans {
  readonly pos: number;
  readonly neg: number;
}

/** Mean squared distances of (image, mirror) pairs and of every other pair; `d` [2n × 2n], rows [images; mirrors]. */
export function mirrorDistanceMeans(d: ArrayLike<number>, n: number): PairMeans {
  const m = 2 * n;
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < m; i++)
    for (let j = i + 1; j < m; j++) {
      if (j === i + n) pos += d[i * m + j];
      else neg += d[i * m + j];
    }
  return { pos: pos / n, neg: neg / ((m * (m - 1)) / 2 - n) };
}

/**
 * The distillation loss of a batch `x` [images; mirror images] (raw pack embeddings) and its gradients for the
 * model's parameters; `pairs` the head's squared distances of (image, mirror) pairs and of all others.
 */
export function distilGradients(
  model: EmbeddingModel,
  x: tf.Tensor2D,
): { value: tf.Scalar; grads: tf.NamedTensorMap; pairs: PairMeans } {
  let pairs: PairMeans = { pos: 0, neg: 0 };
  const { value, grads } = tf.variableGrads(() => {
    const e = model.forward(x, { training: true });
    pairs = mirrorDistanceMeans(pairwiseSquaredDistances(e).dataSync(), x.shape[0] / 2);
    return similarityDistilLoss(e, x);
  }, [...model.params.values()]);
  return { value, grads, pairs };
}
