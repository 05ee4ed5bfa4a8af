import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timelineCsv, timelineHtml, timelineVtt, peopleJson, type TimelineTrack } from '../../src/video/report.js';

const track = (id: number, label: string, segments: [number, number][]): TimelineTrack => ({
  source: 'v.mp4',
  id,
  person: label.startsWith('unknown') ? 'unknown' : label,
  label,
  start: segments[0][0],
  end: segments.at(-1)![1],
  segments: segments.map(([start, end]) => ({ start, end })),
  box: { x: 0, y: 0, width: 10, height: 10 },
  frames: 10,
  views: 2,
  quality: 0.5,
});

test('WebVTT: one cue per stretch with the same people on screen, names escaped', () => {
  const vtt = timelineVtt([
    track(1, 'Ada', [[0, 4]]),
    track(2, 'unknown 3', [
      [2, 3],
      [5, 6],
    ]),
    track(3, '<b>Bo</b> & co\n-->', [[0, 1]]),
  ]);
  const cues = vtt.split('\n\n').slice(1);
  assert.equal(vtt.split('\n')[0], 'WEBVTT');
  assert.match(cues[0], /00:00:00.000 --> 00:00:01.000\n&lt;b&gt;Bo&lt;\/b&gt; &amp; co --&gt;, Ada/);
  assert.match(cues[1], /00:00:01.000 --> 00:00:02.000\nAda$/);
  assert.match(cues[2], /00:00:02.000 --> 00:00:03.000\nAda, unknown 3$/);
  assert.match(cues[4], /00:00:05.000 --> 00:00:06.000\nunknown 3/);
  assert.equal(cues.length, 5, vtt);
});

test('CSV and HTML escape what names carry; people list every appearance', () => {
  const tracks = [track(1, '=cmd|calc', [[0, 1]]), track(2, 'A "B", <i>', [[1, 2]])];
  const csv = timelineCsv(tracks).split('\n');
  assert.match(csv[1], /^v\.mp4,1,'=cmd\|calc,/);
  assert.match(csv[2], /"A ""B"", <i>"/);
  const html = timelineHtml(tracks, new Map([['v.mp4', 2]]), 'x <script>');
  assert.ok(!html.includes('<i>') && !html.includes('<script>'));
  assert.deepEqual(
    peopleJson([
      track(1, 'Ada', [
        [0, 1],
        [3, 4],
      ]),
    ])[0].appearances.map((a) => a.start),
    [0, 3],
  );
});
