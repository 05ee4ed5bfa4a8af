/**
 * `npm run build` (the same script as `prepare`, which `npm ci` and `npm pack` run) leaves every bin of package.json
 * executable, so `npx facenet` keeps working after a rebuild (tsc alone writes 0644: "facenet: Permission denied").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const npmMissing = spawnSync('npm', ['--version'], { env }).status === 0 ? false : 'npm is not on PATH';

test(
  'npm run build leaves the bins executable; npx facenet --version answers',
  { skip: npmMissing, timeout: 600_000 },
  () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    assert.equal(pkg.scripts.prepare, pkg.scripts.build, 'prepare (npm ci, npm pack) builds as npm run build does');
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, env, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    for (const file of Object.values(pkg.bin))
      assert.equal(statSync(path.join(ROOT, file)).mode & 0o111, 0o111, `${file} is executable after the build`);
    const version = spawnSync('npx', ['--no-install', 'facenet', '--version'], { cwd: ROOT, env, encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  },
);
