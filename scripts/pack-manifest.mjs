// `prepack` (strip) and `postpack` (restore): the package.json inside the tarball carries no install script.
// `prepare` builds dist/ after `npm ci` in this repository. In the tarball it would never run (npm runs `prepare`
// only for git and folder installs), yet npm ≥ 11.19 lists `prepare` of any non-registry package as an install
// script to review, and a tarball can only be named in allowScripts by its path. So `npm pack` and `npm publish`
// pack a package.json without the install scripts, and postpack puts the original back byte for byte.
// Plain JavaScript, like build.mjs.
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The scripts npm counts as install scripts of a non-registry package (see `npm help install-scripts`). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifest = path.join(root, 'package.json');
// beside package.json, git-ignored and outside "files": never packed
const kept = path.join(root, 'package.json.prepack');

function restore() {
  if (existsSync(kept)) renameSync(kept, manifest);
}

function strip() {
  // a copy still here means an earlier pack stopped before postpack: the copy is the original
  restore();
  copyFileSync(manifest, kept);
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  for (const name of INSTALL_SCRIPTS) delete pkg.scripts?.[name];
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
}

const action = { strip, restore }[process.argv[2]];
if (!action) {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore');
  process.exit(2);
}
action();
