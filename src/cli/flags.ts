/**
 * Flag values as the commands read them: every number, list, id and enum a user types is checked here, so a typo is
 * INVALID_INPUT (exit 2) before anything loads, with one wording for every command.
 */
import type { Box } from '../detect/types.js';
import { FaceError } from '../errors.js';

/** Bounds of a numeric flag; `above` and `below` are exclusive, `min` and `max` inclusive. */
export interface NumberRule {
  readonly int?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly above?: number;
  readonly below?: number;
}

/** A rate strictly between 0 and 1 (FAR, false-merge rate). */
export const RATE: NumberRule = { above: 0, below: 1 };
/** A count of at least one. */
export const POSITIVE_INT: NumberRule = { int: true, min: 1 };

function describeRule(r: NumberRule): string {
  const bounds = [
    r.min !== undefined ? `≥ ${r.min}` : '',
    r.above !== undefined ? `> ${r.above}` : '',
    r.max !== undefined ? `≤ ${r.max}` : '',
    r.below !== undefined ? `< ${r.below}` : '',
  ].filter(Boolean);
  return `${r.int ? 'an integer' : 'a number'}${bounds.length ? ` ${bounds.join(' and ')}` : ''}`;
}

function obeys(n: number, r: NumberRule): boolean {
  return (
    Number.isFinite(n) &&
    (!r.int || Number.isInteger(n)) &&
    (r.min === undefined || n >= r.min) &&
    (r.max === undefined || n <= r.max) &&
    (r.above === undefined || n > r.above) &&
    (r.below === undefined || n < r.below)
  );
}

/** The one numeric-flag parser: undefined when the flag is absent, INVALID_INPUT when the value breaks the rule. */
export function numberFlag(name: string, v: string | undefined, rule: NumberRule = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !obeys(n, rule))
    throw new FaceError('INVALID_INPUT', `--${name} expects ${describeRule(rule)}, got "${v}"`);
  return n;
}

/** A comma-separated list of numbers, each obeying the rule (`--fars 1e-3,1e-4`, `--sizes 10,100`). */
export function numberListFlag(name: string, v: string, rule: NumberRule = {}): number[] {
  const items = v.split(',').map((s) => s.trim());
  const xs = items.map(Number);
  if (items.some((s) => s === '') || xs.some((x) => !obeys(x, rule)))
    throw new FaceError('INVALID_INPUT', `--${name} expects a list of ${describeRule(rule)}, got "${v}"`);
  return xs;
}

/**
 * An id on the command line (a cluster group, a face): a positive decimal integer. `0x1`, `1e0`, `+1`, `01`, `1.0`
 * and ` 1` are refused, not read as 1.
 */
export function idArgument(what: string, v: string): number {
  if (!/^[1-9][0-9]{0,14}$/.test(v))
    throw new FaceError('INVALID_INPUT', `${what} must be a positive decimal integer id, got "${v}"`);
  return Number(v);
}

/** One of a fixed set of words. */
export function choiceFlag<T extends string>(name: string, v: string, choices: readonly T[]): T {
  const found = choices.find((c) => c === v);
  if (!found) throw new FaceError('INVALID_INPUT', `--${name}: one of ${choices.join(', ')}, got "${v}"`);
  return found;
}

/** `--detect-size enlarge|native` → DetectOptions.enlarge; absent → undefined (the default). */
export function parseDetectSize(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'enlarge' || v === 'native') return v === 'enlarge';
  throw new FaceError('INVALID_INPUT', `--detect-size expects enlarge or native, got "${v}"`);
}

/** `--crops 0.15,0.35` → paddings; `none` → []; absent → undefined (the recognizer's default). */
export function parseCrops(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  if (v.trim() === 'none' || v.trim() === '') return [];
  const list = v.split(',').map((x) => Number(x.trim()));
  if (list.some((x) => !(x >= 0 && x <= 1)))
    throw new FaceError('INVALID_INPUT', `--crops expects paddings in [0, 1] separated by commas, or none; got "${v}"`);
  return list;
}

/** A JSON object flag (`--metadata '{"team":"a"}'`); undefined when absent. */
export function jsonObjectFlag(name: string, v: string | undefined): Record<string, unknown> | undefined {
  if (v === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw new FaceError('INVALID_INPUT', `--${name} must be a JSON object, got ${v}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new FaceError('INVALID_INPUT', `--${name} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

export const FACE_OPTION_HELP =
  'use the face in this box of a photo with several, x,y,width,height in pixels (as `facenet detect` prints them), ' +
  'instead of the largest';

/**
 * `--face x,y,width,height` → a box (the CLI twin of the API's `face`); absent → undefined. INVALID_INPUT (exit 2)
 * for anything but four numbers with width and height > 0, or with --aligned (a chip holds one face).
 */
export function faceBoxFlag(v: string | undefined, flags: { aligned?: boolean } = {}): Box | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((p) => p.trim());
  const n = parts.map(Number);
  if (
    parts.length !== 4 ||
    parts.some((p) => p === '') ||
    n.some((x) => !Number.isFinite(x)) ||
    !(n[2] > 0 && n[3] > 0)
  )
    throw new FaceError(
      'INVALID_INPUT',
      `--face expects x,y,width,height in pixels with width and height > 0, e.g. --face 120,40,80,80 ` +
        `(\`facenet detect IMG\` lists the boxes); got "${v}"`,
    );
  if (flags.aligned) throw new FaceError('INVALID_INPUT', '--face picks a face in a photo; an --aligned chip has one');
  return { x: n[0], y: n[1], width: n[2], height: n[3] };
}

/** A count or a range `lo-hi` of positive integers (`--people 5-20`, `--photos 10`). */
export function rangeFlag(name: string, v: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v.trim());
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2] ?? m?.[1]);
  if (!m || !(lo >= 1 && hi >= lo))
    throw new FaceError('INVALID_INPUT', `--${name} expects a count or a range lo-hi, got "${v}"`);
  return [lo, hi];
}
