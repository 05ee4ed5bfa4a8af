/** facenet verify: 1:1, is the face in a photo the claimed enrolled person? */
import type { Command } from 'commander';
import { DEFAULT_VERIFY_FAR } from '../../decide/decisions.js';
import { printableName } from '../../gallery/names.js';
import { explainVerify, WHY_THRESHOLDS_DIFFER } from '../../decide/explain.js';
import { action, EXIT, printResult } from '../output.js';
import { FACE_OPTION_HELP, parseFaceOption } from './common.js';
import {
  boxJson,
  combinationOption,
  farOk,
  num,
  openGallery,
  r4,
  withGalleryOptions,
  type GalleryFlags,
} from './gallery-common.js';

export function registerVerifyCommand(program: Command): void {
  combinationOption(
    withGalleryOptions(
      program.command('verify <image>').description('1:1: is the face in IMAGE the enrolled person NAME?'),
    ),
  )
    .addHelpText('after', `\n${WHY_THRESHOLDS_DIFFER}`)
    .requiredOption('--as <name>', 'the claimed identity')
    .option('--face <x,y,width,height>', FACE_OPTION_HELP)
    .option('--far <rate>', `target false-accept rate (default ${DEFAULT_VERIFY_FAR})`)
    .action(
      action(async (image: string, flags: GalleryFlags & { as: string; far?: string; face?: string }) => {
        const far = num('far', flags.far, DEFAULT_VERIFY_FAR, farOk);
        const face = parseFaceOption(flags.face, flags);
        const { gallery } = await openGallery(flags);
        try {
          const r = await gallery.verify(image, flags.as, { far, face, aligned: flags.aligned });
          const json = {
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
          if (!r.resolvable && !flags.json)
            process.stderr.write(
              `WARNING: target FAR ${far} is below what the calibration resolves; τ is the strictest measured one\n`,
            );
          printResult(
            flags,
            json,
            () =>
              `${r.match ? 'MATCH' : 'NO MATCH'}: ${image} ${r.match ? 'is' : 'is not'} ${printableName(r.person)} ` +
              `— distance ${r.distance.toFixed(4)} ${r.match ? '<' : '≥'} τ ${r.threshold.toFixed(4)} ` +
              `(FAR ${r.far.toExponential(1)} target ${far}` +
              `${r.facesInImage > 1 ? `; ${face ? 'the chosen' : 'largest'} of ${r.facesInImage} faces` : ''})\n` +
              explainVerify({ threshold: r.threshold, targetFar: far, person: printableName(r.person) }),
          );
          return r.match ? EXIT.ok : EXIT.noMatch;
        } finally {
          await gallery.close();
        }
      }),
    );
}
