/**
 * The page's liveness check in Chromium (/usr/bin/chromium, playwright-core) with a fake camera playing a y4m video
 * built here with ffmpeg from real LFW photos of one person (test/helpers/challenge-photos.ts): the video turns left,
 * closes the eyes, turns right and left again, so it answers the challenge the server is set to ask, and he is
 * enrolled and then verified through the page; a still photo as the camera fails the check and nothing is verified.
 * Screenshots at 390 px (a phone) and 1280 px are kept in test-artifacts/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { FaceRecognizer } from '../../src/recognizer.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { buildServer } from '../../src/server/app.js';
import { ServerDb } from '../../src/server/keys.js';
import { LFW_DIR, needDataset } from '../helpers/datasets.js';
import { CHALLENGE_PHOTOS, TEST_ACTIONS } from '../helpers/challenge-photos.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const hasFfmpeg = (() => {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skip =
  needDataset(LFW_DIR) ||
  (existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`) ||
  (hasFfmpeg ? false : 'ffmpeg is not installed: apt-get install -y ffmpeg');

let dir = '';
let app: FastifyInstance | undefined;
let gallery: Gallery | undefined;
let db: ServerDb | undefined;
let base = '';

/** The person moving as the test challenge asks: [photo, seconds] shown in turn; a long still tail ends it. */
function movingSchedule(): [string, number][] {
  const p = CHALLENGE_PHOTOS;
  const shot = { 'turn-left': p.left, 'turn-right': p.right, blink: p.closed } as const;
  const out: [string, number][] = [[p.facing, 2.5]];
  for (const a of TEST_ACTIONS) out.push([shot[a], a === 'blink' ? 0.8 : 1.0], [p.facing, 1.2]);
  out.push([p.facing, 20]);
  return out;
}

/** A 320×240, 10 frames a second y4m of the photos for their durations (ffmpeg's concat demuxer). */
function y4m(schedule: readonly [string, number][], file: string): void {
  const list = path.join(dir, `${path.basename(file)}.txt`);
  const lines = schedule.flatMap(([photo, s]) => [`file '${photo}'`, `duration ${s}`]);
  writeFileSync(list, [...lines, `file '${schedule[schedule.length - 1][0]}'`].join('\n'));
  execFileSync('ffmpeg', [
    ...['-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list],
    ...['-vf', 'scale=240:240,pad=320:240:40:0,fps=10,format=yuv420p', '-f', 'yuv4mpegpipe', file],
  ]);
}

async function launch(camera: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      ...['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${camera}`,
    ],
  });
}

async function openPage(browser: Browser, width: number): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 844 }, deviceScaleFactor: 2 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) errors.push(m.text());
  });
  await page.goto(base);
  await page.waitForFunction(() => document.querySelector('#status')?.textContent?.includes('enrolled'));
  return { page, errors };
}

const resultOf = (page: Page, id: string, pattern: RegExp) =>
  page.waitForFunction(
    ({ id, source }) => new RegExp(source).test(document.getElementById(id)?.textContent ?? ''),
    { id, source: pattern.source },
    { timeout: 240_000 },
  );

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(tmpdir(), 'facenet-live-page-'));
  const fr = await FaceRecognizer.load({ threads: 1 });
  const file = path.join(dir, 'g.db');
  db = ServerDb.open(file);
  gallery = await Gallery.open({ location: file, recognizer: fr });
  app = await buildServer({
    gallery,
    recognizer: fr,
    db,
    auth: false,
    challenge: { requireToken: true, challenge: { choose: () => TEST_ACTIONS } },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await app?.close();
  await gallery?.close();
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'a moving face answers the challenge: enrolled, then verified, through the page',
  { skip, timeout: 600_000 },
  async () => {
    const camera = path.join(dir, 'moving.y4m');
    y4m(movingSchedule(), camera);
    const browser = await launch(camera);
    try {
      const { page, errors } = await openPage(browser, 390);
      // the server requires the check: a plain upload is refused in words
      await page.fill('#verify-name', 'George');
      await page.setInputFiles('#verify-file', CHALLENGE_PHOTOS.another);
      await page.click('#verify-submit');
      await resultOf(page, 'verify-result', /liveness check first/);

      await page.fill('#enroll-name', 'George');
      await page.click('#enroll-live');
      await page.waitForFunction(() =>
        /Turn your head/.test(document.getElementById('challenge-prompt')?.textContent ?? ''),
      );
      await page
        .locator('#challenge-section')
        .screenshot({ path: path.join(ARTIFACTS, 'web-390-liveness-prompt.png') });
      await resultOf(page, 'enroll-result', /Enrolled George after a liveness check|Not enrolled|went wrong/);
      assert.match(
        (await page.textContent('#enroll-result')) ?? '',
        /Enrolled George after a liveness check \(1 photo\)/,
        (await page.textContent('#challenge-result')) ?? '',
      );
      assert.equal(await page.getAttribute('#challenge-section', 'data-state'), 'passed');
      await page.screenshot({ path: path.join(ARTIFACTS, 'web-390-liveness-enrolled.png'), fullPage: true });

      // a desktop-wide page verifies him; the camera starts its video again when the check reopens it
      const wide = await openPage(browser, 1280);
      await wide.page.fill('#verify-name', 'George');
      await wide.page.click('#verify-live');
      await wide.page.waitForFunction(() =>
        /close your eyes/i.test(document.getElementById('challenge-prompt')?.textContent ?? ''),
      );
      await wide.page.screenshot({ path: path.join(ARTIFACTS, 'web-1280-liveness-prompt.png') });
      await resultOf(wide.page, 'verify-result', /This is George|Not verified|Not George|went wrong/);
      assert.match((await wide.page.textContent('#verify-result')) ?? '', /This is George, live at the camera/);
      const sideways = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
      assert.equal(sideways, false, 'the phone page does not scroll sideways');
      assert.deepEqual([...errors, ...wide.errors], []);
    } finally {
      await browser.close();
    }
  },
);

test('a still photo as the camera fails the check; nothing is verified', { skip, timeout: 600_000 }, async () => {
  const camera = path.join(dir, 'still.y4m');
  y4m([[CHALLENGE_PHOTOS.facing, 25]], camera);
  const browser = await launch(camera);
  try {
    const { page, errors } = await openPage(browser, 390);
    await page.fill('#verify-name', 'George');
    await page.click('#verify-live');
    await resultOf(page, 'verify-result', /Not verified|This is George|went wrong/);
    assert.equal(await page.textContent('#verify-result'), 'Not verified: the liveness check did not pass.');
    assert.match(
      (await page.textContent('#challenge-result')) ?? '',
      /Not passed: Step 1 \(a turn to the left\) was not seen/,
    );
    assert.equal(await page.getAttribute('#challenge-section', 'data-state'), 'failed');
    assert.equal(await page.isHidden('#challenge-video'), true, 'the closed camera is not left on the page');
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-390-liveness-still.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
