/** facenet eval identify: open-set identification on LFW (rank-1, DIR at fixed false-alarm rates, against K). */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { evaluationCalibration } from '../../decide/default-calibration.js';
import type { CalibrationTable } from '../../decide/calibration.js';
import {
  evaluateOpenSet,
  evaluateTemplates,
  lfwOpenSetSplit,
  lfwPeople,
  templatesExperimentSize,
  type SizeResult,
  type TemplatesResult,
} from '../../eval/identify.js';
import { identifyPlot } from '../../eval/identify-plot.js';
import { faceCounts, faceCountsLine, type FaceCounts } from '../../eval/embed-dataset.js';
import { pickEmbedding } from '../../eval/lfw.js';
import { galleryModelId } from '../../gallery/face-source.js';
import { action, printResult } from '../output.js';
import { flipOf, recognizerOptions, withFlipOptions, type PipelineFlags } from './common.js';
import { embedForEvaluation, evalCommand, withEvalImageOptions } from './eval-common.js';
import { numberFlag, numberListFlag, POSITIVE_INT, RATE } from '../flags.js';

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

type EvalData = Awaited<ReturnType<typeof embedForEvaluation>>;

/** The embeddings and the open-set split, from the flags (sizes, rates and counts checked before any work). */
function identifyEvalPlan(flags: IdentifyEvalFlags) {
  const sizes = numberListFlag('sizes', flags.sizes, POSITIVE_INT);
  const fars = numberListFlag('fars', flags.fars, RATE);
  const seed = numberFlag('seed', flags.seed, { int: true }) ?? 1;
  const counts = flags.templates
    ? numberListFlag('templates', flags.templates === true ? '1,2,3,5' : flags.templates, POSITIVE_INT)
    : undefined;
  const people = lfwPeople(flags.data);
  return { sizes, fars, seed, counts, people, split: lfwOpenSetSplit(people), files: people.flatMap((p) => p.files) };
}

type IdentifyEvalPlan = ReturnType<typeof identifyEvalPlan>;

function evaluate(plan: IdentifyEvalPlan, data: EvalData, flip: boolean, calibration?: CalibrationTable) {
  const { sizes, fars, seed, counts, people, split } = plan;
  const variant = flip ? 'flip' : 'plain';
  const emb = (f: string) => pickEmbedding(data.res.embeddings.get(f)!, variant);
  const results = evaluateOpenSet(
    {
      gallery: split.gallery.map((g) => emb(g.file)),
      known: split.known.map((k) => ({ person: k.person, embedding: emb(k.file) })),
      unknown: split.unknown.map(emb),
    },
    { sizes, fars, seed, calibration },
  );
  if (!counts) return { results };
  const several = {
    people: people.filter((p) => p.files.length > 1).map((p) => p.files.map(emb)),
    unknown: split.unknown.map(emb),
  };
  const templates = evaluateTemplates(several, { counts, fars, calibration });
  return { results, templates, templatesSize: templatesExperimentSize(several, Math.max(...counts)) };
}

type IdentifyEvaluation = ReturnType<typeof evaluate>;

async function evalIdentify(flags: IdentifyEvalFlags): Promise<void> {
  const t0 = performance.now();
  const plan = identifyEvalPlan(flags);
  const { split, files, fars } = plan;
  const data = await embedForEvaluation(flags, recognizerOptions({ ...flags, flip: false }), files);
  const { res, fr } = data;
  const flip = flipOf(flags);
  const modelId = galleryModelId(fr.modelId, flip, fr.ttaPaddings);
  const calibration = evaluationCalibration(modelId, flags.calibration);
  const tEval = performance.now();
  const ev = evaluate(plan, data, flip, calibration);
  const evalSeconds = (performance.now() - tEval) / 1000;
  if (flags.plot) writeFileSync(flags.plot, identifyPlot(ev.results, fars, modelId, split.unknown.length));
  const seconds = (performance.now() - t0) / 1000;
  const full = ev.results.find((r) => r.k === split.gallery.length);
  const json = {
    model: modelId,
    galleryPeople: split.gallery.length,
    knownProbes: split.known.length,
    unknownProbes: split.unknown.length,
    rank1: full?.rank1,
    dirAtFar1e2: full?.dir.find((d) => d.far === 0.01)?.dir,
    sizes: ev.results,
    ...(ev.templates ? { templates: ev.templates, templatesExperiment: ev.templatesSize } : {}),
    calibration: calibration ? calibration.source : null,
    faces: faceCounts(res),
    images: files.length,
    embeddingsComputed: res.computed,
    embeddingsFromCache: res.fromCache,
    imagesPerSecond: res.computed ? res.computed / res.seconds : null,
    evalSeconds,
    seconds,
    seed: plan.seed,
    plot: flags.plot ?? null,
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
  };
  printResult(flags, json, () => identifyEvalLines(json, plan, ev, flags.plot, { eval: evalSeconds, total: seconds }));
}

function identifyEvalLines(
  json: { model: string; faces: FaceCounts; embeddingsComputed: number; embeddingsFromCache: number },
  plan: IdentifyEvalPlan,
  ev: IdentifyEvaluation,
  plot: string | undefined,
  seconds: { eval: number; total: number },
): string {
  const { split, fars } = plan;
  return [
    `LFW open-set identification, model ${json.model}: ` +
      `gallery = first image of ${split.gallery.length} people with ≥ 2 images, ` +
      `${split.known.length} known probes, ${split.unknown.length} unknown probes (single-image people)`,
    sizeTable(ev.results, fars),
    ...(ev.templates ? ['', templatesTable(ev.templates, fars, ev.templatesSize!)] : []),
    '',
    `faces: ${faceCountsLine(json.faces)}; ` +
      `${json.embeddingsComputed} embedded, ${json.embeddingsFromCache} from cache; ` +
      `evaluation ${seconds.eval.toFixed(1)} s, total ${seconds.total.toFixed(1)} s` +
      (plot ? `; plot → ${plot}` : ''),
  ].join('\n');
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
    .action(action(evalIdentify));
}
