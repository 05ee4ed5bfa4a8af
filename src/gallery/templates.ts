/**
 * How several templates of one person are combined when matching.
 *
 * - `nearest`: every template is an index entry; a person's distance is the minimum over their templates.
 *   A probe then makes one comparison per template (what the open-set threshold must account for).
 * - `centroid`: one entry per person, the L2-normalised mean of their templates; one comparison per person.
 *
 * A third way, the mean of the distances to every template, was measured too and is worse than both.
 * The default (DEFAULT_COMBINATION in gallery.ts) is chosen by measurement: `facenet eval identify --templates`.
 */
import { FaceError } from '../errors.js';
import { normalisedMean } from '../embed/vector.js';
import type { VectorIndex } from '../search/search-index.js';
import type { StoredTemplate } from './store/store.js';

export type TemplateCombination = 'nearest' | 'centroid';
export const TEMPLATE_COMBINATIONS: readonly TemplateCombination[] = ['nearest', 'centroid'];

export function parseCombination(s: string): TemplateCombination {
  if ((TEMPLATE_COMBINATIONS as readonly string[]).includes(s)) return s as TemplateCombination;
  throw new FaceError(
    'INVALID_INPUT',
    `template combination must be one of ${TEMPLATE_COMBINATIONS.join(', ')}, got "${s}"`,
  );
}

/**
 * Put one person's templates into the index under the chosen combination, replacing what was there.
 * Keys: template ids for `nearest`, the person id for `centroid`.
 */
export function indexPerson(
  index: VectorIndex,
  combination: TemplateCombination,
  personId: number,
  templates: readonly Pick<StoredTemplate, 'id' | 'embedding'>[],
): void {
  index.removeLabel(personId);
  if (!templates.length) return;
  if (combination === 'nearest') for (const t of templates) index.add(t.id, personId, t.embedding);
  else index.add(personId, personId, normalisedMean(templates.map((t) => t.embedding)));
}
