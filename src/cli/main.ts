#!/usr/bin/env node
/**
 * `facenet` command line. Each stage registers its own commands from src/cli/commands/.
 */
import { Command } from 'commander';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerEvalCommands } from './commands/eval.js';
import { registerGalleryCommands } from './commands/gallery.js';
import { registerTrainCommands } from './commands/train.js';
import { registerServeCommands } from './commands/serve.js';
import { registerPacksCommands } from './commands/packs.js';
import { registerClusterCommands } from './commands/cluster.js';

const program = new Command();
program.name('facenet').description('Face detection, alignment, embeddings and calibrated decisions, with recognition pipelines chosen by --pack').version('0.1.0');
program.showHelpAfterError();

registerPipelineCommands(program);
registerEvalCommands(program);
registerGalleryCommands(program);
registerTrainCommands(program);
registerServeCommands(program);
registerPacksCommands(program);
registerClusterCommands(program);

await program.parseAsync(process.argv);
