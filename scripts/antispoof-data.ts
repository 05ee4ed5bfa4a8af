/**
 * Assembles the labelled live / print / replay photo set that `facenet eval liveness` and the liveness tests read,
 * from public GitHub repositories pinned by commit. No image is kept in this repository: the set is written outside
 * it (default ../antispoof-data), as OUT/<label>/<source>/<file>, with OUT/manifest.json (every file, its label,
 * source and sha256) and OUT/SOURCES.md (each source's terms). The sources and their terms: docs/liveness.md.
 *
 *   npx tsx scripts/antispoof-data.ts [--out ../antispoof-data] [--mirrors DIR]
 * --mirrors: a folder of bare copies named owner+name/repo (as `fetch` leaves them); a source missing there is cloned
 *   from github.com into a temporary folder (needs the network).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';

interface Source {
  /** Folder name under each label. */
  readonly name: string;
  readonly repo: string;
  readonly commit: string;
  /** Terms of use, as the source states them. */
  readonly terms: string;
  /** Files (exact paths, or folder prefixes ending in '/') and the label each gets. */
  readonly files: readonly { readonly path: string; readonly label: 'live' | 'print' | 'replay' }[];
}

const SOURCES: readonly Source[] = [
  {
    name: 'silent-face',
    repo: 'minivision-ai/Silent-Face-Anti-Spoofing',
    commit: 'b6d5f04ad78778917853b25c778acef6d5626d15',
    terms:
      "Apache-2.0 (the repository's LICENSE, © 2020 Minivision). The anti-spoofing models' own sample photos: " +
      'image_T1 live, image_F1 a printed photo, image_F2 a photo on a screen (the README and its drawn results).',
    files: [
      { path: 'images/sample/image_T1.jpg', label: 'live' },
      { path: 'images/sample/image_F1.jpg', label: 'print' },
      { path: 'images/sample/image_F2.jpg', label: 'replay' },
    ],
  },
  {
    name: 'specdiff',
    repo: 'Akinori-F-Ebihara/SpecDiff_in_house_database_sample',
    commit: 'd1e0d58b0d82333c20626931e15fa999a11bc9e0',
    terms:
      'The example in-house database of Ebihara et al. (IJCB 2020, IEEE TBIOM 2021). Its README: "available for ' +
      'academic research purposes only"; "modification and re-distribution are strictly prohibited"; "face images ' +
      'of a subject cannot be published or displayed in public without permission"; cite one of the papers. So: ' +
      'evaluation only, never copied into the repository, never shown in published docs or contact sheets. The ' +
      'authors delete images whose public access deadline passed: use them as of the pinned commit only while the ' +
      'repository still offers them. data/live: camera photos of four people (flash and no-flash pairs); ' +
      'data/spoof: printed photos of them held up to the camera.',
    files: [
      { path: 'data/live/', label: 'live' },
      { path: 'data/spoof/', label: 'print' },
    ],
  },
  {
    name: 'doubango',
    repo: 'DoubangoTelecom/FaceLivenessDetection-SDK',
    commit: '607afe90043e923475d7358e13cec66050917dc0',
    terms:
      'No licence is stated for the sample images; evaluation only, not redistributed. genuine.jpg is a camera ' +
      'photo (from Wikimedia Commons); spoof.jpg is a Wikimedia photo shown on a 4K iMac display and recaptured ' +
      "with a Galaxy S10+ (the repository's README): a good-quality screen replay.",
    files: [
      { path: 'assets/images/genuine.jpg', label: 'live' },
      { path: 'assets/images/spoof.jpg', label: 'replay' },
    ],
  },
];

const IMAGE = /\.(jpe?g|png)$/i;

const opts = new Command()
  .option('--out <dir>', 'where to write the set', path.resolve('../antispoof-data'))
  .option('--mirrors <dir>', 'folder of bare repository copies (owner+name/repo)', '/work/.mirror')
  .parse()
  .opts<{ out: string; mirrors: string }>();

const git = (gitDir: string, args: string[]) =>
  execFileSync('git', [`--git-dir=${gitDir}`, ...args], { maxBuffer: 1 << 30 });

/** A git dir holding the source's commit: the mirror if it has it, else a fresh clone (removed by the caller). */
function gitDirFor(s: Source): { dir: string; temp?: string } {
  const mirror = path.join(opts.mirrors, s.repo.replace('/', '+'), 'repo');
  if (existsSync(mirror)) {
    try {
      git(mirror, ['cat-file', '-e', `${s.commit}^{commit}`]);
      return { dir: mirror };
    } catch {
      // the mirror lacks the pinned commit: clone instead
    }
  }
  const temp = mkdtempSync(path.join(os.tmpdir(), 'antispoof-'));
  execFileSync('git', ['clone', '--bare', '--quiet', `https://github.com/${s.repo}.git`, temp]);
  return { dir: temp, temp };
}

const manifest: { file: string; label: string; source: string; sha256: string }[] = [];
for (const s of SOURCES) {
  const { dir, temp } = gitDirFor(s);
  try {
    const tree = git(dir, ['ls-tree', '-r', '--name-only', s.commit]).toString().split('\n').filter(Boolean);
    for (const want of s.files) {
      const paths = want.path.endsWith('/')
        ? tree.filter((p) => p.startsWith(want.path) && IMAGE.test(p))
        : [want.path];
      if (!paths.length || (!want.path.endsWith('/') && !tree.includes(want.path)))
        throw new Error(`${s.repo}@${s.commit}: ${want.path} not found`);
      for (const p of paths) {
        const rel = path.join(
          want.label,
          s.name,
          ...p.slice(want.path.endsWith('/') ? want.path.length : p.lastIndexOf('/') + 1).split('/'),
        );
        const bytes = git(dir, ['show', `${s.commit}:${p}`]);
        mkdirSync(path.dirname(path.join(opts.out, rel)), { recursive: true });
        writeFileSync(path.join(opts.out, rel), bytes);
        manifest.push({
          file: rel,
          label: want.label,
          source: `${s.repo}@${s.commit.slice(0, 8)}:${p}`,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        });
      }
    }
  } finally {
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
}

writeFileSync(path.join(opts.out, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
writeFileSync(
  path.join(opts.out, 'SOURCES.md'),
  [
    '# Anti-spoofing evaluation photos (assembled by facenet-ts scripts/antispoof-data.ts)',
    '',
    'Not for redistribution. Each source and its terms:',
    '',
    ...SOURCES.map((s) => `- **${s.name}**: github.com/${s.repo} @ ${s.commit}. ${s.terms}`),
    '',
  ].join('\n'),
);
const counts = manifest.reduce<Record<string, number>>((c, m) => ({ ...c, [m.label]: (c[m.label] ?? 0) + 1 }), {});
console.log(
  `${manifest.length} photos in ${opts.out}: ${Object.entries(counts)
    .map(([l, n]) => `${l} ${n}`)
    .join(', ')}`,
);
