#!/usr/bin/env node
/** `facenet` command line: the command tree (program.ts), its usage errors as exit 2, and nothing else. */
import { CommanderError } from 'commander';
import { EXIT } from './output.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CommanderError)) throw e;
  const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
  if (!ok && process.argv.includes('--json'))
    process.stdout.write(
      `${JSON.stringify({ error: { code: 'INVALID_INPUT', message: e.message.replace(/^error: /, '') } }, null, 2)}\n`,
    );
  process.exitCode = ok ? EXIT.ok : EXIT.error;
}
