/**
 * Run `facenet …` (src/cli/main.ts through tsx) as a script would: exit code, stdout, stderr, and stdout as JSON when
 * it is.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LooseJson } from './loose-json.js';

export const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.ts');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  json: LooseJson;
}

export function facenet(args: string[], timeout = 90_000, env?: Record<string, string>, cwd?: string): CliRun {
  // tsx resolved here, so a run in another folder (cwd) finds it too
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], {
    encoding: 'utf8',
    timeout,
    cwd,
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}
