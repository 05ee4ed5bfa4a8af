#!/usr/bin/env node
/** `facenet` command line: the command tree (program.ts), its usage errors as exit 2, and nothing else. */
import { CommanderError } from 'commander';
import { EXIT, jsonText, writeErr } from './output.js';
import { buildProgram } from './program.js';

// warnings name files: Node's own printer writes them raw, ours escapes control characters
process.removeAllListeners('warning');
process.on('warning', (w) => writeErr(`(node:${process.pid}) ${w.name}: ${w.message}\n`));

try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CommanderError)) throw e;
  const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
  if (!ok && process.argv.includes('--json'))
    process.stdout.write(
      `${jsonText({ error: { code: 'INVALID_INPUT', message: e.message.replace(/^error: /, '') } })}\n`,
    );
  process.exitCode = ok ? EXIT.ok : EXIT.error;
}
