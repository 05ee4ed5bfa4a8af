/** facenet verify: 1:1, is the face in a photo the claimed enrolled person? */
import type { Command } from 'commander';
import { DEFAULT_VERIFY_FAR } from '../../decide/decisions.js';
import type { VerifyResult } from '../../gallery/gallery.js';
import { printableName } from '../../gallery/names.js';
import { boxJson, r4 } from '../../face-json.js';
import { action, EXIT, printResult, writeErr } from '../output.js';
import { FACE_OPTION_HELP, faceBoxFlag, numberFlag, RATE } from '../flags.js';
import { explainVerify, WHY_THRESHOLDS_DIFFER } from '../../decide/explain.js';
import { combinationOption, openGallery, withGalleryOptions, type GalleryFlags } from './gallery-common.js';

type VerifyFlags = GalleryFlags & { as: string; far?: string; face?: string };

function verifyJson(r: VerifyResult) {
  return {
    match: r.match,
    person: r.person,
    distance: r4(r.distance),
    threshold: r4(r.threshold),
    far: r.far,
    targetFar: r.targetFar,
    farAtDistance: r.farAtDistance,
    resolvable: r.resolvable,
    comparisons: r.comparisons,
    facesInImage: r.facesInImage,
    box: boxJson(r.box),
    calibration: r.calibration,
  };
}

function verifyLine(image: string, r: VerifyResult, far: number, chosen: boolean): string {
  return (
    `${r.match ? 'MATCH' : 'NO MATCH'}: ${image} ${r.match ? 'is' : 'is not'} ${printableName(r.person)} ` +
    `— distance ${r.distance.toFixed(4)} ${r.match ? '<' : '≥'} τ ${r.threshold.toFixed(4)} ` +
    `(FAR ${r.far.toExponential(1)} target ${far}` +
    (r.facesInImage > 1 ? `; ${chosen ? 'the chosen' : 'largest'} of ${r.facesInImage} faces` : '') +
    ')\n' +
    explainVerify({ threshold: r.threshold, targetFar: far, person: printableName(r.person) })
  );
}

async function verify(image: string, flags: VerifyFlags): Promise<number> {
  const far = numberFlag('far', flags.far, RATE) ?? DEFAULT_VERIFY_FAR;
  const face = faceBoxFlag(flags.face, flags);
  const { gallery } = await openGallery(flags);
  try {
    const r = await gallery.verify(flags.as, image, { far, face, aligned: flags.aligned });
    if (!r.resolvable && !flags.json)
      writeErr(`WARNING: target FAR ${far} is below what the calibration resolves; τ is the strictest measured one\n`);
    printResult(flags, verifyJson(r), () => verifyLine(image, r, far, face !== undefined));
    return r.match ? EXIT.ok : EXIT.noMatch;
  } finally {
    await gallery.close();
  }
}

export function registerVerifyCommand(program: Command): void {
  const cmd = program.command('verify <image>').description('1:1: is the face in IMAGE the enrolled person NAME?');
  combinationOption(withGalleryOptions(cmd))
    .addHelpText('after', `\n${WHY_THRESHOLDS_DIFFER}`)
    .requiredOption('--as <name>', 'the claimed identity')
    .option('--face <x,y,width,height>', FACE_OPTION_HELP)
    .option('--far <rate>', `target false-accept rate (default ${DEFAULT_VERIFY_FAR})`)
    .action(action(verify));
}
