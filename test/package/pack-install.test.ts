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
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';
import { MODEL_FILES } from '../../src/pack/packs.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
// npm passes its settings to scripts as npm_* variables: the temporary project must not inherit this repo's; nor a
// models folder: the default pack must run from the package alone (XDG_DATA_HOME is pointed at an empty folder below)
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'FACENET_MODELS'),
);
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
const out = { pack: fr.pack.name, detector: fr.detector.modelId, dim: fa.embedding.length };
out.distance = distance(fa.embedding, fb.embedding);
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
    const data = path.join(dir, 'xdg-data'); // the user's data folder: no models folder in it
    mkdirSync(data);
    env.XDG_DATA_HOME = data;

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
      // the default pack's detector (MIT, 230 KB) with its licence notice
      `models/${MODEL_FILES.yunet.path}`,
      'models/yunet/LICENSE',
      'models/README.md',
    ])
      assert.ok(files.includes(must), `the tarball carries ${must}`);
    const inTarball = files.filter(
      (f) => f.startsWith('test/') || /\.(jpe?g|png|db|onnx)$/i.test(f) || f.includes('datasets'),
    );
    assert.deepEqual(
      inTarball,
      [`models/${MODEL_FILES.yunet.path}`],
      'no tests, test data or models in the tarball but YuNet (the EdgeFace head stays out)',
    );

    const proj = path.join(dir, 'app');
    cpSync(path.join(ROOT, 'test', 'package', 'fixture-app'), proj, { recursive: true });
    const tgz = path.join(dir, info.filename);
    const flags = ['--ignore-scripts', '--no-audit', '--no-fund', '--no-save'];
    let install = run('npm', ['install', '--offline', ...flags, tgz], { cwd: proj });
    // a cache filled by `npm ci` holds the tarballs but not always the registry metadata that ranges need
    if (install.status !== 0 && /ENOTCACHED/.test(install.stderr))
      install = run('npm', ['install', '--prefer-offline', ...flags, tgz], { cwd: proj });
    if (install.status !== 0) return t.skip(`the install could not be served: ${install.stderr.slice(-600)}`);

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
    const packs = run('npx', ['--no-install', 'facenet', 'packs', '--json'], { cwd: proj });
    assert.equal(packs.status, 0, packs.stderr);
    const listed = JSON.parse(packs.stdout);
    assert.equal(listed.default, 'dlib128-yunet');
    assert.equal(listed.modelsDir, path.join(data, 'facenet-ts', 'models'));
    assert.ok(!existsSync(listed.modelsDir), 'no models folder');
    const def = listed.packs.find((p: { name: string }) => p.name === 'dlib128-yunet');
    assert.equal(def.ready, true);
    assert.deepEqual(def.files, [{ path: MODEL_FILES.yunet.path, state: 'verified', from: 'package' }]);

    // better-sqlite3 is compiled by its install script, skipped here: borrow this repo's binary if it is the same version
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
    assert.equal(out.pack, 'dlib128-yunet');
    assert.match(out.detector, /^yunet@/);
    assert.equal(out.dim, 128);
    assert.ok(out.distance < 0.4, `same person: ${out.distance}`);
    if (withGallery) {
      assert.equal(out.verify, true);
      assert.deepEqual(out.identify, ['unknown']);
    } else t.diagnostic('gallery part skipped: no matching better-sqlite3 binary to borrow');
  },
);
