/** What `facenet identify` prints: one row per face (or per image without a face, or with an error). */
import type { FaceError } from '../../errors.js';
import type { IdentifiedFace, IdentifyResult, OpenSetInfo } from '../../gallery/gallery.js';
import { printableName } from '../../gallery/names.js';
import { boxJson, faceJson, r4 } from '../../face-json.js';
import { csvRow } from '../csv.js';
import { explainIdentify } from '../../decide/explain.js';

export type IdentifyRow = { source: string; result?: IdentifyResult; error?: FaceError };

export interface IdentifySummary {
  images: number;
  faces: number;
  recognised: number;
  unknown: number;
  imagesWithoutFace: number;
  errors: number;
}

export function identifySummary(rows: readonly IdentifyRow[]): IdentifySummary {
  const faces = rows.flatMap((r) => r.result?.faces ?? []);
  return {
    images: rows.length,
    faces: faces.length,
    recognised: faces.filter((f) => f.person !== 'unknown').length,
    unknown: faces.filter((f) => f.person === 'unknown').length,
    imagesWithoutFace: rows.filter((r) => r.result && !r.result.faces.length).length,
    errors: rows.filter((r) => r.error).length,
  };
}

/** The nearest enrolled person: the answer, or for an unknown face the nearest candidate (too far to be named). */
export function nearestPerson(f: IdentifiedFace): string | undefined {
  return f.person !== 'unknown' ? f.person : f.candidates[0]?.person;
}

/**
 * The runner-up: the nearest candidate who is not the nearest person (candidates are per template, so [1] may be the
 * same person). For an unknown face the row already shows the nearest person and distance: this is the next one.
 */
export function nearestOther(f: IdentifiedFace): IdentifiedFace['candidates'][number] | undefined {
  const nearest = nearestPerson(f);
  return f.candidates.find((c) => c.person !== nearest);
}

const CSV_HEAD = [
  'source',
  'face',
  'person',
  'distance',
  'threshold',
  'second',
  'second_distance',
  'x',
  'y',
  'width',
  'height',
  'score',
  'error',
  // appended, so that the columns before keep their places: the nearest enrolled person (an unknown face's too)
  'nearest',
];

function csvFaceRow(source: string, i: number, f: IdentifiedFace, threshold: number): string {
  const b = boxJson(f.box);
  const second = nearestOther(f);
  return csvRow([
    source,
    i + 1,
    f.person,
    r4(f.distance),
    r4(threshold),
    second?.person,
    second ? r4(second.distance) : '',
    b.x,
    b.y,
    b.width,
    b.height,
    r4(f.score),
    '',
    nearestPerson(f),
  ]);
}

/** Identify output as CSV: one row per face (or per image without faces / with an error). */
export function identifyCsv(rows: readonly IdentifyRow[], threshold: number): string {
  const lines = [CSV_HEAD.join(',')];
  const blank = (n: number) => Array<string>(n).fill('');
  for (const r of rows) {
    if (r.error) lines.push(csvRow([r.source, ...blank(11), `${r.error.code}: ${r.error.message}`, '']));
    else if (!r.result!.faces.length) lines.push(csvRow([r.source, 0, 'no face', '', r4(threshold), ...blank(9)]));
    else r.result!.faces.forEach((f, i) => lines.push(csvFaceRow(r.source, i, f, threshold)));
  }
  return lines.join('\n');
}

export function identifyJson(info: OpenSetInfo, rows: readonly IdentifyRow[], summary: IdentifySummary) {
  return {
    threshold: r4(info.threshold),
    openSetFar: info.openSetFar,
    perComparisonFar: info.perComparisonFar,
    people: info.people,
    comparisons: info.comparisons,
    resolvable: info.resolvable,
    ...(info.warning ? { warning: info.warning } : {}),
    calibration: info.calibration,
    results: rows.map((r) =>
      r.error
        ? { source: r.source, error: r.error.toJSON() }
        : { source: r.source, faces: r.result!.faces.map(identifiedFaceJson) },
    ),
    summary,
  };
}

/** One identified face: the face's JSON, then the answer and the candidates. */
function identifiedFaceJson(f: IdentifiedFace) {
  return {
    ...faceJson(f),
    person: f.person,
    distance: r4(f.distance),
    candidates: f.candidates.map((c) => ({ person: c.person, distance: r4(c.distance) })),
  };
}

/** An unknown face shows its nearest enrolled person once (in the person column), and the runner-up beside it. */
function faceLine(source: string, w: number, i: number, f: IdentifiedFace): string {
  const nearest = nearestPerson(f);
  const who =
    f.person !== 'unknown'
      ? printableName(f.person)
      : nearest
        ? `unknown (nearest: ${printableName(nearest)})`
        : 'unknown (gallery empty)';
  const next = nearestOther(f);
  return (
    `${(i ? '' : source).padEnd(w)}  ${String(i + 1).padEnd(4)}  ` +
    `${who.padEnd(28)}  ` +
    `${Number.isFinite(f.distance) ? f.distance.toFixed(4) : '-'.padEnd(6)}    ` +
    `${next ? `${printableName(next.person)} ${next.distance.toFixed(4)}` : ''}`
  );
}

export function identifyTable(info: OpenSetInfo, rows: readonly IdentifyRow[], s: IdentifySummary): string {
  const w = Math.min(60, Math.max(6, ...rows.map((r) => r.source.length)));
  const lines = [`${'image'.padEnd(w)}  face  ${'person'.padEnd(28)}  distance  next nearest person`];
  for (const r of rows) {
    if (r.error) lines.push(`${r.source.padEnd(w)}  -     error [${r.error.code}] ${r.error.message}`);
    else if (!r.result!.faces.length) lines.push(`${r.source.padEnd(w)}  -     (no face)`);
    else r.result!.faces.forEach((f, i) => lines.push(faceLine(r.source, w, i, f)));
  }
  lines.push(
    explainIdentify(info),
    `${s.recognised} recognised, ${s.unknown} unknown, ` +
      `${s.imagesWithoutFace} image(s) without a face, ${s.errors} error(s)`,
  );
  return lines.join('\n');
}
