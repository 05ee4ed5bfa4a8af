/**
 * Undirected edge lists from a k-NN graph: the edges shorter than τ, each pair once (i in j's list, j in i's, or
 * both), as compressed adjacency (CSR). What Chinese Whispers, connected components and DBSCAN walk.
 */
import type { KnnGraph } from './knn-graph.js';

export interface EdgeList {
  readonly n: number;
  /** Edges as parallel arrays, a < b, each pair once. */
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly d: Float32Array;
}

export interface Adjacency {
  readonly n: number;
  /** Node i's neighbours are targets[offsets[i] .. offsets[i + 1]). */
  readonly offsets: Int32Array;
  readonly targets: Int32Array;
  readonly distances: Float32Array;
}

/** The k-NN edges with distance < tau, symmetrised and de-duplicated. */
export function edgesBelow(g: KnnGraph, tau: number): EdgeList {
  const codes: number[] = [];
  const dist = new Map<number, number>();
  for (let i = 0; i < g.n; i++)
    for (let j = 0; j < g.k; j++) {
      const t = g.neighbors[i * g.k + j];
      const d = g.distances[i * g.k + j];
      if (t < 0 || !(d < tau)) continue;
      const code = i < t ? i * g.n + t : t * g.n + i; // < 2^53 for any n we can hold
      if (!dist.has(code)) {
        dist.set(code, d);
        codes.push(code);
      }
    }
  codes.sort((x, y) => x - y);
  const a = new Int32Array(codes.length);
  const b = new Int32Array(codes.length);
  const d = new Float32Array(codes.length);
  codes.forEach((c, e) => {
    a[e] = Math.floor(c / g.n);
    b[e] = c - a[e] * g.n;
    d[e] = dist.get(c)!;
  });
  return { n: g.n, a, b, d };
}

export function adjacency(edges: EdgeList): Adjacency {
  const { n, a, b, d } = edges;
  const offsets = new Int32Array(n + 1);
  for (let e = 0; e < a.length; e++) {
    offsets[a[e] + 1]++;
    offsets[b[e] + 1]++;
  }
  for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
  const fill = offsets.slice(0, n);
  const targets = new Int32Array(2 * a.length);
  const distances = new Float32Array(2 * a.length);
  for (let e = 0; e < a.length; e++) {
    targets[fill[a[e]]] = b[e];
    distances[fill[a[e]]++] = d[e];
    targets[fill[b[e]]] = a[e];
    distances[fill[b[e]]++] = d[e];
  }
  return { n, offsets, targets, distances };
}

/** Union-find with path halving and union by size. */
export class DisjointSets {
  private readonly parent: Int32Array;
  private readonly size: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
    this.size = new Int32Array(n).fill(1);
  }
  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]];
      x = p[x];
    }
    return x;
  }
  union(x: number, y: number): number {
    let rx = this.find(x);
    let ry = this.find(y);
    if (rx === ry) return rx;
    if (this.size[rx] < this.size[ry]) [rx, ry] = [ry, rx];
    this.parent[ry] = rx;
    this.size[rx] += this.size[ry];
    return rx;
  }
}

/** Arbitrary per-node labels → dense 0..G-1 in order of first appearance. */
export function denseLabels(labels: ArrayLike<number>): Int32Array {
  const map = new Map<number, number>();
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let v = map.get(labels[i]);
    if (v === undefined) map.set(labels[i], (v = map.size));
    out[i] = v;
  }
  return out;
}
