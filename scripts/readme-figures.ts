/**
 * The README's figures against the output of the README's own commands, so that a figure cannot drift from what its
 * command prints (issue 20: the headline said ± 0.11 and TAR 97.83 % where `eval lfw` printed ± 0.15 and 97.87 %).
 *
 *   npx tsx scripts/readme-figures.ts --list [--outputs DIR]   the commands, each with the file its --json goes to
 *   npx tsx scripts/readme-figures.ts --outputs DIR [--strict] compare the saved outputs with the README's cells
 *
 * The commands come from the README itself: the "command" cell of each row of "Headline results" (`same` = the row
 * above; `[…]` an optional part, so two commands), and for each row of the packs table (the "LFW View 2" column)
 * `eval lfw --pack P`. Which figures a row must show is derived from its output (CHECKS below): nothing names a pack,
 * so the default pack can change. Rows without a check (timings, which the lead measures on a quiet machine, and
 * commands without --json output) are listed as not checked. Exit 1 when a figure differs, or with --strict when an
 * output is missing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';

type Json = Record<string, unknown> & { [k: string]: unknown };

/** One table row of the README: its cells, with `\|` inside code kept as a literal bar. */
export interface Row {
  readonly table: string;
  readonly cells: string[];
}

/** A figure as the README writes it. */
export const pct = (v: number): string => `${(100 * v).toFixed(2)} %`;
const plusMinus = (v: number): string => `± ${(100 * v).toFixed(2)}`;
const f4 = (v: number): string => v.toFixed(4);

/** Rows of every Markdown table, keyed by the nearest heading above it. */
export function readmeTables(text: string): Row[] {
  const rows: Row[] = [];
  let heading = '';
  for (const line of text.split('\n')) {
    const h = /^#+\s+(.*)$/.exec(line);
    if (h) heading = h[1].trim();
    if (!line.startsWith('|') || /^\|[-\s|:]+\|$/.test(line)) continue;
    const BAR = '\uE000'; // a private-use character stands for `\|` while the row is split
    const cells = line
      .split('\\|')
      .join(BAR)
      .split('|')
      .slice(1, -1)
      .map((c) => c.split(BAR).join('|').trim());
    rows.push({ table: heading, cells });
  }
  return rows;
}

/** The commands of a command cell: backticked, `[…]` optional parts expanded (without, then with). */
export function commandsOf(cell: string): string[] {
  const code = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  const out: string[] = [];
  for (const c of code) {
    const opt = /\s*\[([^\]]+)\]/.exec(c);
    if (!opt) out.push(c.trim());
    else out.push(c.replace(opt[0], '').trim(), c.replace(opt[0], ` ${opt[1].replace(/\s*…\s*$/, '')}`).trim());
  }
  return out;
}

/** The command as run: `npm run -s` (npm's banner would spoil the JSON) and --json once. */
export function runnable(command: string): string {
  const c = command.replace(/^npm run (?!-s )/, 'npm run -s ');
  return /(^|\s)--json(\s|$)/.test(c) ? c : `${c} --json`;
}

/** The file an output is saved as: a readable slug of the command, and a short hash so that no two collide. */
export function outputFile(command: string): string {
  const norm = runnable(command).replace(/\s+/g, ' ').trim();
  const slug = norm
    .replace(/^npm run -s facenet -- |^npx tsx |^npm run -s /, '')
    .replace(/--json|\.\.\/shared\/(datasets|models)\/?|--data|--models|--accept-license/g, '')
    .replace(/[^a-z0-9.]+/gi, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${slug}-${createHash('sha256').update(norm).digest('hex').slice(0, 6)}.json`;
}

/** What a row's result cell must show, given its command's output. undefined: this row is not checked. */
interface Check {
  /** The row's first cell. */
  readonly row: RegExp;
  /** The kind of command (a regex on it) whose output it reads. */
  readonly command: RegExp;
  readonly figures: (out: Json) => string[];
}

const num = (j: Json, k: string): number => {
  const v = j[k];
  if (typeof v !== 'number') throw new Error(`the output has no number "${k}"`);
  return v;
};

/** The clustering row a README figure quotes: the product's default algorithm at its rate on all of LFW. */
function clusterFigure(j: Json): string {
  const rows = j.rows as { default?: boolean; pairwise: { precision: number }; bcubed: Json }[];
  const row = rows.find((r) => r.default === true);
  if (!row) throw new Error('the output has no row marked default (facenet eval cluster of this version)');
  return `\`${String(j.pack)}\` ${f4(row.pairwise.precision)} / ${f4(num(row.bcubed, 'f'))}`;
}

const HEADLINE: Check[] = [
  {
    row: /^LFW View 2 accuracy/,
    command: /eval lfw/,
    figures: (j) => [`${pct(num(j, 'accuracy'))} ${plusMinus(num(j, 'std'))}`],
  },
  { row: /^LFW View 2 TAR @ FAR = 1e-3$/, command: /eval lfw/, figures: (j) => [pct(num(j, 'tarAtFar1e3'))] },
  {
    row: /pack: LFW View 2 \/ TAR @ FAR = 1e-3$/,
    command: /eval lfw/,
    figures: (j) => [`${pct(num(j, 'accuracy'))} ${plusMinus(num(j, 'std'))}`, pct(num(j, 'tarAtFar1e3'))],
  },
  {
    row: /identification at K = 1,680|^open-set identification, K = 1,680/,
    command: /eval identify/,
    figures: (j) => [`${pct(num(j, 'rank1'))} / ${pct(num(j, 'dirAtFar1e2'))}`],
  },
  { row: /LFW View 1 test \/ View 2/, command: /eval view1-test/, figures: (j) => [pct(num(j, 'accuracy'))] },
  {
    row: /^clustering all 13,233 LFW faces/,
    command: /eval cluster/,
    figures: (j) => [clusterFigure(j)],
  },
];

export interface Finding {
  readonly row: string;
  readonly command?: string;
  readonly file?: string;
  readonly status: 'ok' | 'differs' | 'missing' | 'not checked';
  readonly detail: string;
}

/** The checks of a README: what each row needs and, with outputs, whether its cell shows it. */
export function checkReadme(text: string, outputs?: string): Finding[] {
  const rows = readmeTables(text);
  const findings: Finding[] = [];
  const read = (command: string): Json | undefined => {
    if (!outputs) return undefined;
    const file = path.join(outputs, outputFile(command));
    if (!existsSync(file)) return undefined;
    const raw = readFileSync(file, 'utf8');
    return JSON.parse(raw.slice(raw.search(/[{[]/))) as Json;
  };
  const compare = (label: string, cell: string, command: string, figures: (j: Json) => string[], fallback?: Json) => {
    const out = read(command) ?? fallback;
    const file = outputFile(command);
    if (!out) return findings.push({ row: label, command, file, status: 'missing', detail: `no ${file}` });
    let want: string[];
    try {
      want = figures(out);
    } catch (e) {
      return findings.push({ row: label, command, file, status: 'differs', detail: (e as Error).message });
    }
    const shown = cell.replace(/\*\*/g, '');
    const absent = want.filter((w) => !shown.includes(w));
    findings.push({
      row: label,
      command,
      file,
      status: absent.length ? 'differs' : 'ok',
      detail: absent.length ? `the command prints ${absent.join(', ')}; the README says: ${shown}` : want.join(', '),
    });
  };

  // the headline table: what | result | command
  let previous: string[] = [];
  /** `eval lfw` outputs of the headline rows by the pack they ran: they check that pack's row of the packs table. */
  const lfwByPack = new Map<string, Json>();
  for (const r of rows.filter((x) => x.table === 'Headline results' && x.cells[0] !== 'what')) {
    const [what, result, commandCell] = r.cells;
    const commands = /^same$/i.test(commandCell.trim()) ? previous : commandsOf(commandCell);
    previous = commands;
    const check = HEADLINE.find((c) => c.row.test(what));
    const command = commands.filter((c) => check?.command.test(c));
    if (!check || !command.length) {
      findings.push({ row: what, status: 'not checked', detail: 'a timing or an output without --json figures' });
      continue;
    }
    for (const c of command) {
      compare(what, result, c, check.figures);
      const out =
        /eval lfw/.test(c) && !/--(no-flip|crops|model|projection|folds|pairs)\b/.test(c) ? read(c) : undefined;
      if (out && typeof out.pack === 'string') lfwByPack.set(out.pack, out);
    }
  }

  // the packs table: pack | pipeline | LFW View 2 | licence; each pack's `eval lfw`
  const packRows = rows.filter((x) => /^Model packs/.test(x.table) && /^`[^`]+`/.test(x.cells[0]));
  for (const r of packRows) {
    const pack = /^`([^`]+)`/.exec(r.cells[0])![1];
    const cell = r.cells[2] ?? '';
    if (!/\d/.test(cell)) {
      findings.push({ row: `packs: ${pack}`, status: 'not checked', detail: 'no LFW figure in the table' });
      continue;
    }
    const command =
      `npm run facenet -- eval lfw --pack ${pack} --accept-license --models ../shared/models ` +
      '--data ../shared/datasets/lfw';
    const headline = read(command) ? undefined : lfwByPack.get(pack);
    compare(
      `packs: ${pack} LFW View 2`,
      cell,
      command,
      (j) => [`${pct(num(j, 'accuracy'))} ${plusMinus(num(j, 'std'))}`],
      headline,
    );
  }
  return findings;
}

function main(): void {
  const opts = new Command()
    .option('--readme <file>', 'the README to check', 'README.md')
    .option('--outputs <dir>', 'folder of the saved --json outputs')
    .option('--list', 'print the commands to run and the file each output goes to')
    .option('--strict', 'a missing output fails too')
    .parse()
    .opts<{ readme: string; outputs?: string; list?: boolean; strict?: boolean }>();
  const findings = checkReadme(readFileSync(opts.readme, 'utf8'), opts.outputs);
  if (opts.list) {
    const dir = opts.outputs ?? 'readme-figures';
    const seen = new Set<string>();
    console.log(`mkdir -p ${dir}`);
    for (const f of findings)
      if (f.command && !seen.has(f.file!)) {
        seen.add(f.file!);
        console.log(`${runnable(f.command)} > ${dir}/${f.file}`);
      }
    return;
  }
  for (const f of findings) console.log(`${f.status.padEnd(11)} ${f.row}${f.file ? ` [${f.file}]` : ''}: ${f.detail}`);
  const bad = findings.filter((f) => f.status === 'differs' || (opts.strict && f.status === 'missing'));
  console.log(
    `${findings.filter((f) => f.status === 'ok').length} ok, ${bad.length} failing, ` +
      `${findings.filter((f) => f.status === 'missing').length} without output, ` +
      `${findings.filter((f) => f.status === 'not checked').length} not checked`,
  );
  if (bad.length) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) main();
