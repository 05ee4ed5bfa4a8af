// `npm run build`, `prepare` (so `npm ci`) and `prepack` (so `npm pack`): an empty dist/, tsc, then the executable
// bit on every "bin" of package.json. tsc writes files 0644, and a bin without +x fails:
// `sh: 1: facenet: Permission denied`.
// Plain JavaScript: it runs before anything is compiled, without tsx.
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
const { bin } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
for (const file of typeof bin === 'string' ? [bin] : Object.values(bin ?? {})) chmodSync(path.join(root, file), 0o755);
