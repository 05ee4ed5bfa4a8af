/**
 * Clustering algorithms over a k-NN graph and a distance threshold τ. Each returns one group label per face
 * (dense, 0..G-1); a face in a group of its own is what the caller reports as unclustered.
 *
 * - connectedComponents: single linkage at τ: any chain of faces closer than τ is one person. One false edge
 *   merges two people, so it needs a strict τ.
 * - dbscan: DBSCAN with ε = τ on the k-NN graph. Core faces (≥ minPts faces, itself included, within τ) are
 *   joined by core–core edges; a border face joins its nearest core; the rest is noise. minPts = 1 is
 *   connectedComponents.
 * - chineseWhispers: dlib's choice (Biemann 2006): every face starts as its own label, then, in random order,
 *   takes the label with the most (counted, or similarity-weighted) neighbours closer than τ, until no label changes
 *   (or `iterations` passes). A single false edge rarely outvotes a person's many true ones.
 * - agglomerative: average (or complete) linkage restricted to the k-NN graph: the closest pair of groups merges
 *   while their linkage is below τ. Pairs the graph does not hold are estimated at the farther group's mean
 *   k-th-neighbour distance (they are at least that far from one of their ends). Groups sharing a photo never
 *   merge (two faces of one photo are two people).
 */
import { seededRandom } from '../eval/identify.js';
import { adjacency, denseLabels, DisjointSets, edgesBelow } from './graph.js';
import type { KnnGraph } from './knn-graph.js';

export type ClusterAlgorithm =
  | 'chinese-whispers'
  | 'chinese-whispers-weighted'
  | 'connected-components'
  | 'dbscan'
  | 'average-linkage'
  | 'complete-linkage';

export const CLUSTER_ALGORITHMS: readonly ClusterAlgorithm[] = [
  'chinese-whispers',
  'chinese-whispers-weighted',
  'connected-components',
  'dbscan',
  'average-linkage',
  'complete-linkage',
];

export function connectedComponents(g: KnnGraph, tau: number): Int32Array {
  const e = edgesBelow(g, tau);
  const sets = new DisjointSets(g.n);
  for (let i = 0; i < e.a.length; i++) sets.union(e.a[i], e.b[i]);
  return denseLabels(Int32Array.from({ length: g.n }, (_, i) => sets.find(i)));
}

export function dbscan(g: KnnGraph, tau: number, minPts = 3): Int32Array {
  const adj = adjacency(edgesBelow(g, tau));
  const core = new Uint8Array(g.n);
  for (let i = 0; i < g.n; i++) core[i] = adj.offsets[i + 1] - adj.offsets[i] + 1 >= minPts ? 1 : 0;
  const sets = new DisjointSets(g.n);
  for (let i = 0; i < g.n; i++) {
    if (!core[i]) continue;
    for (let e = adj.offsets[i]; e < adj.offsets[i + 1]; e++) if (core[adj.targets[e]]) sets.union(i, adj.targets[e]);
  }
  const labels = Int32Array.from({ length: g.n }, (_, i) => sets.find(i));
  for (let i = 0; i < g.n; i++) {
    if (core[i]) continue;
    let best = -1;
    let bestD = Infinity;
    for (let e = adj.offsets[i]; e < adj.offsets[i + 1]; e++)
      if (core[adj.targets[e]] && adj.distances[e] < bestD) {
        bestD = adj.distances[e];
        best = adj.targets[e];
      }
    if (best >= 0) labels[i] = sets.find(best);
  }
  return denseLabels(labels);
}

export interface ChineseWhispersOptions {
  /** Most passes over the faces (default 100, dlib's); it stops earlier when a pass changes nothing. */
  readonly iterations?: number;
  /** Seed of the visiting order (default 1): the same input gives the same groups. */
  readonly seed?: number;
  /**
   * Edge weights: 'uniform' (default: 1 per edge, as dlib's face clustering example; ties go to the smaller
   * label, which can let an early-visited bridge face pull a group over) or 'similarity' (the cosine, 1 − d²/2,
   * so a near neighbour outvotes a far one and ties are rare). On LFW the two were within 0.004 BCubed F of
   * each other, uniform slightly ahead at the default operating point (docs/clustering.md).
   */
  readonly weights?: 'similarity' | 'uniform';
  /**
   * Faces that cannot be one person: the other faces of the same photo (`sameImage[i]`: face i's photo, any
   * integer). A face never takes a label another face of its photo holds.
   */
  readonly sameImage?: Int32Array;
}

/** Faces sharing a photo with each face (only for photos with several faces). */
function photoMates(sameImage: Int32Array | undefined, n: number): Map<number, number[]> {
  const mates = new Map<number, number[]>();
  if (!sameImage) return mates;
  const byImage = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = byImage.get(sameImage[i]);
    if (list) list.push(i);
    else byImage.set(sameImage[i], [i]);
  }
  for (const list of byImage.values())
    if (list.length > 1)
      for (const i of list)
        mates.set(
          i,
          list.filter((j) => j !== i),
        );
  return mates;
}

export function chineseWhispers(g: KnnGraph, tau: number, opts: ChineseWhispersOptions = {}): Int32Array {
  const adj = adjacency(edgesBelow(g, tau));
  const n = g.n;
  const labels = Int32Array.from({ length: n }, (_, i) => i);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const rand = seededRandom(opts.seed ?? 1);
  const votes = new Map<number, number>();
  const uniform = opts.weights !== 'similarity';
  const mates = photoMates(opts.sameImage, n);
  const iterations = opts.iterations ?? 100;
  for (let pass = 0; pass < iterations; pass++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    let changed = 0;
    for (const v of order) {
      const from = adj.offsets[v];
      const to = adj.offsets[v + 1];
      if (from === to) continue;
      votes.clear();
      for (let e = from; e < to; e++) {
        const l = labels[adj.targets[e]];
        const d = adj.distances[e];
        votes.set(l, (votes.get(l) ?? 0) + (uniform ? 1 : 1 - (d * d) / 2));
      }
      let best = labels[v];
      let bestVotes = -1;
      const taken = mates.get(v)?.map((m) => labels[m]);
      // ties go to the smaller label, so a pass is a function of the order alone
      for (const [l, c] of votes)
        if (taken?.includes(l)) continue;
        else if (c > bestVotes || (c === bestVotes && l < best)) {
          best = l;
          bestVotes = c;
        }
      if (best !== labels[v]) {
        labels[v] = best;
        changed++;
      }
    }
    if (changed === 0) break;
  }
  return denseLabels(labels);
}

/** A binary min-heap of merge candidates keyed by linkage. */
class MergeHeap {
  private items: { link: number; a: number; b: number; va: number; vb: number }[] = [];
  get size(): number {
    return this.items.length;
  }
  push(item: { link: number; a: number; b: number; va: number; vb: number }): void {
    const h = this.items;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].link <= h[i].link) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }
  pop(): { link: number; a: number; b: number; va: number; vb: number } | undefined {
    const h = this.items;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].link < h[m].link) m = l;
        if (r < h.length && h[r].link < h[m].link) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}

interface Link {
  sum: number;
  count: number;
  max: number;
}

export function agglomerative(
  g: KnnGraph,
  tau: number,
  linkage: 'average' | 'complete' = 'average',
  sameImage?: Int32Array,
): Int32Array {
  const n = g.n;
  // the photos of each group, when faces can share one: two groups with a photo in common never merge
  const photos = sameImage ? Array.from(sameImage, (p) => new Set([p])) : undefined;
  const k = g.k;
  // every k-NN edge, both directions merged (edges at any distance: a group's linkage needs its far pairs too)
  const links = Array.from({ length: n }, () => new Map<number, Link>());
  const kthSum = new Float64Array(n);
  const size = new Float64Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    let kth = 0;
    for (let j = 0; j < k; j++) {
      const t = g.neighbors[i * k + j];
      if (t < 0) break;
      const d = g.distances[i * k + j];
      kth = d;
      if (!links[i].has(t)) {
        const l = { sum: d, count: 1, max: d }; // one object per pair, seen from both ends
        links[i].set(t, l);
        links[t].set(i, l);
      }
    }
    kthSum[i] = k > 0 && g.neighbors[i * k] >= 0 ? kth : 2;
  }
  const version = new Int32Array(n);
  const alive = new Uint8Array(n).fill(1);
  const value = (a: number, b: number, l: Link): number => {
    const pairs = size[a] * size[b];
    const missing = pairs - l.count;
    const guess = Math.max(kthSum[a] / size[a], kthSum[b] / size[b]);
    if (linkage === 'complete') return missing > 0 ? Math.max(l.max, guess) : l.max;
    return (l.sum + missing * guess) / pairs;
  };
  const heap = new MergeHeap();
  for (let a = 0; a < n; a++)
    for (const [b, l] of links[a]) {
      if (b <= a) continue;
      const link = value(a, b, l);
      if (link < tau) heap.push({ link, a, b, va: 0, vb: 0 });
    }
  const sets = new DisjointSets(n);
  for (let top = heap.pop(); top; top = heap.pop()) {
    const { a, b, va, vb } = top;
    if (!alive[a] || !alive[b] || version[a] !== va || version[b] !== vb) continue;
    if (
      photos &&
      [...(photos[a].size <= photos[b].size ? photos[a] : photos[b])].some((p) =>
        (photos[a].size <= photos[b].size ? photos[b] : photos[a]).has(p),
      )
    )
      continue;
    // merge the group with fewer links into the other
    const [keep, gone] = links[a].size >= links[b].size ? [a, b] : [b, a];
    if (photos) {
      for (const p of photos[gone]) photos[keep].add(p);
      photos[gone].clear();
    }
    alive[gone] = 0;
    sets.union(keep, gone);
    const into = links[keep];
    into.delete(gone);
    for (const [c, l] of links[gone]) {
      if (c === keep) continue;
      const cur = into.get(c);
      if (cur) {
        cur.sum += l.sum;
        cur.count += l.count;
        cur.max = Math.max(cur.max, l.max);
      } else into.set(c, { sum: l.sum, count: l.count, max: l.max });
      const back = links[c];
      back.delete(gone);
      back.set(keep, into.get(c)!);
    }
    links[gone] = new Map();
    size[keep] += size[gone];
    kthSum[keep] += kthSum[gone];
    version[keep]++;
    for (const [c, l] of into) {
      const link = value(keep, c, l);
      if (link < tau)
        heap.push(
          keep < c
            ? { link, a: keep, b: c, va: version[keep], vb: version[c] }
            : { link, a: c, b: keep, va: version[c], vb: version[keep] },
        );
    }
  }
  return denseLabels(Int32Array.from({ length: n }, (_, i) => sets.find(i)));
}
