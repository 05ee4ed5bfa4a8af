/**
 * npm run eval:tracking — tracking quality on labelled clips made from LFW photos (src/eval/video-clips.ts: faces
 * crossing, leaving and coming back, a group of six), run through `watch()` with no gallery: ID switches, IDF1, MOTA
 * and the tracks reported, per scenario and detection cadence (MOT conventions, IoU ≥ --iou with the face region).
 * Options: --pack NAME, --models DIR, --detect-every 1,2,3, --iou 0.3, --data DIR, --json
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { DEFAULT_PACK } from '../src/pack/packs.js';
import { FaceRecognizer } from '../src/recognizer.js';
import { makeClip, SCENARIOS } from '../src/eval/video-clips.js';
import { scoreTracking, type TrackedFrame } from '../src/eval/tracking.js';
import { watch } from '../src/video/watch.js';

const o = new Command()
  .option('--pack <name>', 'recognition pipeline', DEFAULT_PACK)
  .option('--models <dir>', "the packs' model files", process.env.FACENET_MODELS ?? path.resolve('../shared/models'))
  .option('--detect-every <list>', 'detection cadences to score', '1,2,3')
  .option('--iou <t>', 'IoU for a match', '0.3')
  .option('--data <dir>', 'datasets folder', path.resolve('../shared/datasets'))
  .option('--scenarios <list>', 'scenario names', SCENARIOS.map((s) => s.name).join(','))
  .option('--json', 'machine-readable output')
  .parse()
  .opts<{
    pack: string;
    models: string;
    detectEvery: string;
    iou: string;
    data: string;
    scenarios: string;
    json?: boolean;
  }>();

const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-track-eval-'));
try {
  const fr = await FaceRecognizer.load({ pack: o.pack, models: o.models });
  const rows = [];
  for (const spec of SCENARIOS.filter((s) => o.scenarios.split(',').includes(s.name))) {
    const file = path.join(dir, `${spec.name}.mp4`);
    const truth = await makeClip(spec, path.join(o.data, 'lfw'), file);
    for (const k of o.detectEvery.split(',').map(Number)) {
      const tracked: TrackedFrame[] = [];
      for await (const e of watch(file, { recognizer: fr, detectEvery: k, unknowns: false }))
        if (e.type === 'frame')
          // a track's output: its detection, or its prediction until the next detection frame (as MOT trackers)
          tracked.push({
            objects: e.faces
              .filter((f) => !f.predicted || e.time - f.seen < k / spec.fps - 1e-6)
              .map((f) => ({ id: f.track, box: f.box })),
          });
      const s = scoreTracking(truth, tracked, Number(o.iou));
      rows.push({ scenario: spec.name, people: spec.faces.length, detectEvery: k, ...s });
    }
  }
  if (o.json) console.log(JSON.stringify({ pack: o.pack, iou: Number(o.iou), rows }, null, 2));
  else {
    console.log(`pack ${o.pack}, IoU ≥ ${o.iou} with the face region; ${os.loadavg()[0].toFixed(2)} load average`);
    console.log('scenario           people  detect every  ID switches  IDF1    MOTA    tracks  misses  false pos.');
    for (const r of rows)
      console.log(
        `${r.scenario.padEnd(18)} ${String(r.people).padStart(6)}  ${String(r.detectEvery).padStart(12)}  ` +
          `${String(r.idSwitches).padStart(11)}  ` +
          `${r.idf1.toFixed(3)}   ${r.mota.toFixed(3)}   ${String(r.tracks).padStart(6)}  ` +
          `${String(r.misses).padStart(6)}  ${String(r.falsePositives).padStart(10)}`,
      );
  }
  await fr.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
