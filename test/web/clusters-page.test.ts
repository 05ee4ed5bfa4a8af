/**
 * The page's "Unnamed people" section in a real browser (Debian's Chromium via playwright-core): it lists the
 * unnamed groups of the served cluster state with their face thumbnails, naming one enrolls it (and it leaves the
 * list), deleting one removes it; at 320–414 px the page never scrolls sideways and every button is on screen
 * (screenshots in test-artifacts/). A fake recognizer and fake embeddings: no networks needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClusterState, type NewFace } from '../../src/cluster/state.js';
import { clusterIntoState } from '../../src/cluster/library.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { chipThumbnail } from '../../src/gallery/face-source.js';
import { buildServer, type ServerRecognizer } from '../../src/server/app.js';
import { ServerDb } from '../../src/server/keys.js';
import { FAKE_MODEL, FakeRecognizer, fakeCalibration, fakeEmbedding } from '../gallery/fake-recognizer.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const skip = existsSync(CHROMIUM)
  ? false
  : `no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH) to run the page test`;

test('unnamed people: list with thumbnails, name one (enrolled), delete one', { skip, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'facenet-clusters-page-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const state = ClusterState.open(path.join(dir, 'clusters.db'));
  const calibration = fakeCalibration();
  const faces: NewFace[] = [];
  for (let id = 1; id <= 3; id++) {
    const thumbnail = await chipThumbnail({
      width: 150,
      height: 150,
      data: new Uint8Array(150 * 150 * 3).fill(60 * id),
    });
    // one group of 9 (a full row of 8 sample thumbnails: the row that widened the page on a phone), two of 3
    for (let v = 1; v <= (id === 1 ? 9 : 3); v++)
      faces.push({
        file: `p${id}/${v}.jpg`,
        sha256: `${id}-${v}`.padEnd(64, '0'),
        box: { x: 0, y: 0, width: 100, height: 100 },
        score: 0.99,
        embedding: fakeEmbedding(id, v),
        thumbnail,
      });
  }
  await clusterIntoState(state, FAKE_MODEL, faces, { calibration, targetFar: 1e-4 });
  const db = ServerDb.open(path.join(dir, 'g.db'));
  const gallery = await Gallery.open({
    location: path.join(dir, 'g.db'),
    recognizer: new FakeRecognizer(),
    calibration,
  });
  const app = await buildServer({
    gallery,
    recognizer: new FakeRecognizer() as unknown as ServerRecognizer,
    db,
    auth: false,
    clusters: state,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 375, height: 812 } });
    await page.goto(`${url}/`);
    await page.waitForSelector('#clusters-section:not([hidden]) #clusters-list li');
    await page.waitForFunction(
      () => document.querySelectorAll('#clusters-list img[src^="blob:"]').length === 8 + 3 + 3,
    );
    assert.equal(await page.$$eval('#clusters-list li', (l) => l.length), 3);
    const first = await page.$eval('#clusters-list li', (li) => Number((li as HTMLElement).dataset.group));
    const firstFaces = state.group(first).faces;
    assert.match((await page.textContent('#clusters-summary')) ?? '', /^3 unnamed groups, 0 faces on their own$/);

    // phone widths: the page never scrolls sideways and every group's buttons are on screen
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const width of [320, 375, 414, 1280]) {
      await page.setViewportSize({ width, height: 812 });
      const r = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        buttons: [...document.querySelectorAll('#clusters-list button')].map((b) => b.getBoundingClientRect().right),
      }));
      assert.ok(r.scrollWidth <= r.clientWidth, `no sideways scrolling at ${width} px (${r.scrollWidth} px wide)`);
      for (const right of r.buttons)
        assert.ok(right <= r.clientWidth, `a button ends at ${right} > ${r.clientWidth} px`);
      await page.screenshot({ path: path.join(ARTIFACTS, `web-clusters-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 375, height: 812 });

    await page.fill('#clusters-list li:first-child input', 'Alice');
    await page.click('#clusters-list li:first-child button[type=submit]');
    await page.waitForSelector('#clusters-result.ok');
    assert.match(
      (await page.textContent('#clusters-result')) ?? '',
      new RegExp(`enrolled as Alice: ${firstFaces} faces added`),
    );
    await page.waitForFunction(() => document.querySelectorAll('#clusters-list li').length === 2);
    await page.waitForSelector('#people-list li[data-person="Alice"]');
    assert.equal((await gallery.people()).find((p) => p.name === 'Alice')?.templates, firstFaces);
    assert.equal(state.group(first).person, 'Alice');
    page.once('dialog', (d) => void d.accept());
    await page.click('#clusters-list li:first-child button.danger');
    await page.waitForFunction(() => document.querySelectorAll('#clusters-list li').length === 1);
    assert.equal(state.groups().length, 2);
  } finally {
    await browser.close();
    await app.close();
    await gallery.close();
    db.close();
    state.close();
  }
});
