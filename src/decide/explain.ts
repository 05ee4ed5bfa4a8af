/**
 * What a threshold promises, in plain words: the CLI prints these beside every decision, so that the three thresholds
 * a user meets (compare, verify, identify: e.g. 0.4012, 0.3589 and 0.4045 on one gallery) are not a mystery.
 *
 * - compare: the single distance that best separates same-person from different-person pairs on LFW (no target
 *   false-accept rate; the rate it lets through is what the calibration measured at that distance);
 * - verify (1:1): the distance at which a stranger claiming to be one enrolled person gets in at the target rate;
 * - identify (1:N): τ(K), the distance at which a stranger is taken for any of the K people at the target rate; each
 *   person is one more chance of a look-alike, so every comparison gets the rate 1 − (1 − F)^(1/K) and τ shrinks as K
 *   grows.
 */

/** A rate as odds a person can picture: 1e-3 → "1 in 1,000". */
export function oneIn(rate: number): string {
  if (!(rate > 0)) return 'never';
  return `1 in ${Math.round(1 / rate).toLocaleString('en-US')}`;
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** compare: where τ comes from and what it lets through. */
export function explainCompare(c: {
  threshold: number;
  /** 'pack': the pack's LFW accuracy-maximising τ; 'model': a trained model's own calibration; 'user': --threshold. */
  from: 'pack' | 'model' | 'user';
  /** The model's calibration: the target false-accept rate it was chosen for. */
  targetFar?: number;
  /** The false-accept rate the shipped calibration measured at τ, when one fits the model. */
  farAtThreshold?: number;
}): string {
  const tau = `τ ${c.threshold.toFixed(4)}`;
  const lets =
    c.farAtThreshold !== undefined
      ? `; on labelled pairs, about ${oneIn(c.farAtThreshold)} pairs of different people are closer than that`
      : '';
  if (c.from === 'user') return `${tau} is the --threshold you gave${lets}.`;
  if (c.from === 'model')
    return (
      `${tau} is set from the model's own calibration for a false-accept rate of ` +
      `${oneIn(c.targetFar ?? NaN)}${lets}.`
    );
  return (
    `${tau} is the distance that best separates same-person from different-person photo pairs on LFW ` +
    `(the most accurate single threshold: no target false-accept rate)${lets}. ` +
    'For a decision at a chosen false-accept rate, enroll the person and use `facenet verify`.'
  );
}

/** verify (1:1). */
export function explainVerify(v: { threshold: number; targetFar: number; person: string }): string {
  return (
    `τ ${v.threshold.toFixed(4)} is set so that a stranger claiming to be ${v.person} is accepted about ` +
    `${oneIn(v.targetFar)} times (1:1, target false-accept rate ${v.targetFar}).`
  );
}

/** identify (1:N): τ(K), K the comparisons a face makes (one per stored template, or per person with centroids). */
export function explainIdentify(i: {
  threshold: number;
  openSetFar: number;
  people: number;
  comparisons: number;
  perComparisonFar: number;
}): string {
  const k =
    i.comparisons === i.people
      ? `K = ${plural(i.people, 'person', 'people')}`
      : `K = ${plural(i.comparisons, 'stored photo', 'stored photos')} of ${plural(i.people, 'person', 'people')}`;
  return (
    `τ(K) ${i.threshold.toFixed(4)} for ${k}: a stranger is taken for anyone enrolled at most ` +
    `${oneIn(i.openSetFar)} times (1:N, open-set false-alarm rate ${i.openSetFar}). Each comparison may then accept ` +
    `a stranger only ${oneIn(i.perComparisonFar)} times, so τ(K) gets stricter as people are enrolled.`
  );
}

/** Why compare, verify and identify use different thresholds on one gallery. */
export const WHY_THRESHOLDS_DIFFER =
  'compare, verify and identify use different thresholds: compare the most accurate one on LFW pairs, verify one for ' +
  'a target false-accept rate against one claimed person, identify one that keeps a stranger from matching any of ' +
  'K people at its own target rate (default 1 in 100, against 1 in 1,000 for verify).';
