/**
 * The web page in a real browser: playwright-core driving Debian's Chromium (/usr/bin/chromium) enrolls a johns
 * photo through the page, identifies another photo of the same person and reads the name the page drew.
 * A screenshot is kept in test-artifacts/web-identify.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { FaceRecognizer } from '../../src/recognizer.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { galleryRecognizer } from '../../src/gallery/face-source.js';
import { buildServer } from '../../src/server/app.js';
import { ServerDb } from '../../src/server/keys.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const skip =
  needDataset(JOHNS_DIR) || (existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH) to run the page test`);

let dir = '';

/** A one-frame YUV4MPEG2 (4:2:0) video of a photo: Chromium's fake camera plays it (--use-file-for-fake-video-capture). */
async function y4m(photo: string, file: string, size = 300): Promise<void> {
  const { data } = await sharp(photo).resize(size, size).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const Y = Buffer.alloc(size * size);
  const U = Buffer.alloc((size / 2) * (size / 2));
  const V = Buffer.alloc((size / 2) * (size / 2));
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      Y[y * size + x] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      if (y % 2 === 0 && x % 2 === 0) {
        const j = (y / 2) * (size / 2) + x / 2;
        U[j] = Math.max(0, Math.min(255, Math.round(128 - 0.168736 * r - 0.331264 * g + 0.5 * b)));
        V[j] = Math.max(0, Math.min(255, Math.round(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)));
      }
    }
  writeFileSync(file, Buffer.concat([Buffer.from(`YUV4MPEG2 W${size} H${size} F25:1 Ip A1:1 C420jpeg\nFRAME\n`), Y, U, V]));
}
let app: FastifyInstance | undefined;
let gallery: Gallery | undefined;
let db: ServerDb | undefined;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(tmpdir(), 'facenet-web-'));
});

after(async () => {
  await app?.close();
  await gallery?.close();
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('enroll and identify through the page in Chromium', { skip, timeout: 300_000 }, async () => {
  const { chromium } = await import('playwright-core');
  const fr = await FaceRecognizer.load({ threads: 1 });
  const file = path.join(dir, 'g.db');
  db = ServerDb.open(file);
  const key = db.addKey('admin', 'browser test').key;
  gallery = await Gallery.open({ location: file, recognizer: galleryRecognizer(fr) });
  app = await buildServer({ gallery, recognizer: fr, db, auth: true });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const photos = readdirSync(path.join(JOHNS_DIR, 'John_Savage'))
    .sort()
    .map((f) => path.join(JOHNS_DIR, 'John_Savage', f));

  const simm = readdirSync(path.join(JOHNS_DIR, 'John_Simm'))
    .sort()
    .map((f) => path.join(JOHNS_DIR, 'John_Simm', f));
  const camera = path.join(dir, 'camera.y4m');
  await y4m(simm[0], camera);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // the webcam: a fake device playing a photo of John Simm, permission granted without a prompt
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${camera}`,
    ],
  });
  try {
    // a phone-sized viewport: the page must work there
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // the server's Content-Security-Policy must not block anything the page does
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) errors.push(m.text());
    });
    await page.goto(base);
    await page.waitForSelector('#auth-section:not([hidden])');
    await page.fill('#api-key', key);
    await page.click('#key-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#people-list')?.textContent?.includes('nobody enrolled'));

    // enroll from an upload
    await page.fill('#enroll-name', 'John Savage');
    await page.setInputFiles('#enroll-file', photos[0]);
    await page.click('#enroll-submit');
    await page.waitForFunction(() => /enrolled John Savage/.test(document.querySelector('#enroll-result')?.textContent ?? ''), undefined, { timeout: 60_000 });
    await page.waitForSelector('#people-list li[data-person="John Savage"] img[src^="blob:"]', { timeout: 30_000 });

    // identify another photo of him: the page draws the box and the name, and lists it
    await page.setInputFiles('#identify-file', photos[7]);
    await page.click('#identify-submit');
    const label = await page.waitForSelector('#identify-results li[data-person]', { timeout: 60_000 });
    assert.equal(await label.getAttribute('data-person'), 'John Savage');
    assert.match((await label.textContent()) ?? '', /John Savage \(distance 0\.\d+, threshold 0\.\d+\)/);
    const canvas = await page.$eval('#identify-canvas', (c) => ({ hidden: (c as HTMLCanvasElement).hidden, w: (c as HTMLCanvasElement).width }));
    assert.deepEqual(canvas, { hidden: false, w: 150 });
    // the label drawn on the canvas is green (a known person) at the box's top left
    const green = await page.$eval('#identify-canvas', (c) => {
      const g = (c as HTMLCanvasElement).getContext('2d')!;
      const d = g.getImageData(0, 0, c.clientWidth ? (c as HTMLCanvasElement).width : 150, (c as HTMLCanvasElement).height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 1] > 150 && d[i] < 80 && d[i + 2] < 120) n++;
      return n;
    });
    assert.ok(green > 200, `green box and label drawn (${green} px)`);

    // verify through the page
    await page.fill('#verify-name', 'John Savage');
    await page.setInputFiles('#verify-file', photos[3]);
    await page.click('#verify-submit');
    await page.waitForFunction(() => /MATCH/.test(document.querySelector('#verify-result')?.textContent ?? ''), undefined, { timeout: 60_000 });
    assert.match((await page.textContent('#verify-result')) ?? '', /^MATCH: John Savage/);

    // enroll from the webcam (getUserMedia → snapshot → upload), then identify another photo of him
    await page.fill('#enroll-name', 'John Simm');
    await page.click('#camera-start');
    await page.waitForFunction(() => (document.querySelector('#camera') as HTMLVideoElement).videoWidth > 0, undefined, { timeout: 30_000 });
    await page.click('#camera-snap');
    await page.waitForFunction(() => /photo taken/.test(document.querySelector('#enroll-result')?.textContent ?? ''));
    await page.click('#enroll-submit');
    await page.waitForFunction(() => /enrolled John Simm/.test(document.querySelector('#enroll-result')?.textContent ?? ''), undefined, { timeout: 60_000 });
    await page.setInputFiles('#identify-file', simm[6]);
    await page.click('#identify-submit');
    await page.waitForSelector('#identify-results li[data-person="John Simm"]', { timeout: 60_000 });
    await page.setInputFiles('#identify-file', photos[7]);
    await page.click('#identify-submit');
    await page.waitForSelector('#identify-results li[data-person="John Savage"]', { timeout: 60_000 });

    // thresholds shown
    assert.match((await page.textContent('#calibration-info')) ?? '', /1:1 verify: target FAR 1\.0e-3/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('#identify-section').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-identify.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
