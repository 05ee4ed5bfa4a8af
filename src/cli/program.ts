/** The `facenet` command tree: each stage registers its own commands from src/cli/commands/. */
import { Command } from 'commander';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerEvalCommands } from './commands/eval.js';
import { registerView1TestCommand } from './commands/view1-test-eval.js';
import { registerCfpEvalCommand } from './commands/cfp-eval.js';
import { registerGalleryCommands } from './commands/gallery.js';
import { registerTrainCommands } from './commands/train.js';
import { registerServeCommands } from './commands/serve.js';
import { registerPacksCommands } from './commands/packs.js';
import { registerClusterCommands } from './commands/cluster.js';
import { registerWatchCommand } from './commands/watch.js';
import { terminalText } from './output.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('facenet')
    .description(
      'Face detection, alignment, embeddings and calibrated decisions, with recognition pipelines chosen by --pack',
    )
    .version('0.1.0');
  program.showHelpAfterError();
  // what commander prints (an unknown command or option echoes the user's text) goes through the terminal escape too
  program.configureOutput({
    writeOut: (s) => process.stdout.write(terminalText(s)),
    writeErr: (s) => process.stderr.write(terminalText(s)),
  });
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
  registerWatchCommand(program);
  return program;
}
