/** Learning curves: one record per epoch, written as JSON and drawn as a small dependency-free SVG. */

export interface EpochRecord {
  readonly epoch: number;
  readonly step: number;
  /** Training seconds so far (validation excluded). */
  readonly seconds: number;
  readonly lr: number;
  /** Means over the epoch's batches. */
  readonly loss: number;
  readonly activeFraction: number;
  /** Mean squared L2 distance of positive / negative pairs in the batches. */
  readonly meanPos: number;
  readonly meanNeg: number;
  readonly imagesPerSec: number;
  readonly tripletsPerSec: number;
  /** Validation (absent without validation identities). */
  readonly valAccuracy?: number;
  readonly valAuc?: number;
  readonly valTarAtFar1e3?: number;
  readonly valTarAtFar1e2?: number;
}

interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v: number) =>
  Number.isInteger(v)
    ? String(v)
    : Math.abs(v) >= 100
      ? v.toFixed(0)
      : Math.abs(v) >= 1
        ? v.toFixed(2)
        : v.toPrecision(2);

function panel(x0: number, y0: number, w: number, h: number, title: string, series: Series[]): string {
  const all = series.flatMap((s) => s.points);
  const parts = [
    `<g transform="translate(${x0},${y0})">`,
    `<rect x="0" y="0" width="${w}" height="${h}" fill="#fff" stroke="#ccc"/>`,
  ];
  parts.push(`<text x="${w / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`);
  if (all.length) {
    const xmin = Math.min(...all.map((p) => p[0]));
    let xmax = Math.max(...all.map((p) => p[0]));
    let [ymin, ymax] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
    if (xmax === xmin) xmax = xmin + 1;
    if (ymax === ymin) {
      ymax += 0.5;
      ymin -= 0.5;
    }
    const L = 48;
    const R = 10;
    const T = 26;
    const B = 28;
    const sx = (v: number) => L + ((v - xmin) / (xmax - xmin)) * (w - L - R);
    const sy = (v: number) => h - B - ((v - ymin) / (ymax - ymin)) * (h - T - B);
    parts.push(
      `<line x1="${L}" y1="${h - B}" x2="${w - R}" y2="${h - B}" stroke="#888"/>` +
        `<line x1="${L}" y1="${T}" x2="${L}" y2="${h - B}" stroke="#888"/>`,
    );
    parts.push(`<text x="${L - 4}" y="${T + 4}" text-anchor="end" font-size="10">${fmt(ymax)}</text>`);
    parts.push(`<text x="${L - 4}" y="${h - B}" text-anchor="end" font-size="10">${fmt(ymin)}</text>`);
    parts.push(`<text x="${L}" y="${h - B + 14}" font-size="10">${fmt(xmin)}</text>`);
    parts.push(`<text x="${w - R}" y="${h - B + 14}" text-anchor="end" font-size="10">${fmt(xmax)}</text>`);
    parts.push(`<text x="${(L + w - R) / 2}" y="${h - 4}" text-anchor="middle" font-size="10">step</text>`);
    series.forEach((s, k) => {
      if (!s.points.length) return;
      const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"/>`);
      for (const p of s.points)
        parts.push(`<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="2" fill="${s.color}"/>`);
      if (series.length > 1)
        parts.push(
          `<text x="${w - R - 4}" y="${T + 12 + 12 * k}" text-anchor="end" ` +
            `font-size="10" fill="${s.color}">${esc(s.name)}</text>`,
        );
    });
  } else {
    parts.push(`<text x="${w / 2}" y="${h / 2}" text-anchor="middle" font-size="11" fill="#999">no data</text>`);
  }
  parts.push('</g>');
  return parts.join('');
}

export function curvesSvg(records: readonly EpochRecord[], title = 'training'): string {
  const pts = (f: (r: EpochRecord) => number | undefined): [number, number][] =>
    records.filter((r) => f(r) !== undefined && Number.isFinite(f(r))).map((r) => [r.step, f(r)!]);
  const W = 420;
  const H = 240;
  const body = [
    panel(0, 30, W, H, 'triplet loss', [{ name: 'loss', color: '#c0392b', points: pts((r) => r.loss) }]),
    panel(W + 10, 30, W, H, 'active triplets (fraction)', [
      { name: 'active', color: '#8e44ad', points: pts((r) => r.activeFraction) },
    ]),
    panel(0, 40 + H, W, H, 'validation', [
      { name: 'accuracy', color: '#27ae60', points: pts((r) => r.valAccuracy) },
      { name: 'TAR@FAR=1e-2', color: '#2980b9', points: pts((r) => r.valTarAtFar1e2) },
    ]),
    panel(W + 10, 40 + H, W, H, 'mean squared distance in batch', [
      { name: 'positive', color: '#16a085', points: pts((r) => r.meanPos) },
      { name: 'negative', color: '#d35400', points: pts((r) => r.meanNeg) },
    ]),
  ];
  const width = 2 * W + 10;
  const height = 50 + 2 * H;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="#f8f8f8"/><text x="8" y="20" font-size="15">${esc(title)}</text>${body.join('')}</svg>\n`;
}
