/**
 * The page's Live view in Chromium with a fake camera: Chromium plays a clip made at test time from LFW photos
 * (Colin Powell on the left, enrolled; Tony Blair on the right, not) as its webcam
 * (--use-file-for-fake-video-capture=clip.y4m). The page streams the frames over /v1/stream: a box named "Colin
 * Powell" appears over the left face and an unknown one over the right; the stranger is enrolled from the "Seen"
 * list with the admin key, and his box then carries his name (inside the picture), the list keeping who was seen
 * before. No sideways scrolling at 320, 375 and 414 px; screenshots at 375 px and 1280 px go to test-artifacts/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { lfwImage, makeClip } from '../../src/eval/video-clips.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { ServerDb } from '../../src/server/keys.js';
import { LFW_DIR, needDataset } from '../helpers/datasets.js';
import { facenet } from '../helpers/cli.js';
import { needFfmpeg, tempDir } from '../video/fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const skip =
  needFfmpeg ||
  needDataset(LFW_DIR) ||
  (existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
const key = (t: number, x: number, y: number) => ({ t, x, y });

let dir = '';
let cleanup = () => {};
let server: RunningServer | undefined;
let admin = '';
let camera = '';

before(async () => {
  if (skip) return;
  ({ dir, cleanup } = tempDir());
  const gallery = path.join(dir, 'g.db');
  camera = path.join(dir, 'camera.y4m');
  // 4 s at 10 fps, looped by Chromium: the faces drift a little, as in front of a real camera
  await makeClip(
    {
      name: 'camera',
      seconds: 4,
      fps: 10,
      width: 640,
      height: 480,
      faces: [
        { person: 'Colin_Powell', image: 1, size: 220, path: [key(0, 20, 140), key(2, 50, 150), key(4, 20, 140)] },
        { person: 'Tony_Blair', image: 1, size: 220, path: [key(0, 400, 150), key(2, 380, 140), key(4, 400, 150)] },
      ],
    },
    LFW_DIR,
    camera,
  );
  const enrolled = facenet(['enroll', 'Colin Powell', lfwImage(LFW_DIR, 'Colin_Powell', 2), '--gallery', gallery]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  const db = ServerDb.open(gallery);
  admin = db.addKey('admin').key;
  db.close();
  server = await startServer({ port: 0, gallery, workers: 0, recognizer: { threads: 1 } });
});

after(async () => {
  await server?.close();
  cleanup();
});

test(
  'Live view: names over the right faces, a stranger enrolled from the list',
  { skip, timeout: 600_000 },
  async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${camera}`,
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2 });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) errors.push(m.text());
      });
      await page.goto(server!.url);
      await page.waitForSelector('#auth-section:not([hidden])');
      await page.fill('#api-key', admin);
      await page.click('#key-form button[type=submit]');
      await page.click('#live-start');
      const colin = await page.waitForSelector('#live-boxes .box[data-person="Colin Powell"]', { timeout: 180_000 });
      const stranger = await page.waitForSelector('#live-boxes .box[data-person="unknown"]', { timeout: 60_000 });
      const stage = (await (await page.$('#live-stage'))!.boundingBox())!;
      const mid = (b: { x: number; width: number }) => b.x + b.width / 2 - stage.x;
      assert.ok(mid((await colin.boundingBox())!) < stage.width / 2, 'Colin Powell is named over the left face');
      assert.ok(mid((await stranger.boundingBox())!) > stage.width / 2, 'the unknown box is over the right face');
      await page.waitForSelector('#live-seen li.known[data-person="Colin Powell"]');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.locator('#live-section').screenshot({ path: path.join(ARTIFACTS, 'web-375-live.png') });
      for (const width of [320, 375, 414]) {
        await page.setViewportSize({ width, height: 812 });
        const over = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        assert.ok(over <= 0, `no sideways scrolling at ${width} px (${over} px over)`);
      }

      // enroll the stranger from the list: his box is then named
      await page.click('#live-seen li.unknown button');
      await page.fill('#live-enroll-name', 'Tony Blair');
      await page.click('#live-enroll-submit');
      await page.waitForFunction(
        () => /enrolled Tony Blair/.test(document.querySelector('#live-result')?.textContent ?? ''),
        undefined,
        {
          timeout: 120_000,
        },
      );
      const tony = await page.waitForSelector('#live-boxes .box[data-person="Tony Blair"]', { timeout: 120_000 });
      assert.ok(mid((await tony.boundingBox())!) > stage.width / 2, 'Tony Blair is named over the right face');
      const label = (await (await tony.$('.name'))!.boundingBox())!;
      assert.ok(label.x >= stage.x && label.x + label.width <= stage.x + stage.width + 0.5, 'the name stays in view');
      // who was seen before the reset stays in the list, ended, the enrolled track under its new name
      await page.waitForSelector('#live-seen li:not(.here)[data-person="Tony Blair"]');
      await page.waitForSelector('#live-seen li:not(.here)[data-person="Colin Powell"]');

      await page.setViewportSize({ width: 1280, height: 900 });
      await page.waitForTimeout(500);
      await page.locator('#live-section').screenshot({ path: path.join(ARTIFACTS, 'web-1280-live.png') });
      await page.click('#live-stop');
      await page.waitForSelector('#live-start:not([hidden])');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  },
);
