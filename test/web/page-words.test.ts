/**
 * What the page says, in a real browser (Debian's Chromium via playwright-core) on a server with a fake recognizer
 * (no networks): the header names the pack, not the model id; the thresholds box says in plain words what each
 * threshold promises, without calibration files or pair counts, and "1 person"; a photo of someone else verifies as
 * "Not NAME"; only the latest action's answer stays on screen; a server without --clusters is never asked for groups.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Gallery } from '../../src/gallery/gallery.js';
import { decodeImage } from '../../src/image/decode.js';
import { buildServer, type ServerRecognizer } from '../../src/server/app.js';
import { ServerDb } from '../../src/server/keys.js';
import { FAKE_MODEL, FakeRecognizer, codedPng, fakeCalibration } from '../gallery/fake-recognizer.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? false
  : `no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH) to run the page test`;

/** The fake recognizer as the server sees it: a pack, and detect() from the same coded pixels. */
class FakeServerRecognizer extends FakeRecognizer {
  readonly packInfo = { name: 'dlib128', licence: 'MIT', permissive: true };
  async detect(img: Buffer) {
    return (await this.embed(img)).map(({ box, score }) => ({ box, score }));
  }
}

test(
  'the page in plain words: pack, thresholds, "Not NAME", stale answers cleared',
  { skip, timeout: 120_000 },
  async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'facenet-page-words-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const photo = async (id: number, variant: number) => {
      const file = path.join(dir, `p${id}-${variant}.png`);
      writeFileSync(file, await codedPng(id, 1, variant));
      await decodeImage(file); // a sanity check that the coded photo decodes
      return file;
    };
    const recognizer = new FakeServerRecognizer();
    const gallery = await Gallery.open({
      location: path.join(dir, 'g.db'),
      recognizer,
      calibration: fakeCalibration(),
    });
    const db = ServerDb.open(path.join(dir, 'g.db'));
    const app = await buildServer({ gallery, recognizer: recognizer as unknown as ServerRecognizer, db, auth: false });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 375, height: 812 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(new URL(r.url()).pathname));
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}/`);
      await page.waitForFunction(() => /people enrolled/.test(document.querySelector('#status')?.textContent ?? ''));

      // the header: the pack, never the model id
      const header = (await page.textContent('header')) ?? '';
      assert.match(header, /dlib128/);
      assert.doesNotMatch(header, new RegExp(FAKE_MODEL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

      // enroll Ada from the page
      await page.fill('#enroll-name', 'Ada');
      await page.setInputFiles('#enroll-file', await photo(7, 1));
      await page.click('#enroll-submit');
      await page.waitForFunction(() =>
        /Enrolled Ada/.test(document.querySelector('#enroll-result')?.textContent ?? ''),
      );
      await page.waitForFunction(() =>
        /1 person\b/.test(document.querySelector('#calibration-info')?.textContent ?? ''),
      );

      // the thresholds box: what each promises, in words; no calibration file, no pair counts, no "1 people"
      const info = (await page.textContent('#calibration-info')) ?? '';
      assert.match(info, /Verify \(1:1[^)]*\)/);
      assert.match(info, /Identify \(1:N[^)]*\)/);
      assert.match(info, /1 in 1,000/, 'the 1:1 target rate as odds');
      assert.match(info, /1 in 100\b/, 'the 1:N target rate as odds');
      assert.match(info, /stricter/, 'why the 1:N threshold moves with the gallery size');
      assert.doesNotMatch(info, /1 people|synthetic|pairs\.txt|\.json|\d[\d,]* (impostor |genuine )?pairs/);

      // a photo of someone else, verified as Ada: "Not Ada", never "NO MATCH: Ada"
      await page.fill('#verify-name', 'Ada');
      await page.setInputFiles('#verify-file', await photo(9, 1));
      await page.click('#verify-submit');
      await page.waitForFunction(() => /Ada/.test(document.querySelector('#verify-result')?.textContent ?? ''));
      assert.match((await page.textContent('#verify-result')) ?? '', /^Not Ada\b/);
      // Ada's own photo: "This is Ada"
      await page.setInputFiles('#verify-file', await photo(7, 2));
      assert.equal(await page.textContent('#verify-result'), '', 'choosing another photo clears the old answer');
      await page.click('#verify-submit');
      await page.waitForFunction(() =>
        /^This is Ada/.test(document.querySelector('#verify-result')?.textContent ?? ''),
      );

      // a later action clears earlier answers: identify, then the verification and enrollment answers are gone
      await page.setInputFiles('#identify-file', await photo(7, 3));
      await page.click('#identify-submit');
      await page.waitForSelector('#identify-faces li[data-person="Ada"]');
      assert.equal(await page.textContent('#verify-result'), '');
      assert.equal(await page.textContent('#enroll-result'), '');
      // a stranger: unknown, with the nearest distance and the threshold it is over
      await page.setInputFiles('#identify-file', await photo(9, 2));
      await page.click('#identify-submit');
      await page.waitForSelector('#identify-faces li.unknown');
      assert.match(
        (await page.textContent('#identify-faces li.unknown')) ?? '',
        /unknown \(nearest \d\.\d{3}, over the threshold \d\.\d{3}\)/,
      );
      assert.match((await page.textContent('#identify-result')) ?? '', /0 recognised, 1 unknown \(nobody enrolled/);
      await page.setInputFiles('#identify-file', await photo(7, 3));
      await page.click('#identify-submit');
      await page.waitForSelector('#identify-faces li[data-person="Ada"]');
      // and deleting Ada clears the identification that named her
      page.once('dialog', (d) => void d.accept());
      await page.click('#people-list li[data-person="Ada"] button');
      await page.waitForFunction(() =>
        /nobody enrolled/.test(document.querySelector('#people-list')?.textContent ?? ''),
      );
      assert.equal(await page.locator('#identify-faces li').count(), 0);
      assert.equal(await page.textContent('#identify-result'), '');

      // without --clusters the page never asks for groups (no 404 per load), and hides the section
      assert.deepEqual(
        requests.filter((p) => p.startsWith('/v1/clusters')),
        [],
      );
      assert.equal(await page.isHidden('#clusters-section'), true);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await app.close();
      await gallery.close();
      db.close();
    }
  },
);
