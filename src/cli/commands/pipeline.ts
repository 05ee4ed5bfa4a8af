/** facenet detect | embed | compare: the face pipeline on single images. */
import type { Command } from 'commander';
import { action, EXIT, printResult } from '../output.js';
import { flipOf, loadRecognizer, withPipelineOptions, type PipelineFlags } from './common.js';
import { distance } from '../../embed/distance.js';
import { FaceError } from '../../errors.js';
import type { EmbeddedFace } from '../../recognizer.js';

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;
const boxJson = (f: { box: { x: number; y: number; width: number; height: number }; score: number }) => ({
  box: { x: round(f.box.x), y: round(f.box.y), width: round(f.box.width), height: round(f.box.height) },
  score: round(f.score, 4),
});

function onlyFace(faces: EmbeddedFace[], source: string): EmbeddedFace {
  if (faces.length === 0) throw new FaceError('NO_FACE', `no face found in ${source}`, { source });
  return faces[0]; // largest first
}

export function registerPipelineCommands(program: Command): void {
  withPipelineOptions(program.command('detect <image>').description("find faces: boxes, scores, landmarks (68 points for dlib packs; the detector's five points when it gives them)"))
    .option('--no-landmarks', 'omit landmarks from the output')
    .action(
      action(async (image: string, flags: PipelineFlags & { landmarks: boolean }) => {
        const fr = await loadRecognizer(flags);
        const faces = await fr.detect(image);
        const json = {
          pack: fr.pack.name,
          faces: faces.map((f) => ({
            ...boxJson(f),
            ...(flags.landmarks && f.landmarks ? { landmarks: f.landmarks.map((p) => [round(p.x, 1), round(p.y, 1)]) } : {}),
            ...(flags.landmarks && f.points ? { points: f.points.map((p) => [round(p.x, 1), round(p.y, 1)]) } : {}),
          })),
        };
        printResult(flags, json, () =>
          faces.length ? faces.map((f, i) => `face ${i + 1}: x=${round(f.box.x, 0)} y=${round(f.box.y, 0)} ${round(f.box.width, 0)}×${round(f.box.height, 0)} score=${round(f.score, 3)}`).join('\n') : 'no face found',
        );
        return faces.length ? EXIT.ok : EXIT.noMatch;
      }),
    );

  withPipelineOptions(program.command('embed <image>').description("L2-normalised embedding of every face (the pack's: 128-D dlib, 512-D EdgeFace)"))
    .action(
      action(async (image: string, flags: PipelineFlags) => {
        const fr = await loadRecognizer(flags);
        const faces = await fr.embed(image, { aligned: flags.aligned });
        const json = { model: fr.modelId, pack: fr.pack.name, faces: faces.map((f) => ({ ...boxJson(f), embedding: Array.from(f.embedding, (v) => round(v, 6)) })) };
        printResult(flags, json, () =>
          faces.length ? faces.map((f, i) => `face ${i + 1} [${Array.from(f.embedding.slice(0, 4), (v) => v.toFixed(4)).join(', ')}, …] (${f.embedding.length}-D)`).join('\n') : 'no face found',
        );
        return faces.length ? EXIT.ok : EXIT.noMatch;
      }),
    );

  withPipelineOptions(program.command('compare <imageA> <imageB>').description('distance between the largest faces of two photos, and the same-person decision'))
    .option('--threshold <t>', 'decision threshold on L2 distance (default: LFW-calibrated)')
    .action(
      action(async (a: string, b: string, flags: PipelineFlags & { threshold?: string }) => {
        const fr = await loadRecognizer(flags);
        const [fa, fb] = await Promise.all([fr.embed(a, { aligned: flags.aligned }), fr.embed(b, { aligned: flags.aligned })]);
        const ea = onlyFace(fa, a);
        const eb = onlyFace(fb, b);
        const d = distance(ea.embedding, eb.embedding);
        const crops = fr.ttaPaddings.join(',');
        const measured = fr.pack.compareThreshold;
        const table = crops === fr.pack.tta.crops.join(',') ? measured : crops === '' ? measured?.singleCrop : undefined;
        let threshold = table ? (flipOf(flags) ? table.flip : table.plain) : Number.NaN;
        if (flags.threshold !== undefined) {
          threshold = Number(flags.threshold);
          if (!(threshold > 0)) throw new FaceError('INVALID_INPUT', `--threshold must be a positive number, got "${flags.threshold}"`);
        } else if (flags.model) throw new FaceError('INVALID_INPUT', 'a custom --model has no calibrated threshold: pass --threshold');
        else if (!measured) throw new FaceError('INVALID_INPUT', `pack ${fr.pack.name} has no measured compare threshold: pass --threshold`);
        else if (!table) throw new FaceError('INVALID_INPUT', `--crops ${crops} has no calibrated threshold: pass --threshold (or use the default crops, or none)`);
        const same = d < threshold;
        printResult(flags, { distance: round(d, 6), same, threshold, model: fr.modelId, pack: fr.pack.name, faces: { a: fa.length, b: fb.length } }, () =>
          `distance ${d.toFixed(4)} ${same ? '<' : '≥'} τ ${threshold.toFixed(4)}: ${same ? 'same person' : 'different people'}` +
          (fa.length > 1 || fb.length > 1 ? ` (largest face used; ${fa.length} and ${fb.length} faces found)` : ''),
        );
        return same ? EXIT.ok : EXIT.noMatch;
      }),
    );
}
