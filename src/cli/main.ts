#!/usr/bin/env node
/**
 * `facenet` command line. Each stage registers its own commands from src/cli/commands/.
 */
import { Command, CommanderError } from 'commander';
import { EXIT } from './output.js';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerEvalCommands } from './commands/eval.js';
import { registerView1TestCommand } from './commands/view1-test-eval.js';
import { registerCfpEvalCommand } from './commands/cfp-eval.js';
import { registerGalleryCommands } from './commands/gallery.js';
import { registerTrainCommands } from './commands/train.js';
import { registerServeCommands } from './commands/serve.js';
import { registerPacksCommands } from './commands/packs.js';
import { registerClusterCommands } from './commands/cluster.js';

const program = new Command();
program
  .name('facenet')
  .description(
    'Face detection, alignment, embeddings and calibrated decisions, with recognition pipelines chosen by --pack',
  )
  .version('0.1.0');
program.showHelpAfterError();
// usage errors (unknown option or command, missing argument) exit 2 like any bad input, never 1 ("no match");
// set before the commands are added, which inherit it
program.exitOverride();

registerPipelineCommands(program);
registerEvalCommands(program);
registerView1TestCommand(program);
registerCfpEvalCommand(program);
registerGalleryCommands(program);
registerTrainCommands(program);
registerServeCommands(program);
registerPacksCommands(program);
registerClusterCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CommanderError)) throw e;
  const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
  if (!ok && process.argv.includes('--json'))
    process.stdout.write(
      `${JSON.stringify({ error: { code: 'INVALID_INPUT', message: e.message.replace(/^error: /, '') } }, null, 2)}\n`,
    );
  process.exitCode = ok ? EXIT.ok : EXIT.error;
}
