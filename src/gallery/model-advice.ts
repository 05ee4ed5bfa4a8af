/** Advice for a MODEL_MISMATCH: which pack or options match a gallery's templates, or how to start a new gallery. */
import { packOfModelId } from './face-source.js';

/** The pipeline options that make a gallery model id (the inverse of galleryModelId for its TTA suffixes). */
function pipelineOf(id: string): { net: string; crops: string; flip: boolean } {
  const m = /^(.*?)(?:\+crops([\d.,]+))?(\+flip)?$/.exec(id)!;
  return { net: m[1], crops: m[2] ?? 'none', flip: !!m[3] };
}

/**
 * What to do when a gallery holds templates of `stored` and the command runs `requested`: the same network with other
 * test-time augmentation → the options that match the gallery; another network → re-enroll into a new gallery.
 * (Mixed TTA variants are not compared: the calibration tables hold pairs of one variant only.)
 */
export function modelMismatchAdvice(requested: string, stored: readonly string[]): string {
  const want = pipelineOf(requested);
  const same = stored.map(pipelineOf).filter((p) => p.net === want.net);
  if (same.length === stored.length && same.length) {
    const g = same[0];
    return `The gallery was enrolled with the same network and other test-time augmentation: run the command with \`--crops ${g.crops}${g.flip ? ' --flip' : ' --no-flip'}\` (as the gallery), or enroll the people again with your options into a new gallery (\`facenet enroll NAME PHOTO --gallery NEW.db --crops ${want.crops}${want.flip ? ' --flip' : ' --no-flip'}\`).`;
  }
  const wantPack = packOfModelId(requested);
  const havePacks = [...new Set(stored.map(packOfModelId))];
  if (wantPack && havePacks.length === 1 && havePacks[0] && havePacks[0] !== wantPack)
    return `The gallery was built with pack ${havePacks[0]}, this recognizer runs pack ${wantPack}: embeddings of different packs are not comparable. Open it with --pack ${havePacks[0]} (FaceRecognizer.load({ pack: '${havePacks[0]}' })), or enroll the people into a new gallery with this pack.`;
  return 'Embeddings of different networks are not comparable: run the command with the --pack or --model the gallery was built with, or enroll the people again into a new gallery (`facenet enroll NAME PHOTO --gallery NEW.db`).';
}
