/**
 * The package as another project gets it: `npm pack`, install the tarball into an empty project, then import the root
 * and every subpath export (values at run time, types with tsc), run `npx facenet compare A B` and the README's
 * library example there.
 *
 * The install is offline from the local npm cache (what `npm ci` of this repo put there) and with --ignore-scripts:
 * the only install scripts in the tree are onnxruntime-node's CUDA download (not wanted) and better-sqlite3's
 * compile, which takes minutes; its binary is copied from this repo's node_modules instead when the versions match.
 * A failing `npm pack` fails the tests (it is this repository's build); the tests after it skip, saying why, when
 * npm or the datasets are missing or the cache cannot serve the install.
 */
import { after, test, type TestContext } from 'node:test';
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
import { MODEL_FILES } from '../../src/pack/packs.js';

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

const PKG_TEXT = readFileSync(path.join(ROOT, 'package.json'), 'utf8');
const pkg = JSON.parse(PKG_TEXT) as {
  exports: Record<string, { types: string; import: string } | string>;
};
/** What npm ≥ 11.19 counts as install scripts of a package installed from a tarball (`npm help install-scripts`). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];
/** Every code entry of package.json `exports`: `.` and the subpaths. */
const ENTRIES = Object.entries(pkg.exports).flatMap(([k, v]) => (typeof v === 'string' ? [] : [{ subpath: k, ...v }]));
const specifier = (subpath: string) => (subpath === '.' ? 'facenet-ts' : `facenet-ts/${subpath.slice(2)}`);

/** The root export: the README's verbs (see scripts/public-api.ts for the types). */
const ROOT_VALUES = ['FaceError', 'FaceRecognizer', 'Gallery', 'PushFrameSource', 'cluster', 'distance', 'watch'];
/** A value each subpath must export. */
const SUBPATH_VALUES: Record<string, string[]> = {
  './server': ['buildServer', 'startServer'],
  './eval': ['rocCurve', 'calibrate', 'pairwiseScores'],
  './train': ['runTraining', 'readModelMeta'],
  './cluster': ['ClusterState', 'extendClusters', 'buildKnnGraph'],
  './engine': ['createOrtEngine', 'SqliteGalleryStore', 'ExactIndex', 'decodeImage'],
};

const dir = mkdtempSync(path.join(tmpdir(), 'facenet-pack-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// the user's data folder holds no models folder: the default pack must run from the package alone
const data = path.join(dir, 'xdg-data');
mkdirSync(data);
env.XDG_DATA_HOME = data;

interface Packed {
  tgz: string;
  files: string[];
}
let packed: Packed | undefined;

/** `npm pack` once for every test; its failure is this repository's failure. */
function pack(): Packed {
  if (packed) return packed;
  const r = run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT });
  assert.equal(r.status, 0, `npm pack failed: ${r.stderr.slice(-800)}`);
  const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  packed = { tgz: path.join(dir, info.filename), files: info.files.map((f) => f.path) };
  return packed;
}

let installed: { proj: string; withGallery: boolean } | string | undefined;

/** Install the tarball into an empty project once; a reason (to skip with) when the npm cache cannot serve it. */
function install(): { proj: string; withGallery: boolean } | string {
  if (installed) return installed;
  const { tgz } = pack();
  const proj = path.join(dir, 'app');
  cpSync(path.join(ROOT, 'test', 'package', 'fixture-app'), proj, { recursive: true });
  const flags = ['--ignore-scripts', '--no-audit', '--no-fund', '--no-save'];
  let r = run('npm', ['install', '--offline', ...flags, tgz], { cwd: proj });
  // a cache filled by `npm ci` holds the tarballs but not always the registry metadata that ranges need
  if (r.status !== 0 && /ENOTCACHED/.test(r.stderr))
    r = run('npm', ['install', '--prefer-offline', ...flags, tgz], { cwd: proj });
  if (r.status !== 0) return (installed = `the install could not be served: ${r.stderr.slice(-600)}`);
  // better-sqlite3 is compiled by its install script, skipped here: borrow this repo's binary if it is the same
  // version
  const ours = path.join(ROOT, 'node_modules', 'better-sqlite3');
  const theirs = path.join(proj, 'node_modules', 'better-sqlite3');
  const version = (d: string) =>
    (JSON.parse(readFileSync(path.join(d, 'package.json'), 'utf8')) as { version: string }).version;
  const withGallery =
    existsSync(path.join(ours, 'build', 'Release', 'better_sqlite3.node')) &&
    existsSync(theirs) &&
    version(ours) === version(theirs);
  if (withGallery) cpSync(path.join(ours, 'build'), path.join(theirs, 'build'), { recursive: true });
  return (installed = { proj, withGallery });
}

function installedOrSkip(t: TestContext): { proj: string; withGallery: boolean } | undefined {
  const i = install();
  if (typeof i === 'string') {
    t.skip(i);
    return undefined;
  }
  return i;
}

test(
  'npm pack: dist with every export entry and its .d.ts, the CLI, the web page; no tests, data or models',
  {
    skip: npmMissing,
    timeout: 600_000,
  },
  () => {
    const { files } = pack();
    const entryFiles = ENTRIES.flatMap((e) => [e.import, e.types]).map((f) => f.replace(/^\.\//, ''));
    for (const must of [
      ...entryFiles,
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
  },
);

test(
  "npm pack: the bin is executable, in dist and in the tarball; the packed Markdown's links resolve inside it",
  { skip: npmMissing, timeout: 600_000 },
  () => {
    const { tgz, files } = pack();
    assert.equal(
      statSync(path.join(ROOT, 'dist/cli/main.js')).mode & 0o111,
      0o111,
      'the build leaves the bin executable',
    );
    const listing = run('tar', ['-tvzf', tgz, 'package/dist/cli/main.js']);
    assert.equal(listing.status, 0, listing.stderr);
    assert.match(listing.stdout, /^-rwxr-xr-x/, "the tarball's bin is executable");
    const unpacked = path.join(dir, 'unpacked');
    mkdirSync(unpacked);
    const untar = run('tar', ['-xzf', tgz, '-C', unpacked]);
    assert.equal(untar.status, 0, untar.stderr);
    for (const md of files.filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(path.join(unpacked, 'package', md), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g))
        if (!/^[a-z]+:/i.test(target))
          assert.ok(
            files.includes(path.posix.normalize(path.posix.join(path.posix.dirname(md), target))),
            `${md} links to ${target}, which is in the tarball`,
          );
    }
  },
);

test(
  'npm pack: the packed package.json has no install script; ours is left as it was',
  { skip: npmMissing, timeout: 600_000 },
  () => {
    const { tgz } = pack();
    const packedText = run('tar', ['-xOzf', tgz, 'package/package.json']);
    assert.equal(packedText.status, 0, packedText.stderr);
    const packed = JSON.parse(packedText.stdout) as { scripts?: Record<string, string> };
    assert.deepEqual(
      INSTALL_SCRIPTS.filter((s) => packed.scripts?.[s] !== undefined),
      [],
      'a user would have to review these (a tarball is not a registry package)',
    );
    const ours = readFileSync(path.join(ROOT, 'package.json'), 'utf8');
    assert.equal(ours, PKG_TEXT, 'postpack restores package.json byte for byte');
    assert.ok(
      (JSON.parse(ours) as { scripts: Record<string, string> }).scripts.prepare,
      'npm ci here still builds dist/',
    );
    assert.equal(existsSync(path.join(ROOT, 'package.json.prepack')), false, 'no copy left behind');
  },
);

test(
  "in the installed project: the README's allowScripts line covers every install script (npm ≥ 11.19)",
  { skip: npmMissing, timeout: 600_000 },
  (t) => {
    const i = installedOrSkip(t);
    if (!i) return;
    const allowLine = readFileSync(path.join(ROOT, 'README.md'), 'utf8').match(/^npm pkg set allowScripts\.[^\n`]*$/m);
    assert.ok(allowLine, 'the README gives the npm pkg set allowScripts line');
    // without the hidden lockfile npm reads every installed package.json, scripts included, as `npm i` does; with it,
    // a tarball's `prepare` went unlisted unless a folder in node_modules was newer than the lockfile
    rmSync(path.join(i.proj, 'node_modules', '.package-lock.json'), { force: true });
    const pending = run('npm', ['install-scripts', 'list', '--json'], { cwd: i.proj });
    if (!(pending.status === 0 && pending.stdout.trim().startsWith('{')))
      return t.skip('npm has no install-scripts command (before 11.19): allowScripts not checked');
    const set = run('sh', ['-c', allowLine[0]], { cwd: i.proj });
    assert.equal(set.status, 0, set.stderr);
    const after = JSON.parse(run('npm', ['install-scripts', 'list', '--json'], { cwd: i.proj }).stdout) as {
      allowScripts: { name: string }[];
    };
    assert.deepEqual(
      after.allowScripts.map((p) => p.name),
      [],
      'no install script left unreviewed after the README line',
    );
  },
);

const IMPORT_ALL = `
const out = {};
for (const spec of JSON.parse(process.argv[2])) out[spec] = Object.keys(await import(spec)).sort();
try {
  await import('facenet-ts/dist/recognizer.js');
  out.internal = 'reachable';
} catch (e) {
  out.internal = e.code;
}
console.log(JSON.stringify(out));
`;

test(
  'the root and every subpath import from the installed tarball, with types; internals stay closed',
  {
    skip: npmMissing,
    timeout: 600_000,
  },
  (t) => {
    const i = installedOrSkip(t);
    if (!i) return;
    writeFileSync(path.join(i.proj, 'import-all.mjs'), IMPORT_ALL);
    const specs = ENTRIES.map((e) => specifier(e.subpath));
    const r = run(process.execPath, ['import-all.mjs', JSON.stringify(specs)], { cwd: i.proj });
    assert.equal(r.status, 0, r.stderr);
    const names = JSON.parse(r.stdout) as Record<string, string[]> & { internal: string };
    assert.deepEqual(names['facenet-ts'], [...ROOT_VALUES].sort(), 'the root exports the README verbs only');
    for (const [subpath, values] of Object.entries(SUBPATH_VALUES))
      for (const v of values) assert.ok(names[specifier(subpath)]?.includes(v), `${specifier(subpath)} exports ${v}`);
    assert.equal(names.internal, 'ERR_PACKAGE_PATH_NOT_EXPORTED', 'stage internals are not importable');

    // the types: a consumer's strict NodeNext build resolves every entry's .d.ts
    const check = [
      "import { FaceRecognizer, Gallery, type EmbeddedFace, type FaceErrorCode } from 'facenet-ts';",
      "import { buildServer, type ServerOptions } from 'facenet-ts/server';",
      "import { rocCurve, type CalibrationTable } from 'facenet-ts/eval';",
      "import { runTraining, type TrainRunOptions } from 'facenet-ts/train';",
      "import { ClusterState, type KnnGraph } from 'facenet-ts/cluster';",
      "import { createOrtEngine, type InferenceEngine } from 'facenet-ts/engine';",
      'export type T = [EmbeddedFace, FaceErrorCode, ServerOptions, CalibrationTable, TrainRunOptions, KnnGraph];',
      'export const engine: InferenceEngine = createOrtEngine();',
      'export const values = [FaceRecognizer.load, Gallery.open, buildServer, rocCurve, runTraining, ClusterState];',
    ].join('\n');
    writeFileSync(path.join(i.proj, 'check.ts'), check);
    const compilerOptions = {
      noEmit: true,
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      skipLibCheck: true,
      types: [],
    };
    writeFileSync(path.join(i.proj, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['check.ts'] }));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const types = run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: i.proj });
    assert.equal(types.status, 0, `tsc: ${types.stdout}${types.stderr}`);
  },
);

const LIBRARY_EXAMPLE = `
import { FaceRecognizer, Gallery, distance } from 'facenet-ts';
const [a, b, stranger] = process.argv.slice(2);
const fr = await FaceRecognizer.load();
const [fa] = await fr.embed(a);
const [fb] = await fr.embed(b);
const out = { pack: fr.pack.name, dim: fa.embedding.length, distance: distance(fa.embedding, fb.embedding) };
if (process.env.WITH_GALLERY) {
  const gallery = await Gallery.open({ location: 'faces.db', recognizer: fr });
  await gallery.enroll('Ada', [a]);
  out.verify = (await gallery.verify('Ada', b)).match;
  out.identify = (await gallery.identify(stranger)).faces.map((f) => f.person);
  await gallery.close();
}
await fr.close();
console.log(JSON.stringify(out));
`;

test(
  'in the installed project: npx facenet compare, and the README library example',
  {
    skip: npmMissing || needDataset(JOHNS_DIR),
    timeout: 900_000,
  },
  (t) => {
    const i = installedOrSkip(t);
    if (!i) return;
    const photos = (name: string) =>
      readdirSync(path.join(JOHNS_DIR, name))
        .sort()
        .map((f) => path.join(JOHNS_DIR, name, f));
    const simm = photos('John_Simm');
    const salley = photos('John_Salley');
    const cli = run('npx', ['--no-install', 'facenet', 'compare', simm[0], simm[1], '--json'], { cwd: i.proj });
    assert.equal(cli.status, 0, cli.stderr);
    const cmp = JSON.parse(cli.stdout);
    assert.equal(cmp.same, true);
    assert.ok(cmp.distance < cmp.threshold);
    const packs = run('npx', ['--no-install', 'facenet', 'packs', '--json'], { cwd: i.proj });
    assert.equal(packs.status, 0, packs.stderr);
    const listed = JSON.parse(packs.stdout);
    assert.equal(listed.default, 'dlib128-yunet');
    assert.equal(listed.modelsDir, path.join(data, 'facenet-ts', 'models'));
    assert.ok(!existsSync(listed.modelsDir), 'no models folder');
    const def = listed.packs.find((p: { name: string }) => p.name === 'dlib128-yunet');
    assert.equal(def.ready, true);
    assert.deepEqual(def.files, [{ path: MODEL_FILES.yunet.path, state: 'verified', from: 'package' }]);

    writeFileSync(path.join(i.proj, 'example.mjs'), LIBRARY_EXAMPLE);
    const lib = run(process.execPath, ['example.mjs', simm[0], simm[1], salley[0]], {
      cwd: i.proj,
      env: { ...env, ...(i.withGallery ? { WITH_GALLERY: '1' } : {}) },
    });
    assert.equal(lib.status, 0, lib.stderr);
    const out = JSON.parse(lib.stdout);
    assert.equal(out.pack, 'dlib128-yunet', 'the default pack, YuNet-based, runs from the package alone');
    assert.equal(out.dim, 128);
    assert.ok(out.distance < 0.4, `same person: ${out.distance}`);
    if (i.withGallery) {
      assert.equal(out.verify, true);
      assert.deepEqual(out.identify, ['unknown']);
    } else t.diagnostic('gallery part skipped: no matching better-sqlite3 binary to borrow');
  },
);
