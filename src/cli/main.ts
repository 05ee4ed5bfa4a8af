#!/usr/bin/env node
/**
 * `facenet` command line. Each stage registers its own commands from src/cli/commands/.
 */
import { Command } from 'commander';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerEvalCommands } from './commands/eval.js';

const program = new Command();
program.name('facenet').description('Face detection, alignment, 128-D embeddings and calibrated decisions').version('0.1.0');
program.showHelpAfterError();

registerPipelineCommands(program);
registerEvalCommands(program);

await program.parseAsync(process.argv);
