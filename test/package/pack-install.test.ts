/**
 * The package as another project gets it: `npm pack`, install the tarball into an empty project, then run
 * `npx facenet compare A B` and the README's library example there.
 *
 * The install is offline from the local npm cache (what `npm ci` of this repo put there) and with --ignore-scripts:
 * the only install scripts in the tree are onnxruntime-node's CUDA download (not wanted) and better-sqlite3's
 * compile, which takes minutes; its binary is copied from this repo's node_modules instead when the versions match.
 * The test skips, saying why, when npm or the datasets are missing or the cache cannot serve the install.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
// npm passes its settings to scripts as npm_* variables: the temporary project must not inherit this repo's
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const run = (cmd: string, args: string[], opts: SpawnSyncOptions = {}) =>
  spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 600_000, ...opts }) as {
    status: number | null;
    stdout: string;
    stderr: string;
    error?: Error;
  };
const npmMissing = run('npm', ['--version']).status === 0 ? false : 'npm is not on PATH: cannot pack';
const skip = npmMissing || needDataset(JOHNS_DIR);

const LIBRARY_EXAMPLE = `
import { FaceRecognizer, Gallery, galleryRecognizer, distance } from 'facenet-ts';
const [a, b, stranger] = process.argv.slice(2);
const fr = await FaceRecognizer.load();
const [fa] = await fr.embed(a);
const [fb] = await fr.embed(b);
const out = { dim: fa.embedding.length, distance: distance(fa.embedding, fb.embedding) };
if (process.env.WITH_GALLERY) {
  const gallery = await Gallery.open({ location: 'faces.db', recognizer: galleryRecognizer(fr, true) });
  await gallery.enroll('Ada', [a]);
  out.verify = (await gallery.verify(b, 'Ada')).match;
  out.identify = (await gallery.identify(stranger)).faces.map((f) => f.person);
  await gallery.close();
}
await fr.release();
console.log(JSON.stringify(out));
`;

test(
  'npm pack → npm i ./facenet-ts-*.tgz in an empty project: npx facenet compare and the library run',
  { skip, timeout: 900_000 },
  (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'facenet-pack-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));

    const pack = run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT });
    if (pack.status !== 0) return t.skip(`npm pack failed: ${pack.stderr.slice(-400)}`);
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = info.files.map((f) => f.path);
    for (const must of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'dist/decide/calibrations/edgeface-xs.json',
      'src/web/index.html',
      'README.md',
    ])
      assert.ok(files.includes(must), `the tarball carries ${must}`);
    const data = files.filter(
      (f) => f.startsWith('test/') || /\.(jpe?g|png|db|onnx)$/i.test(f) || f.includes('datasets'),
    );
    assert.deepEqual(data, [], 'no tests, test data or models in the tarball');
    assert.equal(
      statSync(path.join(ROOT, 'dist/cli/main.js')).mode & 0o111,
      0o111,
      'prepare leaves the bin executable',
    );
    const tgz = path.join(dir, info.filename);
    const listing = run('tar', ['-tvzf', tgz, 'package/dist/cli/main.js']);
    if (listing.status === 0) assert.match(listing.stdout, /^-rwxr-xr-x/, "the tarball's bin is executable");
    // every relative link of the packed Markdown resolves inside the tarball (docs/ is packed)
    const unpacked = path.join(dir, 'unpacked');
    mkdirSync(unpacked);
    if (run('tar', ['-xzf', tgz, '-C', unpacked]).status === 0)
      for (const md of files.filter((f) => f.endsWith('.md'))) {
        const text = readFileSync(path.join(unpacked, 'package', md), 'utf8');
        for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g))
          if (!/^[a-z]+:/i.test(target))
            assert.ok(
              files.includes(path.posix.normalize(path.posix.join(path.posix.dirname(md), target))),
              `${md} links to ${target}, which is in the tarball`,
            );
      }

    const proj = path.join(dir, 'app');
    cpSync(path.join(ROOT, 'test', 'package', 'fixture-app'), proj, { recursive: true });
    const flags = ['--ignore-scripts', '--no-audit', '--no-fund', '--no-save'];
    let install = run('npm', ['install', '--offline', ...flags, tgz], { cwd: proj });
    // a cache filled by `npm ci` holds the tarballs but not always the registry metadata that ranges need
    if (install.status !== 0 && /ENOTCACHED/.test(install.stderr))
      install = run('npm', ['install', '--prefer-offline', ...flags, tgz], { cwd: proj });
    if (install.status !== 0) return t.skip(`the install could not be served: ${install.stderr.slice(-600)}`);

    // the README's allowScripts line covers every install script of the tree (npm 11.19 warns about the others)
    const allowLine = readFileSync(path.join(ROOT, 'README.md'), 'utf8').match(/^npm pkg set allowScripts\.[^\n`]*$/m);
    assert.ok(allowLine, 'the README gives the npm pkg set allowScripts line');
    const pending = run('npm', ['install-scripts', 'list', '--json'], { cwd: proj });
    if (pending.status === 0 && pending.stdout.trim().startsWith('{')) {
      const set = run('sh', ['-c', allowLine[0]], { cwd: proj });
      assert.equal(set.status, 0, set.stderr);
      const after = JSON.parse(run('npm', ['install-scripts', 'list', '--json'], { cwd: proj }).stdout) as {
        allowScripts: { name: string }[];
      };
      assert.deepEqual(
        after.allowScripts.map((p) => p.name),
        [],
        'no install script left unreviewed after the README line',
      );
    } else t.diagnostic('npm has no install-scripts command (before 11.19): allowScripts not checked');

    const simm = readdirSync(path.join(JOHNS_DIR, 'John_Simm'))
      .sort()
      .map((f) => path.join(JOHNS_DIR, 'John_Simm', f));
    const salley = readdirSync(path.join(JOHNS_DIR, 'John_Salley'))
      .sort()
      .map((f) => path.join(JOHNS_DIR, 'John_Salley', f));
    const cli = run('npx', ['--no-install', 'facenet', 'compare', simm[0], simm[1], '--json'], { cwd: proj });
    assert.equal(cli.status, 0, cli.stderr);
    const cmp = JSON.parse(cli.stdout);
    assert.equal(cmp.same, true);
    assert.ok(cmp.distance < cmp.threshold);

    // better-sqlite3 is compiled by its install script, skipped here: borrow our binary if it is the same version
    const ours = path.join(ROOT, 'node_modules', 'better-sqlite3');
    const theirs = path.join(proj, 'node_modules', 'better-sqlite3');
    const version = (d: string) =>
      (JSON.parse(readFileSync(path.join(d, 'package.json'), 'utf8')) as { version: string }).version;
    const withGallery =
      existsSync(path.join(ours, 'build', 'Release', 'better_sqlite3.node')) &&
      existsSync(theirs) &&
      version(ours) === version(theirs);
    if (withGallery) cpSync(path.join(ours, 'build'), path.join(theirs, 'build'), { recursive: true });
    writeFileSync(path.join(proj, 'example.mjs'), LIBRARY_EXAMPLE);
    const lib = run(process.execPath, ['example.mjs', simm[0], simm[1], salley[0]], {
      cwd: proj,
      env: { ...env, ...(withGallery ? { WITH_GALLERY: '1' } : {}) },
    });
    assert.equal(lib.status, 0, lib.stderr);
    const out = JSON.parse(lib.stdout);
    assert.equal(out.dim, 128);
    assert.ok(out.distance < 0.4, `same person: ${out.distance}`);
    if (withGallery) {
      assert.equal(out.verify, true);
      assert.deepEqual(out.identify, ['unknown']);
    } else t.diagnostic('gallery part skipped: no matching better-sqlite3 binary to borrow');
  },
);
