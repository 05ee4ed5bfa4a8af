/** What `facenet watch` prints: live lines, and at the end the timeline as a table, JSON, CSV, WebVTT or HTML. */
import { writeFileSync } from 'node:fs';
import type { FaceError } from '../../errors.js';
import type { OpenSetInfo } from '../../gallery/decision-results.js';
import { printableName } from '../../gallery/names.js';
import type { WatchEvent, WatchResult } from '../../video/events.js';
import {
  clock,
  peopleJson,
  timelineCsv,
  timelineHtml,
  timelineVtt,
  trackJson,
  type TimelineTrack,
} from '../../video/report.js';
import { printResult, writeOut } from '../output.js';

export interface WatchRun {
  readonly source: string;
  readonly kind: string;
  result?: WatchResult;
  error?: FaceError;
}

/** One line for a live source's arrival, identification or departure. */
export function liveLine(
  e: Extract<WatchEvent, { type: 'track-started' | 'track-ended' | 'track-identified' }>,
): string {
  const who = printableName(e.track.person);
  const at = clock(e.time);
  if (e.type === 'track-started') return `${at}  + ${who} (track ${e.track.id})`;
  if (e.type === 'track-identified')
    return `${at}  = ${who} (track ${e.track.id}, was ${printableName(e.previous)}; d ${e.track.distance?.toFixed(3)})`;
  return `${at}  - ${who} (track ${e.track.id}, on screen ${clock(e.track.start)}–${clock(e.track.end)})`;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function table(runs: readonly WatchRun[], tracks: readonly TimelineTrack[], openSet?: OpenSetInfo): string {
  const lines: string[] = [];
  for (const r of runs) {
    lines.push(
      `${printableName(r.source)}${r.result ? `  (${clock(r.result.duration)}, ${r.result.frames} frames)` : ''}`,
    );
    if (r.error) lines.push(`  error [${r.error.code}] ${printableName(r.error.message)}`);
    const mine = tracks.filter((t) => t.source === r.source);
    if (r.result && !mine.length) lines.push('  (no faces)');
    if (mine.length) lines.push(`  track  ${'person'.padEnd(24)}  ${'on screen'.padEnd(23)}  distance  frames  views`);
    for (const t of mine) {
      const span = t.segments.map((s) => `${clock(s.start)}–${clock(s.end)}`).join(', ');
      const d = t.distance !== undefined && Number.isFinite(t.distance) ? t.distance.toFixed(4) : '-';
      lines.push(
        `  ${String(t.id).padStart(5)}  ${printableName(t.label).padEnd(24)}  ${span.padEnd(23)}  ${d.padStart(8)}  ` +
          `${String(t.frames).padStart(6)}  ${String(t.views).padStart(5)}`,
      );
    }
    for (const w of r.result?.warnings ?? []) lines.push(`  warning: ${printableName(w)}`);
  }
  const known = tracks.filter((t) => t.person !== 'unknown');
  const strangers = new Set(tracks.filter((t) => t.group !== undefined).map((t) => t.group));
  lines.push(
    `${tracks.length} tracks: ${plural(new Set(known.map((t) => t.person)).size, 'person', 'people')} recognised, ` +
      `${plural(strangers.size, 'unknown person', 'unknown people')}` +
      (openSet
        ? `; τ ${openSet.threshold.toFixed(4)} for ${plural(openSet.people, 'person', 'people')} enrolled ` +
          `at open-set false-alarm rate ${openSet.openSetFar}`
        : ''),
  );
  return lines.join('\n');
}

export function printWatchOutput(
  flags: { json?: boolean; csv?: boolean; vtt?: string | boolean; html?: string; state?: string | false },
  runs: readonly WatchRun[],
  tracks: readonly TimelineTrack[],
  openSet?: OpenSetInfo,
): void {
  if (flags.html) {
    const durations = new Map(runs.map((r) => [r.source, r.result?.duration ?? 0]));
    writeFileSync(
      flags.html,
      timelineHtml(tracks, durations, `facenet watch: ${runs.map((r) => r.source).join(', ')}`),
    );
  }
  if (typeof flags.vtt === 'string') writeFileSync(flags.vtt, timelineVtt(tracks));
  else if (flags.vtt) return void writeOut(timelineVtt(tracks));
  if (flags.csv) return void writeOut(`${timelineCsv(tracks)}\n`);
  const json = {
    sources: runs.map((r) => ({
      source: r.source,
      kind: r.kind,
      ...(r.result
        ? {
            duration: Math.round(r.result.duration * 1000) / 1000,
            frames: r.result.frames,
            detections: r.result.detections,
            seconds: Math.round(r.result.seconds * 100) / 100,
            warnings: r.result.warnings,
            tracksDropped: r.result.tracksDropped,
          }
        : {}),
      ...(r.error ? { error: r.error.toJSON() } : {}),
    })),
    tracks: tracks.map(trackJson),
    people: peopleJson(tracks),
    ...(openSet
      ? {
          threshold: openSet.threshold,
          openSetFar: openSet.openSetFar,
          galleryPeople: openSet.people,
          calibration: openSet.calibration,
        }
      : {}),
    state: flags.state || null,
    ...(flags.html ? { html: flags.html } : {}),
  };
  printResult(flags, json, () => table(runs, tracks, openSet));
}
