/**
 * facenet enroll | verify | identify | people | index | forget | calibrate | eval identify: the gallery on the
 * command line, one module per command (shared flags and helpers in gallery-common.ts).
 * Exit codes (EXIT in ../output.ts): 0 match / ok, 1 no match (nobody recognised), 2 a typed error.
 */
import type { Command } from 'commander';
import { registerCalibrateCommand } from './calibrate.js';
import { registerEnrollCommand } from './enroll.js';
import { registerIdentifyCommand } from './identify.js';
import { registerEvalIdentifyCommand } from './identify-eval.js';
import { registerPeopleCommands } from './people.js';
import { registerVerifyCommand } from './verify.js';

export type { GalleryFlags } from './gallery-common.js';
export { expandImageArgs } from '../inputs.js';
export { identifyCsv, nearestOther } from './identify.js';

/** Registered in this order, which is the order `facenet --help` lists them in. */
export function registerGalleryCommands(program: Command): void {
  registerEnrollCommand(program);
  registerVerifyCommand(program);
  registerIdentifyCommand(program);
  registerPeopleCommands(program); // people, index, forget
  registerCalibrateCommand(program);
  registerEvalIdentifyCommand(program);
}
