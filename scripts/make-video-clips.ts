/**
 * npx tsx scripts/make-video-clips.ts --out DIR — writes the labelled clips made from LFW photos
 * (src/eval/video-clips.ts: crossing, leave-and-return, group) as DIR/NAME.mp4 with DIR/NAME.json (the scenario and
 * each frame's ground-truth boxes), to try `facenet watch` on, or to feed a fake camera
 * (`ffmpeg -i DIR/group.mp4 -pix_fmt yuv420p group.y4m` for Chromium's --use-file-for-fake-video-capture).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { makeClip, SCENARIOS } from '../src/eval/video-clips.js';

const o = new Command()
  .requiredOption('--out <dir>', 'folder to write the clips to')
  .option('--data <dir>', 'datasets folder', path.resolve('../shared/datasets'))
  .parse()
  .opts<{ out: string; data: string }>();

mkdirSync(o.out, { recursive: true });
for (const spec of SCENARIOS) {
  const file = path.join(o.out, `${spec.name}.mp4`);
  const truth = await makeClip(spec, path.join(o.data, 'lfw'), file);
  writeFileSync(path.join(o.out, `${spec.name}.json`), JSON.stringify({ spec, truth }));
  console.log(`${file}: ${spec.seconds} s, ${spec.faces.map((f) => f.person).join(', ')}`);
}
