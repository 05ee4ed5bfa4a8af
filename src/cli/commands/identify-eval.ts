/** facenet eval identify: open-set identification on LFW (rank-1, DIR at fixed false-alarm rates, against K). */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { calibrationFromFile, defaultCalibration } from '../../decide/default-calibration.js';
import type { CalibrationTable } from '../../decide/calibration.js';
import { FaceError } from '../../errors.js';
import {
  evaluateOpenSet,
  evaluateTemplates,
  lfwOpenSetSplit,
  lfwPeople,
  templatesExperimentSize,
  type SizeResult,
  type TemplatesResult,
} from '../../eval/identify.js';
import { lineChartSvg, type Series } from '../../eval/identify-plot.js';
import { pickEmbedding } from '../../eval/lfw.js';
import { galleryModelId } from '../../gallery/face-source.js';
import { action, printResult } from '../output.js';
import { flipOf, recognizerOptions, withFlipOptions, type PipelineFlags } from './common.js';
import { embedForEvaluation, evalCommand, withEvalImageOptions } from './eval.js';

interface IdentifyEvalFlags extends PipelineFlags {
  data: string;
  sizes: string;
  fars: string;
  seed: string;
  plot?: string;
  templates?: string | boolean;
  calibration?: string;
  concurrency?: string;
  workers?: string;
  cache?: string | false;
}

function list(name: string, v: string, check: (n: number) => boolean): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !Number.isFinite(x) || !check(x)))
    throw new FaceError('INVALID_INPUT', `--${name}: invalid list "${v}"`);
  return xs;
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

function sizeTable(sizes: readonly SizeResult[], fars: readonly number[]): string {
  const head = ['     K', 'draws', 'known', ' rank-1', ...fars.map((f) => `DIR@F=${f} (τ)`.padEnd(22))];
  const lines = [head.join('  ')];
  for (const s of sizes)
    lines.push(
      [
        String(s.k).padStart(6),
        String(s.draws).padStart(5),
        String(Math.round(s.knownProbes)).padStart(5),
        pct(s.rank1).padStart(7),
        ...s.dir.map((d) => `${pct(d.dir).padStart(7)} (τ ${d.threshold.toFixed(4)})`.padEnd(22)),
      ].join('  '),
    );
  if (sizes[0]?.calibrated) {
    lines.push(
      '',
      'with the calibrated threshold a gallery would use (f = 1-(1-F)^(1/K), τ from the calibration table):',
    );
    lines.push(['     K', ...fars.map((f) => `F=${f}: τ, measured false alarms, DIR`.padEnd(44))].join('  '));
    for (const s of sizes)
      lines.push(
        [
          String(s.k).padStart(6),
          ...s.calibrated!.map((c) =>
            (
              `τ ${c.threshold.toFixed(4)}  FA ${pct(c.measuredFalseAlarm).padStart(6)}  ` +
              `DIR ${pct(c.dir).padStart(6)}${c.resolvable ? ' ' : '!'}`
            ).padEnd(44),
          ),
        ].join('  '),
      );
    lines.push('  ! = f below the calibration’s resolution (strictest measured τ used; the gallery warns loudly)');
  }
  return lines.join('\n');
}

function templatesTable(
  rows: readonly TemplatesResult[],
  fars: readonly number[],
  size: { people: number; probes: number },
): string {
  const cal = !!rows[0]?.calibrated;
  const lines = [
    `several photos per person (${size.people} people with enough images, ` +
      `the same ${size.probes} known probes for every row):`,
    [
      '  photos',
      'combination   ',
      ' rank-1',
      ...fars.map((f) => `DIR@F=${f}`),
      ...(cal ? fars.map((f) => `calibrated F=${f}: FA, DIR`.padEnd(28)) : []),
    ].join('  '),
  ];
  for (const r of rows)
    lines.push(
      [
        String(r.templates).padStart(8),
        r.combination.padEnd(14),
        pct(r.rank1).padStart(7),
        ...r.dir.map((d) => pct(d.dir).padStart(9)),
        ...(r.calibrated ?? []).map((c) =>
          (
            `FA ${pct(c.measuredFalseAlarm).padStart(6)}  ` + `DIR ${pct(c.dir).padStart(7)}${c.resolvable ? ' ' : '!'}`
          ).padEnd(28),
        ),
      ].join('  '),
    );
  return lines.join('\n');
}

export function identifyPlot(
  sizes: readonly SizeResult[],
  fars: readonly number[],
  modelId: string,
  unknownProbes?: number,
): string {
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
  const series: Series[] = [
    { name: 'closed-set rank-1', points: sizes.map((s) => [s.k, s.rank1] as const), colour: '#7f7f7f', dashed: true },
  ];
  fars.forEach((far, i) => {
    series.push({
      name: `DIR @ F=${far} (oracle τ)`,
      points: sizes.map((s) => [s.k, s.dir[i].dir] as const),
      colour: colours[i % colours.length],
    });
    if (sizes[0]?.calibrated)
      series.push({
        name: `DIR @ F=${far} (calibrated τ)`,
        points: sizes.map((s) => [s.k, s.calibrated![i].dir] as const),
        colour: colours[i % colours.length],
        dashed: true,
      });
  });
  return lineChartSvg({
    title: 'LFW open-set identification: DIR against gallery size K',
    xLabel: 'gallery size K (people, log scale)',
    yLabel: 'detection & identification rate',
    series,
    note:
      `model ${modelId}; ${unknownProbes ?? 'the'} unknown probes (single-image people); ` +
      'small K averaged over random draws',
  });
}

export function registerEvalIdentifyCommand(program: Command): void {
  withFlipOptions(
    withEvalImageOptions(evalCommand(program).command('identify')),
    "without flip test-time augmentation (default: the pack's setting, as in the product)",
  )
    .description('open-set identification on LFW: rank-1 and DIR at fixed false-alarm rates for growing gallery sizes')
    .requiredOption('--data <dir>', 'LFW folder')
    .option('--sizes <list>', 'gallery sizes K', '10,100,1000,1680')
    .option('--fars <list>', 'open-set false-alarm rates F', '0.01,0.001')
    .option('--seed <n>', 'seed of the random gallery subsets', '1')
    .option('--plot <file.svg>', 'write the DIR-against-K chart')
    .option(
      '--templates [counts]',
      'also measure several enrollment photos per person and the ways to combine them (default 1,2,3,5)',
    )
    .option('--calibration <file>', 'calibration JSON for the calibrated-τ rows (default: the shipped one)')
    .action(
      action(async (flags: IdentifyEvalFlags) => {
        const sizes = list('sizes', flags.sizes, (n) => Number.isInteger(n) && n >= 1);
        const fars = list('fars', flags.fars, (n) => n > 0 && n < 1);
        const seed = Number(flags.seed);
        const counts = flags.templates
          ? list(
              'templates',
              flags.templates === true ? '1,2,3,5' : flags.templates,
              (n) => Number.isInteger(n) && n >= 1,
            )
          : undefined;
        const t0 = performance.now();
        const people = lfwPeople(flags.data);
        const split = lfwOpenSetSplit(people);
        const files = people.flatMap((p) => p.files);
        const { res, fr } = await embedForEvaluation(flags, recognizerOptions({ ...flags, flip: false }), files);
        const flip = flipOf(flags);
        const variant = flip ? 'flip' : 'plain';
        const emb = (f: string) => pickEmbedding(res.embeddings.get(f)!, variant);
        const modelId = galleryModelId(fr.modelId, flip, fr.ttaPaddings);
        const calibration: CalibrationTable | undefined = flags.calibration
          ? calibrationFromFile(flags.calibration, modelId)
          : defaultCalibration(modelId);
        const tEval = performance.now();
        const results = evaluateOpenSet(
          {
            gallery: split.gallery.map((g) => emb(g.file)),
            known: split.known.map((k) => ({ person: k.person, embedding: emb(k.file) })),
            unknown: split.unknown.map(emb),
          },
          { sizes, fars, seed, calibration },
        );
        let templates: TemplatesResult[] | undefined;
        let templatesSize: { people: number; probes: number } | undefined;
        if (counts) {
          const data = {
            people: people.filter((p) => p.files.length > 1).map((p) => p.files.map(emb)),
            unknown: split.unknown.map(emb),
          };
          templates = evaluateTemplates(data, { counts, fars, calibration });
          templatesSize = templatesExperimentSize(data, Math.max(...counts));
        }
        const evalSeconds = (performance.now() - tEval) / 1000;
        if (flags.plot) writeFileSync(flags.plot, identifyPlot(results, fars, modelId, split.unknown.length));
        const statuses = { ok: 0, central: 0, noface: 0 };
        for (const e of res.embeddings.values()) statuses[e.status]++;
        const seconds = (performance.now() - t0) / 1000;
        const full = results.find((r) => r.k === split.gallery.length);
        printResult(
          flags,
          {
            model: modelId,
            galleryPeople: split.gallery.length,
            knownProbes: split.known.length,
            unknownProbes: split.unknown.length,
            rank1: full?.rank1,
            dirAtFar1e2: full?.dir.find((d) => d.far === 0.01)?.dir,
            sizes: results,
            ...(templates ? { templates, templatesExperiment: templatesSize } : {}),
            calibration: calibration ? calibration.source : null,
            faces: { single: statuses.ok, centralOfSeveral: statuses.central, noFaceCentreFallback: statuses.noface },
            images: files.length,
            embeddingsComputed: res.computed,
            embeddingsFromCache: res.fromCache,
            imagesPerSecond: res.computed ? res.computed / res.seconds : null,
            evalSeconds,
            seconds,
            seed,
            plot: flags.plot ?? null,
            machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
          },
          () =>
            [
              `LFW open-set identification, model ${modelId}: ` +
                `gallery = first image of ${split.gallery.length} people with ≥ 2 images, ` +
                `${split.known.length} known probes, ${split.unknown.length} unknown probes (single-image people)`,
              sizeTable(results, fars),
              ...(templates ? ['', templatesTable(templates, fars, templatesSize!)] : []),
              '',
              `faces: ${statuses.ok} single, ${statuses.central} central of several, ` +
                `${statuses.noface} no face (centre-box fallback); ` +
                `${res.computed} embedded, ${res.fromCache} from cache; ` +
                `evaluation ${evalSeconds.toFixed(1)} s, total ${seconds.toFixed(1)} s` +
                (flags.plot ? `; plot → ${flags.plot}` : ''),
            ].join('\n'),
        );
      }),
    );
}
