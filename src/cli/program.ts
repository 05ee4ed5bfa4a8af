/** The `facenet` command tree: each stage registers its own commands from src/cli/commands/. */
import { Command } from 'commander';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerEvalCommands } from './commands/eval.js';
import { registerView1TestCommand } from './commands/view1-test-eval.js';
import { registerGalleryCommands } from './commands/gallery.js';
import { registerTrainCommands } from './commands/train.js';
import { registerServeCommands } from './commands/serve.js';
import { registerPacksCommands } from './commands/packs.js';
import { registerClusterCommands } from './commands/cluster.js';

export function buildProgram(): Command {
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
  registerGalleryCommands(program);
  registerTrainCommands(program);
  registerServeCommands(program);
  registerPacksCommands(program);
  registerClusterCommands(program);
  return program;
}
