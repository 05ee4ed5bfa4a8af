/**
 * A watch run as a timeline: per person their appearances, and the tracks as CSV, WebVTT captions (who is on
 * screen) and an HTML page with thumbnails. Pure functions of the result; text from names is escaped for its format.
 */
import type { TrackSummary } from './events.js';

/** A track as the timeline shows it, with the source it came from. */
export interface TimelineTrack extends TrackSummary {
  readonly source: string;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;
const r4 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : Math.round(v * 1e4) / 1e4);

/** Seconds as H:MM:SS.s (tables, HTML). */
export function clock(seconds: number, decimals = 1): string {
  const s = Math.max(0, seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = (s % 60).toFixed(decimals).padStart(decimals ? 3 + decimals : 2, '0');
  return `${h}:${String(m).padStart(2, '0')}:${sec}`;
}

/** The JSON of one track (thumbnail and embedding left out: they are large). */
export function trackJson(t: TimelineTrack) {
  return {
    source: t.source,
    id: t.id,
    person: t.label,
    known: t.person !== 'unknown',
    ...(t.group !== undefined ? { group: t.group } : {}),
    start: r3(t.start),
    end: r3(t.end),
    segments: t.segments.map((s) => ({ start: r3(s.start), end: r3(s.end) })),
    distance: r4(t.distance),
    threshold: r4(t.threshold),
    frames: t.frames,
    views: t.views,
    quality: r4(t.quality),
    ...(t.bestTime !== undefined ? { bestTime: r3(t.bestTime) } : {}),
  };
}

/** Per person (or stranger), every on-screen interval in time order. */
export function peopleJson(tracks: readonly TimelineTrack[]) {
  const by = new Map<string, { source: string; start: number; end: number; track: number }[]>();
  for (const t of tracks)
    for (const s of t.segments) {
      const list = by.get(t.label) ?? [];
      list.push({ source: t.source, start: r3(s.start), end: r3(s.end), track: t.id });
      by.set(t.label, list);
    }
  return [...by].map(([person, appearances]) => ({
    person,
    appearances: appearances.sort((a, b) => a.source.localeCompare(b.source) || a.start - b.start),
  }));
}

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  // a leading = + - @ would run as a formula in a spreadsheet
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function timelineCsv(tracks: readonly TimelineTrack[]): string {
  const head = [
    'source',
    'track',
    'person',
    'known',
    'group',
    'start',
    'end',
    'distance',
    'threshold',
    'frames',
    'views',
  ];
  const rows = tracks.map((t) => {
    const j = trackJson(t);
    return [j.source, j.id, j.person, j.known, t.group, j.start, j.end, j.distance, j.threshold, j.frames, j.views];
  });
  return [head, ...rows].map((r) => r.map(csvCell).join(',')).join('\n');
}

const vttTime = (s: number) => clock(s, 3).padStart(12, '0');
/** Caption text: no line breaks, and no "-->" or markup (WebVTT reads < & as tags and entities). */
const vttText = (s: string) =>
  s
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');

/** WebVTT captions: one cue per stretch of time in which the same people are on screen. */
export function timelineVtt(tracks: readonly TimelineTrack[]): string {
  const edges: { t: number; label: string; delta: number }[] = [];
  for (const t of tracks)
    for (const s of t.segments) {
      // a face seen in one frame still gets a readable cue
      const end = Math.max(s.end, s.start + 0.5);
      edges.push({ t: s.start, label: t.label, delta: 1 }, { t: end, label: t.label, delta: -1 });
    }
  edges.sort((a, b) => a.t - b.t || a.delta - b.delta);
  const on = new Map<string, number>();
  const cues: string[] = [];
  let from = 0;
  const names = () => [...on].filter(([, n]) => n > 0).map(([l]) => l);
  for (let i = 0; i < edges.length;) {
    const t = edges[i].t;
    const current = names();
    if (current.length && t > from)
      cues.push(`${vttTime(from)} --> ${vttTime(t)}\n${vttText(current.sort().join(', '))}`);
    for (; i < edges.length && edges[i].t === t; i++)
      on.set(edges[i].label, (on.get(edges[i].label) ?? 0) + edges[i].delta);
    from = t;
  }
  return ['WEBVTT', '', ...cues.map((c, i) => `${i + 1}\n${c}\n`)].join('\n');
}

const html = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A self-contained page: per source, one row per track with its thumbnail, label, times and a bar on the timeline. */
export function timelineHtml(
  tracks: readonly TimelineTrack[],
  durations: ReadonlyMap<string, number>,
  title: string,
): string {
  const sections = [...new Set(tracks.map((t) => t.source))].map((source) => {
    const list = tracks.filter((t) => t.source === source);
    const total = Math.max(durations.get(source) ?? 0, ...list.map((t) => t.end), 1e-3);
    const rows = list.map((t) => {
      const img = t.thumbnail
        ? `<img src="data:image/jpeg;base64,${Buffer.from(t.thumbnail).toString('base64')}" alt="">`
        : '';
      const bars = t.segments
        .map((s) => {
          const left = (100 * s.start) / total;
          const width = Math.max(0.3, (100 * (s.end - s.start)) / total);
          return `<span style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></span>`;
        })
        .join('');
      const dist = t.distance !== undefined && Number.isFinite(t.distance) ? t.distance.toFixed(3) : '–';
      return (
        `<tr class="${t.person === 'unknown' ? 'unknown' : 'known'}"><td>${img}</td>` +
        `<td>${html(t.label)}</td><td>${t.id}</td>` +
        `<td>${clock(t.start)}–${clock(t.end)}</td><td>${dist}</td><td class="bar">${bars}</td></tr>`
      );
    });
    return (
      `<h2>${html(source)}</h2><table><thead><tr><th></th><th>person</th><th>track</th><th>on screen</th>` +
      `<th>distance</th><th>timeline (0–${clock(total)})</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    );
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:14px system-ui,sans-serif;margin:1rem}table{border-collapse:collapse;width:100%}
td,th{padding:4px 8px;text-align:left;border-bottom:1px solid #ddd}img{width:48px;height:48px;border-radius:4px}
td.bar{position:relative;min-width:240px;width:50%}td.bar span{position:absolute;top:40%;height:20%;background:#2a7}
tr.unknown td.bar span{background:#999}</style></head><body><h1>${html(title)}</h1>
${sections.join('\n') || '<p>No faces.</p>'}
</body></html>
`;
}
