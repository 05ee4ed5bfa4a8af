/**
 * A small, dependency-free SVG line chart (log-scaled x), enough for "DIR against gallery size K at fixed F".
 */
import type { SizeResult } from './identify.js';

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly colour: string;
  readonly dashed?: boolean;
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** y range; default: from the data, rounded out to tenths, capped at [0, 1]. */
  readonly yRange?: readonly [number, number];
  readonly width?: number;
  readonly height?: number;
  /** Footnote under the chart. */
  readonly note?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toLocaleString('en-US') : String(+v.toPrecision(3)));

export function lineChartSvg(chart: LineChart): string {
  const W = chart.width ?? 860;
  const H = chart.height ?? 440;
  const m = { left: 70, right: 270, top: 48, bottom: chart.note ? 78 : 58 };
  const pts = chart.series.flatMap((s) => s.points);
  const xs = pts.map((p) => p[0]).filter((x) => x > 0);
  const x0 = Math.log10(Math.min(...xs));
  const x1 = Math.log10(Math.max(...xs));
  const ys = pts.map((p) => p[1]);
  const [y0, y1] = chart.yRange ?? [
    Math.max(0, Math.floor(Math.min(...ys) * 10) / 10),
    Math.min(1, Math.ceil(Math.max(...ys) * 10) / 10),
  ];
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const sx = (x: number) => m.left + (x1 === x0 ? pw / 2 : ((Math.log10(x) - x0) / (x1 - x0)) * pw);
  const sy = (y: number) => m.top + (1 - (y - y0) / (y1 - y0 || 1)) * ph;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(
    `<text x="${m.left + pw / 2}" y="24" text-anchor="middle" ` +
      `font-size="15" font-weight="bold">${esc(chart.title)}</text>`,
  );
  // grid + ticks: y every 0.05 or 0.1, x at decades and the data's x values
  const yStep = y1 - y0 > 0.5 ? 0.1 : 0.05;
  for (let y = Math.ceil(y0 / yStep - 1e-9) * yStep; y <= y1 + 1e-9; y += yStep) {
    out.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#e4e4e4"/>`,
    );
    out.push(`<text x="${m.left - 8}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${(y * 100).toFixed(0)}%</text>`);
  }
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);
  for (const x of xTicks) {
    out.push(
      `<line x1="${sx(x).toFixed(1)}" x2="${sx(x).toFixed(1)}" y1="${m.top}" y2="${m.top + ph}" stroke="#e4e4e4"/>`,
    );
    out.push(`<text x="${sx(x).toFixed(1)}" y="${m.top + ph + 18}" text-anchor="middle">${fmt(x)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 40}" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  out.push(
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const path = s.points.map((p, j) => `${j ? 'L' : 'M'}${sx(p[0]).toFixed(1)} ${sy(p[1]).toFixed(1)}`).join(' ');
    out.push(
      `<path d="${path}" fill="none" stroke="${s.colour}" ` +
        `stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    for (const p of s.points)
      out.push(
        `<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="3.5" fill="${s.colour}">` +
          `<title>${esc(`${s.name}: K=${fmt(p[0])}, ${(p[1] * 100).toFixed(2)}%`)}</title></circle>`,
      );
    const ly = m.top + 10 + i * 22;
    const lx = m.left + pw + 16;
    out.push(
      `<line x1="${lx}" x2="${lx + 26}" y1="${ly}" y2="${ly}" stroke="${s.colour}" ` +
        `stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    out.push(`<text x="${lx + 32}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  if (chart.note) out.push(`<text x="${m.left}" y="${H - 12}" font-size="11" fill="#555">${esc(chart.note)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The DIR-against-K chart of `facenet eval identify --plot`. */
export function identifyPlot(
  sizes: readonly SizeResult[],
  fars: readonly number[],
  modelId: string,
  unknownProbes?: number,
): string {
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
  const series: Series[] = [
    { name: 'closed-set rank-1', points: sizes.map((s) => [s.k, s.rank1] as const), colour: '#7f7f7f', dashed: true },
  ];
  fars.forEach((far, i) => {
    series.push({
      name: `DIR @ F=${far} (oracle τ)`,
      points: sizes.map((s) => [s.k, s.dir[i].dir] as const),
      colour: colours[i % colours.length],
    });
    if (sizes[0]?.calibrated)
      series.push({
        name: `DIR @ F=${far} (calibrated τ)`,
        points: sizes.map((s) => [s.k, s.calibrated![i].dir] as const),
        colour: colours[i % colours.length],
        dashed: true,
      });
  });
  return lineChartSvg({
    title: 'LFW open-set identification: DIR against gallery size K',
    xLabel: 'gallery size K (people, log scale)',
    yLabel: 'detection & identification rate',
    series,
    note:
      `model ${modelId}; ${unknownProbes ?? 'the'} unknown probes (single-image people); ` +
      'small K averaged over random draws',
  });
}
