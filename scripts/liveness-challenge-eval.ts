/**
 * npx tsx scripts/liveness-challenge-eval.ts — the active liveness check's BPCER and per-attack APCER (ISO/IEC
 * 30107-3) on frame sequences assembled from photos (src/eval/challenge-frames.ts, src/eval/challenge-attacks.ts):
 * people performing random challenges, and prints (still, swung, swung on cue) and replayed recordings answering
 * them. People: CFP-dev (turns from profile photos) and LFW people with ≥ 15 photos (turns from their photos
 * turned 20–45°). Options: --source cfp|lfw|both (default both), --pack NAME (default dlib128), --models DIR,
 * --data DIR (../shared/datasets), --people N per source (default all), --trials N per person (20), --seed N,
 * --frames FILE (cache of the detected faces: reused when present), --turn, --centre, --flatness, --json
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { FaceRecognizer } from '../src/recognizer.js';
import { cfpPerson, lfwPerson, type PersonFrames } from '../src/eval/challenge-frames.js';
import { ATTACKS, challengeFigures } from '../src/eval/challenge-attacks.js';
import { sequenceCount } from '../src/liveness-challenge/challenge.js';
import { DEFAULT_THRESHOLDS } from '../src/liveness-challenge/events.js';
import type { ChallengeAction } from '../src/liveness-challenge/types.js';

const o = new Command()
  .option('--pack <name>', 'recognition pipeline', 'dlib128')
  .option('--models <dir>', "the packs' model files", process.env.FACENET_MODELS ?? path.resolve('../shared/models'))
  .option('--data <dir>', 'datasets folder', path.resolve('../shared/datasets'))
  .option('--source <which>', 'cfp, lfw or both', 'both')
  .option('--people <n>', 'people per source (CFP from 001; LFW by name)')
  .option('--trials <n>', 'challenges per person', '20')
  .option('--seed <n>', 'random seed', '1')
  .option('--frames <file>', 'cache of the detected faces (JSON): read when it exists, else written')
  .option('--turn <deg>', 'degrees of yaw that count as a turn', String(DEFAULT_THRESHOLDS.turnDegrees))
  .option('--centre <deg>', 'degrees that count as facing the camera again', String(DEFAULT_THRESHOLDS.centreDegrees))
  .option(
    '--flatness <k>',
    "a turn's width over the start's, at least k·cos(turn)",
    String(DEFAULT_THRESHOLDS.flatness),
  )
  .option('--json', 'machine-readable output')
  .parse()
  .opts<{
    pack: string;
    models: string;
    data: string;
    source: string;
    people?: string;
    trials: string;
    seed: string;
    frames?: string;
    turn: string;
    centre: string;
    flatness: string;
    json?: boolean;
  }>();

/** CFP's people (folders Data/Images/NNN) and LFW's with at least 15 photos, as far as --source and --people say. */
function sources(): { dir: string; make: typeof cfpPerson }[] {
  const limit = o.people ? Number(o.people) : undefined;
  const out: { dir: string; make: typeof cfpPerson }[] = [];
  const cfp = path.join(o.data, 'cfp-dev', 'Data', 'Images');
  const lfw = path.join(o.data, 'lfw');
  if (o.source !== 'lfw') {
    if (!existsSync(cfp)) throw new Error(`CFP is not at ${cfp} (see ../shared/datasets/README.md)`);
    const ids = readdirSync(cfp).filter((d) => /^\d+$/.test(d));
    out.push(
      ...ids
        .sort()
        .slice(0, limit)
        .map((id) => ({ dir: path.join(cfp, id), make: cfpPerson })),
    );
  }
  if (o.source !== 'cfp') {
    if (!existsSync(lfw)) throw new Error(`LFW is not at ${lfw} (see ../shared/datasets/README.md)`);
    const names = readFileSync(path.join(lfw, 'lfw-names.txt'), 'utf8')
      .split('\n')
      .map((l) => l.split('\t'))
      .filter(([name, n]) => name && Number(n) >= 15)
      .map(([name]) => name)
      .sort();
    out.push(...names.slice(0, limit).map((n) => ({ dir: path.join(lfw, 'lfw', n), make: lfwPerson })));
  }
  return out;
}

async function detectAll(): Promise<PersonFrames[]> {
  const todo = sources();
  const fr = await FaceRecognizer.load({ pack: o.pack, models: o.models });
  const out: PersonFrames[] = [];
  try {
    for (const [i, { dir, make }] of todo.entries()) {
      const p = await make(dir, (img) => fr.detect(img), { seed: Number(o.seed) + i });
      if (p) out.push(p);
      if (!o.json) process.stderr.write(`\r${i + 1}/${todo.length} people`);
    }
  } finally {
    await fr.close();
  }
  if (!o.json) process.stderr.write('\n');
  return out;
}

const started = Date.now();
const people: PersonFrames[] =
  o.frames && existsSync(o.frames) ? JSON.parse(readFileSync(o.frames, 'utf8')) : await detectAll();
if (o.frames && !existsSync(o.frames)) writeFileSync(o.frames, JSON.stringify(people));
const eyes = people.some((p) => p.closed.length > 0);
const actions: ChallengeAction[] = eyes ? ['turn-left', 'turn-right', 'blink'] : ['turn-left', 'turn-right'];
const thresholds = {
  ...DEFAULT_THRESHOLDS,
  turnDegrees: Number(o.turn),
  centreDegrees: Number(o.centre),
  flatness: Number(o.flatness),
};
const groups = [
  ['CFP', people.filter((p) => p.person.startsWith('cfp/'))],
  ['LFW', people.filter((p) => p.person.startsWith('lfw/'))],
  ['all', people],
] as const;
const figures = groups
  .filter(([, ps]) => ps.length)
  .map(([label, ps]) => ({
    label,
    ...challengeFigures(ps, { trials: Number(o.trials), seed: Number(o.seed), actions, thresholds }),
  }));
const pct = (r: number) => `${(100 * r).toFixed(2)} %`;
if (o.json) console.log(JSON.stringify({ pack: o.pack, thresholds, figures }, null, 2));
else {
  const n = figures[0]?.length ?? 0;
  console.log(
    `pack ${o.pack}, ${o.trials} challenges per person; turn ${o.turn}°, centre ${o.centre}°, ` +
      `flatness ${o.flatness}; ${n} actions from ${actions.join(', ')} (${sequenceCount(actions.length, n)} sequences)`,
  );
  for (const f of figures) {
    console.log(`\n${f.label}: ${f.people} people`);
    console.log(
      `BPCER (people performing the challenge, refused) ${pct(f.bpcer.rate).padStart(8)} ` +
        `(${f.bpcer.errors}/${f.bpcer.trials}) ${JSON.stringify(f.refusals)}`,
    );
    for (const a of ATTACKS)
      console.log(
        `APCER ${a.padEnd(14)} ${pct(f.apcer[a].rate).padStart(8)} (${f.apcer[a].errors}/${f.apcer[a].trials})`,
      );
    console.log(`ACER ${pct(f.acer)}`);
    const { yawSd, yawMax, swungMax } = f.noise;
    console.log(
      `yaw noise on still frames: sd ${yawSd.toFixed(2)}°, max ${yawMax.toFixed(1)}°; ` +
        `a print swung 10–70° reads at most ${swungMax.toFixed(1)}° of yaw`,
    );
  }
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s, load ${os.loadavg()[0].toFixed(2)})`);
}
