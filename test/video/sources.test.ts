import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { openSource, expandInputs } from '../../src/video/open-source.js';
import { PushFrameSource } from '../../src/video/push-source.js';
import type { FrameSource, VideoFrame } from '../../src/video/types.js';
import { classifyFfmpegError } from '../../src/engine/ffmpeg.js';
import { FaceError } from '../../src/errors.js';
import { ffmpeg, needFfmpeg, patternClip, tempDir } from './fixtures.js';

async function frames(s: FrameSource): Promise<VideoFrame[]> {
  const out: VideoFrame[] = [];
  for await (const f of s) out.push({ ...f, image: { ...f.image, data: new Uint8Array(0) } });
  return out;
}

const code = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FaceError, String(e));
    return e.code;
  }
  return 'no error';
};

test(
  'a video file: every frame, times from the container, --fps sampling, --start/--end',
  { skip: needFfmpeg },
  async () => {
    const { dir, cleanup } = tempDir();
    try {
      const clip = patternClip(path.join(dir, 'a.mkv'), { seconds: 2, fps: 25 });
      const all = await frames(await openSource(clip));
      assert.equal(all.length, 50);
      assert.deepEqual(
        all.slice(0, 3).map((f) => f.time),
        [0, 0.04, 0.08],
      );
      const ten = await frames(await openSource(clip, { fps: 10 }));
      assert.ok(ten.length >= 19 && ten.length <= 21, `${ten.length} frames at 10 fps`);
      assert.ok(
        ten.every((f, i) => i === 0 || f.time - ten[i - 1].time >= 0.079),
        'no duplicated frames',
      );
      const part = await frames(await openSource(clip, { start: 0.5, end: 1.5 }));
      assert.ok(Math.abs(part[0].time - 0.5) < 0.05, `starts at ${part[0].time}`);
      assert.ok(part.at(-1)!.time < 1.5 && part.at(-1)!.time > 1.4, `ends at ${part.at(-1)!.time}`);
      assert.equal(await code(openSource(clip, { start: 5 })), 'INVALID_INPUT');
      // names ffmpeg would read as an option or a protocol are read as plain files
      for (const name of ['-i.mkv', 'concat:a|b.mkv']) {
        const odd = path.join(dir, name);
        writeFileSync(odd, readFileSync(clip));
        assert.equal((await frames(await openSource(odd))).length, 50, name);
      }
    } finally {
      cleanup();
    }
  },
);

test('variable frame rate: times are the container pts, not frame counts', { skip: needFfmpeg }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    // frames at 0, 0.4, 0.8, then every 0.04 s: a frame counter would call frame 3 "0.12 s"
    const vfr = path.join(dir, 'vfr.mkv');
    ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=25',
      '-t',
      '2',
      '-vf',
      "setpts='if(lt(N,3),N*0.4/TB,(0.8+(N-2)*0.04)/TB)'",
      '-fps_mode',
      'passthrough',
      vfr,
    );
    const fs = await frames(await openSource(vfr));
    assert.deepEqual(
      fs.slice(0, 4).map((f) => Math.round(f.time * 100) / 100),
      [0, 0.4, 0.8, 0.84],
    );
  } finally {
    cleanup();
  }
});

test('4K frames are shrunk to 1280 on the long side (or --max-side)', { skip: needFfmpeg }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const clip = patternClip(path.join(dir, 'uhd.mp4'), { seconds: 0.12, size: '3840x2160' });
    const [f] = await frames(await openSource(clip));
    assert.deepEqual([f.image.width, f.image.height], [1280, 720]);
    const [g] = await frames(await openSource(clip, { maxSide: 640 }));
    assert.deepEqual([g.image.width, g.image.height], [640, 360]);
  } finally {
    cleanup();
  }
});

test(
  'bad files: missing, empty, not a video, corrupt; a truncated one is read up to the damage',
  { skip: needFfmpeg },
  async () => {
    const { dir, cleanup } = tempDir();
    try {
      assert.equal(await code(openSource(path.join(dir, 'nope.mp4'))), 'VIDEO_NOT_FOUND');
      writeFileSync(path.join(dir, 'empty.mp4'), '');
      assert.equal(await code(openSource(path.join(dir, 'empty.mp4'))), 'VIDEO_CORRUPT');
      writeFileSync(path.join(dir, 'notes.mp4'), 'these are my notes, not a video\n'.repeat(50));
      assert.match(await code(openSource(path.join(dir, 'notes.mp4'))), /VIDEO_(CORRUPT|UNSUPPORTED)/);
      writeFileSync(
        path.join(dir, 'noise.mkv'),
        Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)),
      );
      assert.match(await code(openSource(path.join(dir, 'noise.mkv'))), /VIDEO_(CORRUPT|UNSUPPORTED)/);
      ffmpeg('-f', 'lavfi', '-i', 'sine=duration=1', path.join(dir, 'audio.mkv'));
      assert.equal(await code(openSource(path.join(dir, 'audio.mkv'))), 'VIDEO_UNSUPPORTED');
      // an MP4 cut in half has lost its index: unreadable
      const mp4 = patternClip(path.join(dir, 'whole.mp4'), { seconds: 2 });
      const bytes = readFileSync(mp4);
      writeFileSync(path.join(dir, 'cut.mp4'), bytes.subarray(0, bytes.length >> 1));
      assert.equal(await code(openSource(path.join(dir, 'cut.mp4'))), 'VIDEO_CORRUPT');
      // an MPEG-TS cut in half keeps its first half
      const ts = patternClip(path.join(dir, 'whole.ts'), { seconds: 2 });
      const tsBytes = readFileSync(ts);
      writeFileSync(path.join(dir, 'cut.ts'), tsBytes.subarray(0, Math.floor(tsBytes.length / 2) + 77));
      const src = await openSource(path.join(dir, 'cut.ts'));
      const got = await frames(src);
      assert.ok(got.length > 10 && got.length < 50, `${got.length} frames of the first half`);
    } finally {
      cleanup();
    }
  },
);

test(
  'a folder of numbered frames is read in numeric order at --frame-rate; a folder of videos expands',
  { skip: needFfmpeg },
  async () => {
    const { dir, cleanup } = tempDir();
    try {
      const frames_ = path.join(dir, 'frames');
      mkdirSync(frames_);
      ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-frames:v', '12', path.join(frames_, '%d.png'));
      writeFileSync(path.join(frames_, '13.png'), 'broken');
      const src = await openSource(frames_, { frameRate: 10 });
      const fs = await frames(src);
      assert.equal(fs.length, 12);
      assert.deepEqual(
        fs.slice(8, 11).map((f) => Math.round(f.time * 10) / 10),
        [0.8, 0.9, 1.0],
      ); // 9.png, 10.png, 11.png
      assert.equal(src.warnings.length, 1, 'the broken frame is reported');
      const videos = path.join(dir, 'videos');
      mkdirSync(videos);
      patternClip(path.join(videos, 'b.webm'), { seconds: 0.2 });
      patternClip(path.join(videos, 'a.mov'), { seconds: 0.2 });
      writeFileSync(path.join(videos, 'readme.txt'), 'x');
      assert.deepEqual(
        expandInputs([videos]).map((e) => path.basename(e.input)),
        ['a.mov', 'b.webm'],
      );
      mkdirSync(path.join(dir, 'empty'));
      assert.throws(() => expandInputs([path.join(dir, 'empty')]), /no video files/);
    } finally {
      cleanup();
    }
  },
);

test('cameras: a missing device is CAMERA_UNAVAILABLE; a busy one is told apart', async () => {
  assert.equal(await code(openSource('/dev/video97')), 'CAMERA_UNAVAILABLE');
  const busy = classifyFfmpegError('[video4linux2,v4l2 @ 0x55] ioctl(VIDIOC_STREAMON): Device or resource busy', {
    input: '/dev/video0',
    frames: 0,
  });
  assert.equal(busy.error.code, 'CAMERA_UNAVAILABLE');
  assert.match(busy.error.message, /busy/);
  assert.equal(busy.transient, false);
  const refused = classifyFfmpegError('rtsp://cam/1: Connection refused', { input: 'rtsp://cam/1', frames: 0 });
  assert.deepEqual([refused.error.code, refused.transient], ['STREAM_LOST', true]);
});

test('pushed frames: in order, the oldest dropped when the consumer lags, bad frames refused', async () => {
  const src = new PushFrameSource({ capacity: 2 });
  const img = (v: number) => ({ width: 2, height: 2, data: new Uint8Array(12).fill(v) });
  src.push(img(1), 0);
  src.push(img(2), 0.04);
  src.push(img(3), 0.08); // drops frame 1
  assert.throws(() => src.push(img(4), 0.01), /backwards/);
  assert.throws(() => src.push({ width: 2, height: 2, data: new Uint8Array(5) }), /RGB/);
  src.end();
  assert.equal(src.push(img(5), 1), false);
  const got = await frames(src);
  assert.deepEqual(
    got.map((f) => f.time),
    [0.04, 0.08],
  );
  assert.equal(src.dropped, 1);
});
