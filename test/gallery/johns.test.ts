/**
 * The real pipeline end to end on the johns chips (5 people × 11 aligned 150×150 chips, none of them in LFW):
 * enroll one photo per person, identify the held-out photos, reject a person who was never enrolled.
 * Every person takes a turn as the stranger. Thresholds come from the shipped LFW calibration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FaceRecognizer } from '../../src/recognizer.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { JOHNS_DIR, needDataset } from '../helpers/datasets.js';

function johns(): { name: string; files: string[] }[] {
  return readdirSync(JOHNS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({
      name: d.name,
      files: readdirSync(path.join(JOHNS_DIR, d.name))
        .filter((f) => f.endsWith('.jpg'))
        .sort()
        .map((f) => path.join(JOHNS_DIR, d.name, f)),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

test(
  'johns: one photo enrolls a person; held-out photos are identified; a never-enrolled person is rejected',
  { skip: needDataset(JOHNS_DIR), timeout: 300_000 },
  async (t) => {
    const people = johns();
    assert.equal(people.length, 5);
    assert.ok(people.every((p) => p.files.length === 11));
    const fr = await FaceRecognizer.load({ threads: 1 });
    t.after(() => fr.close());
    const dir = mkdtempSync(path.join(tmpdir(), 'facenet-johns-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));

    let knownRight = 0;
    let knownTotal = 0;
    let strangersRejected = 0;
    let strangersTotal = 0;
    for (const stranger of people) {
      const g = await Gallery.open({
        location: path.join(dir, `${stranger.name}.db`),
        recognizer: fr,
      });
      const enrolled = people.filter((p) => p !== stranger);
      for (const p of enrolled) {
        const r = await g.enroll(p.name, p.files[0], { aligned: true });
        assert.equal(r.added.length, 1);
        assert.ok(
          !r.warnings.some((w) => w.code === 'DUPLICATE'),
          `${p.name} flagged as a duplicate: ${JSON.stringify(r.warnings)}`,
        );
      }
      assert.equal((await g.calibration()).origin, 'default', 'the shipped LFW calibration is used out of the box');
      const open = await g.openSet();
      assert.equal(open.comparisons, 4);
      assert.equal(open.resolvable, true, open.warning);
      for (const p of enrolled)
        for (const f of p.files.slice(1)) {
          const r = await g.identify(f, { aligned: true });
          assert.equal(r.faces.length, 1);
          knownTotal++;
          if (r.faces[0].person === p.name) knownRight++;
          else
            t.diagnostic(
              `${path.basename(f)} of ${p.name} → ${r.faces[0].person} (${r.faces[0].distance.toFixed(3)}, ` +
                `τ ${r.threshold.toFixed(3)})`,
            );
          // closed-set: the right person is always the nearest candidate
          assert.equal(
            r.faces[0].candidates[0].person,
            p.name,
            `${f}: nearest candidate ${r.faces[0].candidates[0].person}`,
          );
        }
      for (const f of stranger.files) {
        const r = await g.identify(f, { aligned: true });
        strangersTotal++;
        if (r.faces[0].person === 'unknown') strangersRejected++;
        else
          t.diagnostic(
            `stranger ${stranger.name} ${path.basename(f)} → ${r.faces[0].person} ` +
              `at ${r.faces[0].distance.toFixed(3)} < τ ${r.threshold.toFixed(3)}`,
          );
      }
      // 1:1 on a held-out photo: the right claim matches, a wrong claim does not
      const [a, b] = enrolled;
      assert.equal((await g.verify(a.name, a.files[5], { aligned: true })).match, true);
      assert.equal((await g.verify(b.name, a.files[5], { aligned: true })).match, false);
      assert.equal((await g.verify(a.name, stranger.files[3], { aligned: true })).match, false);
      await g.close();
    }
    t.diagnostic(
      `known held-out photos identified: ${knownRight}/${knownTotal}; ` +
        `stranger photos rejected: ${strangersRejected}/${strangersTotal}`,
    );
    assert.equal(knownTotal, 200);
    assert.equal(strangersTotal, 55);
    assert.ok(knownRight / knownTotal >= 0.95, `identified ${knownRight}/${knownTotal}`);
    assert.equal(strangersRejected, strangersTotal, 'every photo of a never-enrolled person must be rejected');
  },
);
