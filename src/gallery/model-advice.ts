/** Advice for a MODEL_MISMATCH: which pack or options match a gallery's templates, or how to start a new gallery. */
import { packOfModelId } from './face-source.js';
import { DEFAULT_PACK } from '../pack/packs.js';
import { ttaVariantOf, variantFlags } from './tta-variants.js';

/**
 * What to do when a gallery holds templates of `stored` and the command runs `requested`: the same network with other
 * test-time augmentation → the options that match the gallery, the command that calibrates the combination (queries
 * only: see tta-variants.ts), or re-enrolling into a new gallery; another network → re-enroll into a new gallery.
 * `use`: 'query' (identify, verify) or 'enroll' (templates of two variants never share a gallery).
 */
export function modelMismatchAdvice(
  requested: string,
  stored: readonly string[],
  use: 'query' | 'enroll' = 'query',
): string {
  const want = ttaVariantOf(requested);
  const same = stored.map(ttaVariantOf).filter((p) => p.net === want.net);
  if (same.length === stored.length && same.length) {
    const g = same[0];
    const asGallery = `run the command with \`${variantFlags(g)}\` (as the gallery)`;
    const reEnroll =
      'enroll the people again with your options into a new gallery ' +
      `(\`facenet enroll NAME PHOTO --gallery NEW.db ${variantFlags(want)}\`)`;
    if (use === 'enroll') return `To add people, ${asGallery}, or ${reEnroll}.`;
    // `calibrate --cross` pairs the templates' variant with flip on/off at its crops or none: say so only when that
    // covers the query
    const pack = packOfModelId(requested);
    const covered = want.crops === g.crops || want.crops === 'none';
    const calibrateCmd =
      `facenet calibrate${pack && pack !== DEFAULT_PACK ? ` --pack ${pack}` : ''} --lfw DIR ` +
      `--exhaustive --crops ${g.crops} --cross ${g.flip ? 'flip' : 'no-flip'} --gallery GALLERY`;
    return (
      'The gallery was enrolled with the same network and other test-time augmentation, ' +
      'and no cross-variant calibration covers its templates with queries of yours: ' +
      `${asGallery}, ` +
      (covered ? `calibrate the combination for this gallery (\`${calibrateCmd}\`), ` : '') +
      `or ${reEnroll}.`
    );
  }
  const wantPack = packOfModelId(requested);
  const havePacks = [...new Set(stored.map(packOfModelId))];
  if (wantPack && havePacks.length === 1 && havePacks[0] && havePacks[0] !== wantPack)
    return (
      `The gallery was built with pack ${havePacks[0]}, this recognizer runs pack ${wantPack}: ` +
      'embeddings of different packs are not comparable. ' +
      `Open it with --pack ${havePacks[0]} (FaceRecognizer.load({ pack: '${havePacks[0]}' })), ` +
      'or enroll the people into a new gallery with this pack.'
    );
  return (
    'Embeddings of different networks are not comparable: run the command with the --pack or --model the gallery ' +
    'was built with, or enroll the people again into a new gallery (`facenet enroll NAME PHOTO --gallery NEW.db`).'
  );
}
