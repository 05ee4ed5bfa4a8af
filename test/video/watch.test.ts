import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { FaceRecognizer } from '../../src/recognizer.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { lfwImage, makeClip, type ClipSpec } from '../../src/eval/video-clips.js';
import { watch } from '../../src/video/watch.js';
import { probeVideo } from '../../src/engine/ffmpeg.js';
import type { WatchEvent, WatchResult } from '../../src/video/events.js';
import { LFW_DIR, needDataset } from '../helpers/datasets.js';
import { facenet } from '../helpers/cli.js';
import { ffmpeg, needFfmpeg, patternClip, tempDir } from './fixtures.js';
import { CLI } from '../helpers/cli.js';

const skip = needFfmpeg || needDataset(LFW_DIR);
const key = (t: number, x: number, y: number) => ({ t, x, y });
const hidden = (t: number, x: number, y: number) => ({ t, x, y, hidden: true });
/** Colin Powell walks in from the left, Tony Blair from the right; 3 s at 25 fps. */
const TWO: ClipSpec = {
  name: 'two',
  seconds: 3,
  fps: 25,
  width: 640,
  height: 480,
  faces: [
    { person: 'Colin_Powell', image: 1, size: 230, path: [key(0, 0, 150), key(3, 120, 160)] },
    { person: 'Tony_Blair', image: 1, size: 230, path: [key(0, 410, 170), key(3, 300, 150)] },
  ],
};

test(
  'watch(): a known face is named, a stranger is "unknown N", each once, with times and thumbnails',
  { skip },
  async () => {
    const { dir, cleanup } = tempDir();
    const fr = await FaceRecognizer.load();
    const gallery = await Gallery.open({
      location: path.join(dir, 'g.db'),
      recognizer: fr,
    });
    try {
      const clip = path.join(dir, 'two.mp4');
      await makeClip(TWO, LFW_DIR, clip);
      await gallery.enroll('Colin Powell', [lfwImage(LFW_DIR, 'Colin_Powell', 2)]);
      const events: WatchEvent[] = [];
      let result: WatchResult | undefined;
      for await (const e of watch(clip, { recognizer: fr, gallery })) {
        if (e.type === 'done') result = e.result;
        else if (e.type !== 'frame' || e.index % 10 === 0) events.push(e);
      }
      assert.ok(result);
      assert.equal(result.frames, 75);
      const labels = result.tracks.map((t) => t.label).sort();
      assert.equal(labels.length, 2, JSON.stringify(labels));
      assert.equal(labels[0], 'Colin Powell');
      assert.match(labels[1], /^unknown \d+$/);
      for (const t of result.tracks) {
        assert.ok(t.start < 0.2 && t.end > 2.8, `${t.label} on screen ${t.start}–${t.end}`);
        assert.ok(t.views >= 1 && t.views <= 20, `${t.views} views embedded of ${t.frames} frames`);
        assert.ok(t.thumbnail && t.thumbnail.length > 500);
      }
      const colin = result.tracks.find((t) => t.label === 'Colin Powell')!;
      assert.ok(colin.distance! < colin.threshold!);
      const started = events.filter((e) => e.type === 'track-started').length;
      const ended = events.filter((e) => e.type === 'track-ended').length;
      assert.deepEqual([started, ended], [2, 2]);
      const frame = events.find(
        (e): e is Extract<WatchEvent, { type: 'frame' }> => e.type === 'frame' && e.index === 50,
      );
      assert.deepEqual(frame?.faces.map((f) => f.person).sort(), ['Colin Powell', 'unknown']);
      assert.ok(result.times.detect > 0 && result.times.embed > 0);
    } finally {
      await gallery.close();
      await fr.close();
      cleanup();
    }
  },
);

/** A hard cut: Colin Powell for 3 s, then George W Bush in the same place for 3 s (one box all along). */
const CUT: ClipSpec = {
  name: 'cut',
  seconds: 6,
  fps: 25,
  width: 640,
  height: 480,
  faces: [
    { person: 'Colin_Powell', image: 1, size: 230, path: [key(0, 200, 120), key(3, 200, 120), hidden(3, 200, 120)] },
    {
      person: 'George_W_Bush',
      image: 1,
      size: 230,
      path: [hidden(0, 200, 120), hidden(3, 200, 120), key(3, 200, 120)],
    },
  ],
};

test(
  'watch(): a hard cut to another person at the same place is two tracks, each decided; the same person is one',
  { skip },
  async () => {
    const { dir, cleanup } = tempDir();
    const fr = await FaceRecognizer.load();
    const gallery = await Gallery.open({ location: path.join(dir, 'g.db'), recognizer: fr });
    try {
      const clip = path.join(dir, 'cut.mp4');
      await makeClip(CUT, LFW_DIR, clip);
      await gallery.enroll('Colin Powell', [lfwImage(LFW_DIR, 'Colin_Powell', 2)]);
      let result: WatchResult | undefined;
      for await (const e of watch(clip, { recognizer: fr, gallery })) if (e.type === 'done') result = e.result;
      const tracks = [...result!.tracks].sort((a, b) => a.start - b.start);
      const seen = JSON.stringify(tracks.map((t) => [t.label, t.start, t.end]));
      assert.equal(tracks.length, 2, seen);
      const [colin, bush] = tracks;
      assert.equal(colin.label, 'Colin Powell', seen);
      assert.match(bush.label, /^unknown \d+$/, seen);
      assert.ok(colin.start < 0.2 && colin.end >= 1.9 && colin.end < bush.start, seen);
      assert.ok(bush.start >= 3 && bush.start <= 4.1 && bush.end > 5.8, seen);
      // the same person from another photo (another day, light and pose) at the same place is no cut: one track
      const same = path.join(dir, 'same.mp4');
      await makeClip(
        { ...CUT, faces: [CUT.faces[0], { ...CUT.faces[1], person: 'Colin_Powell', image: 2 }] },
        LFW_DIR,
        same,
      );
      for await (const e of watch(same, { recognizer: fr, gallery })) if (e.type === 'done') result = e.result;
      assert.deepEqual(
        result!.tracks.map((t) => t.label),
        ['Colin Powell'],
      );
    } finally {
      await gallery.close();
      await fr.close();
      cleanup();
    }
  },
);

test('watch() without a gallery: two strangers are two unknown groups, not one', { skip }, async () => {
  const { dir, cleanup } = tempDir();
  const fr = await FaceRecognizer.load();
  try {
    const clip = path.join(dir, 'two.mp4');
    await makeClip(TWO, LFW_DIR, clip);
    let result: WatchResult | undefined;
    for await (const e of watch(clip, { recognizer: fr, detectEvery: 3 })) if (e.type === 'done') result = e.result;
    assert.deepEqual(result?.tracks.map((t) => t.label).sort(), ['unknown 1', 'unknown 2']);
  } finally {
    await fr.close();
    cleanup();
  }
});

test('watch(): a video with no faces ends cleanly with no tracks', { skip: needFfmpeg }, async () => {
  const { dir, cleanup } = tempDir();
  const fr = await FaceRecognizer.load();
  try {
    const clip = patternClip(path.join(dir, 'pattern.mp4'), { seconds: 1 });
    let result: WatchResult | undefined;
    for await (const e of watch(clip, { recognizer: fr })) if (e.type === 'done') result = e.result;
    assert.equal(result?.frames, 25);
    assert.equal(result?.tracks.length, 0);
  } finally {
    await fr.close();
    cleanup();
  }
});

test(
  'facenet watch: JSON timeline, WebVTT, HTML, annotated video; name an unknown group and it is known next time',
  { skip },
  async () => {
    const { dir, cleanup } = tempDir();
    try {
      const clip = path.join(dir, 'two.mp4');
      await makeClip(TWO, LFW_DIR, clip);
      const g = path.join(dir, 'g.db');
      const state = path.join(dir, 'unknowns.db');
      assert.equal(facenet(['enroll', 'Colin Powell', lfwImage(LFW_DIR, 'Colin_Powell', 2), '--gallery', g]).code, 0);
      const out = (f: string) => path.join(dir, f);
      const run = facenet(
        [
          'watch',
          clip,
          '--gallery',
          g,
          '--state',
          state,
          '--json',
          '--vtt',
          out('c.vtt'),
          '--html',
          out('t.html'),
        ].concat(['--annotate', out('a.mp4')]),
        300_000,
      );
      assert.equal(run.code, 0, run.stderr);
      const people = run.json.tracks.map((t: { person: string }) => t.person).sort();
      assert.equal(people[0], 'Colin Powell');
      const stranger = run.json.tracks.find((t: { known: boolean }) => !t.known);
      assert.match(stranger.person, /^unknown \d+$/);
      assert.equal(typeof stranger.start, 'number');
      assert.ok(readFileSync(out('c.vtt'), 'utf8').startsWith('WEBVTT'));
      assert.match(readFileSync(out('c.vtt'), 'utf8'), /Colin Powell, unknown \d+/);
      assert.match(readFileSync(out('t.html'), 'utf8'), /data:image\/jpeg;base64/);
      assert.ok(existsSync(out('a.mp4')));
      assert.equal((await probeVideo(out('a.mp4'))).width, 640);
      // the stranger's group is a cluster group: name it, and the next run knows him
      const named = facenet(['name', String(stranger.group), 'Tony Blair', '--state', state, '--gallery', g]);
      assert.equal(named.code, 0, named.stderr);
      const again = facenet(['watch', clip, '--gallery', g, '--no-state', '--json'], 300_000);
      assert.deepEqual(again.json.tracks.map((t: { person: string }) => t.person).sort(), [
        'Colin Powell',
        'Tony Blair',
      ]);
    } finally {
      cleanup();
    }
  },
);

test(
  'facenet watch: bad inputs answer typed errors (no ffmpeg, missing file, camera), exit 2',
  { skip: needFfmpeg },
  () => {
    const { dir, cleanup } = tempDir();
    try {
      const noTool = facenet(
        ['watch', patternClip(path.join(dir, 'p.mp4'), { seconds: 0.2 }), '--json', '--no-state'],
        120_000,
        {
          FACENET_FFMPEG: path.join(dir, 'no-ffmpeg-here'),
        },
      );
      assert.equal(noTool.code, 2);
      const err = noTool.json.sources[0].error;
      assert.equal(err.code, 'TOOL_MISSING');
      assert.match(err.message, /apt-get install ffmpeg/);
      const missing = facenet(['watch', path.join(dir, 'nope.mp4'), '--json', '--no-state']);
      assert.equal(missing.code, 2);
      assert.equal(missing.json.sources[0].error.code, 'VIDEO_NOT_FOUND');
      const camera = facenet(['watch', '/dev/video97', '--json', '--no-state']);
      assert.equal(camera.json.sources[0].error.code, 'CAMERA_UNAVAILABLE');
    } finally {
      cleanup();
    }
  },
);

test('facenet watch on a live URL prints a line as each person appears and leaves', { skip }, async () => {
  const { dir, cleanup } = tempDir();
  const hls = path.join(dir, 'hls');
  mkdirSync(hls);
  const srv = http.createServer((req, res) => {
    const file = path.join(hls, path.basename(req.url ?? ''));
    if (!existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(file));
  });
  try {
    await makeClip(TWO, LFW_DIR, path.join(dir, 'two.mp4'));
    ffmpeg(
      '-i',
      path.join(dir, 'two.mp4'),
      '-c',
      'copy',
      '-f',
      'hls',
      '-hls_time',
      '1',
      '-hls_list_size',
      '0',
      path.join(hls, 'live.m3u8'),
    );
    const g = path.join(dir, 'g.db');
    assert.equal(facenet(['enroll', 'Colin Powell', lfwImage(LFW_DIR, 'Colin_Powell', 2), '--gallery', g]).code, 0);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/live.m3u8`;
    // the server runs in this process: the CLI must run beside it, not block it
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const p = spawn(process.execPath, [
        '--import',
        'tsx',
        CLI,
        'watch',
        url,
        '--gallery',
        g,
        '--no-state',
        '--detect-every',
        '3',
      ]);
      let stdout = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.on('close', (code) => resolve({ code, stdout }));
    });
    assert.equal(out.code, 0, out.stdout);
    const lines = out.stdout.split('\n');
    const arrive = lines.filter((l) => / \+ /.test(l));
    const leave = lines.filter((l) => / - /.test(l) && /on screen/.test(l));
    assert.deepEqual(arrive.map((l) => l.replace(/^.* \+ /, '').replace(/track \d+/, 'track #')).sort(), [
      'Colin Powell (track #)',
      'unknown (track #)',
    ]);
    assert.equal(leave.length, 2, out.stdout);
    assert.ok(lines.indexOf(arrive[0]) < lines.indexOf(leave[0]));
  } finally {
    srv.close();
    cleanup();
  }
});
