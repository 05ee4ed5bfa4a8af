/**
 * Identifying turned faces on CFP, with the open-set code of identify.ts: the first half of the people (by identity
 * folder) are enrolled, the other half are strangers; every profile photo of everyone is a probe.
 * - one frontal photo enrolled per person (the product's one-shot enrollment);
 * - several frontal photos per person (1, 3, 5, all), combined each way a gallery can (identify.ts);
 * - enrollment across poses: a frontal and a profile photo kept as separate templates (`nearest`), probed with the
 *   person's other profile photos, against the frontal photos alone on the same probes.
 * Rank-1 over the enrolled people's probes; DIR at a false-alarm rate F with the oracle τ that accepts F of the
 * strangers' probes; with a calibration table, what a gallery's own τ does on them.
 */
import type { CalibrationTable } from '../decide/calibration.js';
import { FaceError } from '../errors.js';
import type { CfpPerson } from './cfp.js';
import { evaluateOpenSet, evaluateTemplates, type SizeResult, type TemplatesResult } from './identify.js';

export interface CfpIdentifyOptions {
  readonly fars: readonly number[];
  /** Frontal photos enrolled per person in the several-photos rows (clipped to what everyone has). */
  readonly frontalCounts?: readonly number[];
  readonly calibration?: CalibrationTable;
}

export interface TemplatesRows {
  /** What was enrolled per person, row by row (`1 frontal`, `1 frontal + 1 profile`, …). */
  readonly label: string;
  readonly probes: number;
  readonly rows: readonly TemplatesResult[];
}

export interface CfpIdentifyResult {
  readonly enrolledPeople: number;
  readonly strangers: number;
  readonly knownProbes: number;
  readonly unknownProbes: number;
  /** One frontal photo per person. */
  readonly oneFrontal: SizeResult;
  readonly frontalPhotos: TemplatesRows;
  readonly acrossPoses: readonly TemplatesRows[];
}

export const DEFAULT_FRONTAL_COUNTS: readonly number[] = [1, 3, 5, 10];

/** Enrolled people (the first half by identity) and strangers (the rest). */
export function cfpIdentifySplit(people: readonly CfpPerson[]): { enrolled: CfpPerson[]; strangers: CfpPerson[] } {
  const usable = people.filter((p) => p.frontal.length && p.profile.length);
  if (usable.length < 4)
    throw new FaceError('INVALID_INPUT', `identification needs at least 4 people with frontal and profile photos`);
  const half = Math.floor(usable.length / 2);
  return { enrolled: usable.slice(0, half), strangers: usable.slice(half) };
}

export function evaluateCfpIdentify(
  people: readonly CfpPerson[],
  embeddingOf: (file: string) => Float32Array,
  opts: CfpIdentifyOptions,
): CfpIdentifyResult {
  const { enrolled, strangers } = cfpIdentifySplit(people);
  const unknown = strangers.flatMap((p) => p.profile.map(embeddingOf));
  const known = enrolled.flatMap((p, person) => p.profile.map((f) => ({ person, embedding: embeddingOf(f) })));
  const { fars, calibration } = opts;
  const [oneFrontal] = evaluateOpenSet(
    { gallery: enrolled.map((p) => embeddingOf(p.frontal[0])), known, unknown },
    { sizes: [enrolled.length], fars, seed: 1, calibration },
  );

  const minFrontal = Math.min(...enrolled.map((p) => p.frontal.length));
  const counts = [...new Set((opts.frontalCounts ?? DEFAULT_FRONTAL_COUNTS).map((n) => Math.min(n, minFrontal)))];
  const maxN = Math.max(...counts);
  // the first maxN photos of each list are enrollment candidates, the rest probes: frontals first, then profiles
  const frontalPhotos: TemplatesRows = {
    label: 'frontal photos',
    probes: known.length,
    rows: evaluateTemplates(
      {
        people: enrolled.map((p) => [...p.frontal.slice(0, maxN), ...p.profile].map(embeddingOf)),
        unknown,
      },
      { counts, fars, calibration },
    ),
  };

  const acrossPoses: TemplatesRows[] = [];
  const withTwoProfiles = enrolled.every((p) => p.profile.length >= 2);
  if (withTwoProfiles)
    for (const n of [...new Set([1, minFrontal])]) {
      // n frontal photos, then one profile photo; probes: the other profile photos
      const data = {
        people: enrolled.map((p) => [...p.frontal.slice(0, n), ...p.profile].map(embeddingOf)),
        unknown,
      };
      acrossPoses.push({
        label: `${n} frontal (+ 1 profile)`,
        probes: enrolled.reduce((s, p) => s + p.profile.length - 1, 0),
        rows: evaluateTemplates(data, { counts: [n, n + 1], fars, calibration }),
      });
    }
  return {
    enrolledPeople: enrolled.length,
    strangers: strangers.length,
    knownProbes: known.length,
    unknownProbes: unknown.length,
    oneFrontal,
    frontalPhotos,
    acrossPoses,
  };
}
