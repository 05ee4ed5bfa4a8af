/**
 * facenet packs | packs add: the recognition pipelines, whether their files are installed and verified, their licences.
 */
import type { Command } from 'commander';
import { action, EXIT, printResult } from '../output.js';
import { PACKS, DEFAULT_PACK, DEFAULT_PACK_REASON } from '../../pack/packs.js';
import { modelsDir, packStatus } from '../../pack/files.js';
import { installPackFiles } from '../../pack/install.js';

type ModelsFlags = { models?: string; json?: boolean };

const fileState = (f: { state: string; from?: string }): string =>
  f.from === 'package' ? `${f.state}, shipped in the package` : f.state;

async function listPacks(flags: ModelsFlags): Promise<void> {
  const dir = modelsDir(flags.models);
  const rows = await Promise.all(
    PACKS.map(async (p) => {
      const files = await packStatus(p, dir);
      return {
        name: p.name,
        default: p.name === DEFAULT_PACK,
        description: p.description,
        ready: files.every((f) => f.state === 'verified'),
        files,
        licence: p.licence.line,
        permissive: p.licence.permissive,
        experimental: p.experimental ?? null,
      };
    }),
  );
  printResult(flags, { default: DEFAULT_PACK, defaultReason: DEFAULT_PACK_REASON, modelsDir: dir, packs: rows }, () =>
    [
      `default pack: ${DEFAULT_PACK}: ${DEFAULT_PACK_REASON}`,
      `models folder: ${dir}`,
      ...rows.flatMap((r) => [
        `${r.name}${r.default ? ' (default)' : ''}${r.experimental ? ' (experimental)' : ''}: ` +
          `${r.ready ? 'ready' : 'not installed'}${r.permissive ? '' : ' — needs --accept-license'}`,
        `  ${r.description}`,
        ...(r.experimental ? [`  experimental: ${r.experimental}`] : []),
        `  licence: ${r.licence}`,
        ...(r.files.length
          ? r.files.map((f) => `  ${f.state === 'verified' ? '✓' : '✗'} ${f.path} (${fileState(f)})`)
          : ['  files: from the @vladmandic/face-api npm package']),
      ]),
    ].join('\n'),
  );
}

async function addPacks(source: string, flags: ModelsFlags & { pack?: string[] }): Promise<number> {
  const r = await installPackFiles(source, { models: flags.models, packs: flags.pack });
  printResult(flags, r, () =>
    [
      `models folder: ${r.modelsDir}`,
      ...r.installed.map((f) => `  installed ${f} (sha256 verified)`),
      ...r.present.map((f) => `  already present ${f} (sha256 verified)`),
      ...r.notFound.map((f) => `  not in ${source}: ${f}`),
      ...r.packs.map((p) => `${p.name}: ${p.complete ? 'ready' : 'incomplete'}`),
    ].join('\n'),
  );
  return r.packs.every((p) => p.complete) || flags.pack === undefined ? EXIT.ok : EXIT.error;
}

export function registerPacksCommands(program: Command): void {
  const packs = program
    .command('packs')
    .description(
      'recognition pipelines (packs): files present and sha256-verified, licences; `packs add` installs files',
    );
  packs
    .command('list', { isDefault: true })
    .description(
      'list the packs, whether their files are in the models folder and match their sha256, and their licences',
    )
    .option('--models <dir>', 'models folder (default: FACENET_MODELS, else ~/.local/share/facenet-ts/models)')
    .option('--json', 'machine-readable output')
    .action(action(listPacks));
  packs
    .command('add <source>')
    .description(
      "install packs' model files from a folder or an http(s) address (same layout as the models folder, " +
        'or the bare file names); every file is checked against its sha256 before anything is written',
    )
    .option('--pack <name...>', 'only these packs (default: every file the source has)')
    .option(
      '--models <dir>',
      'destination models folder (default: FACENET_MODELS, else ~/.local/share/facenet-ts/models)',
    )
    .option('--json', 'machine-readable output')
    .action(action(addPacks));
}
