/**
 * The watch session with a scripted fake recognizer (no models, no ffmpeg): re-identification of a face that left
 * and came back, unknown → known as better views arrive, bounded embeddings per track, every-k-th-frame detection,
 * the ended-track cap, and unknown grouping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrate } from '../../src/decide/calibration.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { PushFrameSource } from '../../src/video/push-source.js';
import { watchWithStages, type WatchOptions } from '../../src/video/watch.js';
import type { VideoRecognizer } from '../../src/video/session.js';
import type { WatchEvent, WatchResult } from '../../src/video/events.js';
import type { Detection } from '../../src/detect/types.js';
import type { RgbImage } from '../../src/image/types.js';

const MODEL = 'fake-4d';
const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
};
const PEOPLE: Record<string, Float32Array> = {
  ada: unit([1, 0, 0, 0]),
  bo: unit([0, 1, 0, 0]),
  cy: unit([0, 0, 1, 0]),
};

/** Where each person is at time t (undefined: not in the frame). */
type Scene = (t: number) => Record<string, number | undefined>;

function fakeRecognizer(scene: Scene, blurredUntil: Record<string, number> = {}) {
  let now = 0;
  const who = (x: number) => Object.entries(scene(now)).find(([, px]) => px !== undefined && Math.abs(px - x) < 1)?.[0];
  const calls = { detect: 0, embed: 0 };
  const recognizer = {
    modelId: MODEL,
    ttaPaddings: [] as number[],
    flip: false,
    detectBoxes: async (img: RgbImage & { t?: number }): Promise<Detection[]> => {
      now = img.t ?? 0;
      calls.detect++;
      return Object.values(scene(now))
        .filter((x): x is number => x !== undefined)
        .map((x) => ({ box: { x, y: 100, width: 90, height: 90 }, score: 0.95 }));
    },
    locate: async (_img: RgbImage, dets: readonly Pick<Detection, 'box' | 'score' | 'points'>[]) =>
      dets.map((d) => ({ box: d.box, score: d.score })),
    faceChips: (_img: RgbImage, face: { box: { x: number } }) => [
      { width: 1, height: 1, data: new Uint8Array([who(face.box.x)?.charCodeAt(0) ?? 0, 0, 0]) },
    ],
    embedder: {
      embedChipSets: async (sets: readonly (readonly RgbImage[])[]) =>
        sets.map((s) => {
          calls.embed++;
          const name = Object.keys(PEOPLE).find((p) => p.charCodeAt(0) === s[0].data[0])!;
          // a blurred view lands between the person and a stranger direction
          return now < (blurredUntil[name] ?? -1)
            ? unit([...PEOPLE[name]].map((v, i) => v + (i === 3 ? 2 : 0)))
            : PEOPLE[name];
        }),
    },
  };
  return { recognizer: recognizer as unknown as VideoRecognizer & WatchOptions['recognizer'], calls };
}

async function galleryOf(names: string[]): Promise<Gallery> {
  const pairs = [
    ...Array.from({ length: 200 }, (_, i) => ({ distance: 0.2 + i * 0.002, same: true })),
    ...Array.from({ length: 2000 }, (_, i) => ({ distance: 0.9 + i * 0.0004, same: false })),
  ];
  const calibration = calibrate(pairs, { modelId: MODEL, source: 'synthetic' });
  const g = await Gallery.open({
    location: ':memory:',
    calibration,
    recognizer: { modelId: MODEL, embed: async () => [] },
  });
  for (const n of names)
    await g.enrollTemplates(n, [
      { modelId: MODEL, embedding: PEOPLE[n], sourceSha256: n.repeat(20), detectionScore: 1, faceSize: 90 },
    ]);
  return g;
}

async function run(
  scene: Scene,
  seconds: number,
  opts: Partial<WatchOptions> & { blurredUntil?: Record<string, number> } = {},
) {
  const { recognizer, calls } = fakeRecognizer(scene, opts.blurredUntil);
  const src = new PushFrameSource({ capacity: 10_000 });
  for (let n = 0; n < seconds * 25; n++) {
    const img = { width: 640, height: 480, data: new Uint8Array(640 * 480 * 3), t: n / 25 };
    src.push(img, n / 25);
  }
  src.end();
  const events: WatchEvent[] = [];
  let result: WatchResult | undefined;
  for await (const e of watchWithStages(src, { recognizer, ...opts }, recognizer)) {
    if (e.type === 'done') result = e.result;
    else if (e.type !== 'frame' && e.type !== 'progress') events.push(e);
  }
  return { events, result: result!, calls };
}

test('a face that leaves and comes back keeps its id; its on-screen segments show the gap', async () => {
  const g = await galleryOf(['ada']);
  try {
    const scene: Scene = (t) => ({ ada: t < 2 || t >= 4 ? 100 + 10 * t : undefined, bo: 400 });
    const { result, events } = await run(scene, 6, { gallery: g });
    const ada = result.tracks.filter((t) => t.person === 'ada');
    assert.equal(ada.length, 1, JSON.stringify(result.tracks.map((t) => t.label)));
    assert.equal(ada[0].segments.length, 2);
    assert.ok(ada[0].segments[0].end < 2 && ada[0].segments[1].start >= 4);
    assert.deepEqual(result.tracks.map((t) => t.id).sort(), [1, 2]);
    assert.equal(events.filter((e) => e.type === 'track-started').length, 2);
    assert.match(result.tracks.find((t) => t.person === 'unknown')!.label, /^unknown \d+$/);
  } finally {
    await g.close();
  }
});

test('a track turns from unknown to known when better views arrive; embeddings stay few', async () => {
  const g = await galleryOf(['ada']);
  try {
    // the blurred views are as far from the sharp ones as a stranger: no hard-cut split here (it would start a track)
    const { result, events } = await run(() => ({ ada: 200 }), 8, {
      gallery: g,
      blurredUntil: { ada: 0.5 },
      split: { threshold: 1.5 },
    });
    const first = events.find((e) => e.type === 'track-started');
    assert.equal(first?.type === 'track-started' && first.track.person, 'unknown');
    const turned = events.find((e) => e.type === 'track-identified');
    assert.ok(
      turned && turned.type === 'track-identified' && turned.previous === 'unknown' && turned.track.person === 'ada',
    );
    const [t] = result.tracks;
    assert.equal(t.label, 'ada');
    assert.ok(t.frames >= 199, `${t.frames} frames`);
    assert.ok(t.views <= 5 + 8 / 1, `${t.views} embeddings for 8 s of one face`);
  } finally {
    await g.close();
  }
});

test('detecting every 3rd frame runs the detector on a third of the frames and keeps one track', async () => {
  const { result, calls } = await run(() => ({ cy: 300 }), 3, { detectEvery: 3, unknowns: false });
  assert.equal(result.frames, 75);
  assert.equal(calls.detect, 25);
  assert.equal(result.detections, 25);
  assert.equal(result.tracks.length, 1);
});

test('strangers are grouped: one unknown person in two tracks far apart in time is one "unknown N"', async () => {
  const scene: Scene = (t) => ({ bo: t < 1 || t > 8 ? 300 : undefined });
  const { result } = await run(scene, 10, { reid: { threshold: 0.5, seconds: 1 } });
  assert.equal(result.tracks.length, 2, 'no re-identification after 7 s: two tracks');
  assert.equal(new Set(result.tracks.map((t) => t.label)).size, 1);
});

test('ended tracks are capped (endless streams): the oldest are dropped and counted', async () => {
  const scene: Scene = (t) => ({ [Object.keys(PEOPLE)[Math.floor(t) % 3]]: 100 + 150 * (Math.floor(t) % 4) });
  const { result } = await run(scene, 12, { maxTracks: 3, unknowns: false, reid: { threshold: 0.01, seconds: 0.1 } });
  assert.equal(result.tracks.length, 3);
  assert.ok(result.tracksDropped >= 5, String(result.tracksDropped));
});

test('an abort signal stops a live source early; the result still comes', async () => {
  const { recognizer } = fakeRecognizer(() => ({ ada: 200 }));
  const src = new PushFrameSource({ capacity: 100 });
  const ac = new AbortController();
  const feed = setInterval(() => src.push({ width: 64, height: 48, data: new Uint8Array(64 * 48 * 3) }), 5);
  let result: WatchResult | undefined;
  let frames = 0;
  try {
    for await (const e of watchWithStages(src, { recognizer, signal: ac.signal, unknowns: false }, recognizer)) {
      if (e.type === 'frame' && ++frames === 20) ac.abort();
      if (e.type === 'done') result = e.result;
    }
  } finally {
    clearInterval(feed);
  }
  assert.ok(result && result.frames >= 20 && result.frames < 40, String(result?.frames));
  assert.equal(result.tracks.length, 1);
});

test('a signal aborted before watching starts: no frame is decided, the (empty) result still comes', async () => {
  const { recognizer } = fakeRecognizer(() => ({ ada: 200 }));
  const src = new PushFrameSource({ capacity: 100 });
  for (let i = 0; i < 50; i++) src.push({ width: 64, height: 48, data: new Uint8Array(64 * 48 * 3) }, i / 25);
  const ac = new AbortController();
  ac.abort();
  let result: WatchResult | undefined;
  for await (const e of watchWithStages(src, { recognizer, signal: ac.signal, unknowns: false }, recognizer))
    if (e.type === 'done') result = e.result;
  assert.equal(result?.frames, 0);
  assert.equal(result.tracks.length, 0);
});

test('deferViews (live): frame() answers without embedding; embedPending() names the track a frame later', async () => {
  const { VideoSession } = await import('../../src/video/session.js');
  const g = await galleryOf(['ada']);
  try {
    const { recognizer, calls } = fakeRecognizer(() => ({ ada: 200 }));
    const session = await VideoSession.start({ recognizer, gallery: g, deferViews: true });
    const frame = (n: number) => ({
      time: n / 25,
      index: n,
      image: Object.assign({ width: 640, height: 480, data: new Uint8Array(640 * 480 * 3) }, { t: n / 25 }),
    });
    const named: string[] = [];
    for (let n = 0; n < 4; n++) {
      const events = await session.frame(frame(n));
      const faces = events.find((e) => e.type === 'frame');
      if (faces?.type === 'frame') named.push(faces.faces.map((f) => f.person).join(',') || '-');
      const embeddedBefore = calls.embed;
      const late = await session.embedPending();
      if (n === 1) {
        assert.equal(embeddedBefore, 0, 'frame() embedded nothing');
        assert.ok(calls.embed > 0, 'embedPending() embedded the first view');
        const id = late.find((e) => e.type === 'track-identified');
        assert.ok(id?.type === 'track-identified' && id.track.person === 'ada' && id.previous === 'unknown');
      }
    }
    // confirmed on its 2nd frame (unknown: not embedded yet), named from the 3rd frame on
    assert.deepEqual(named, ['-', 'unknown', 'ada', 'ada']);
  } finally {
    await g.close();
  }
});

test('a hard cut to another person at the same place splits the track: two decisions, no overlap', async () => {
  const g = await galleryOf(['ada']);
  try {
    const scene: Scene = (t) => (t < 3 ? { ada: 200 } : { bo: 200 });
    const { result, events } = await run(scene, 6, { gallery: g });
    const tracks = [...result.tracks].sort((a, b) => a.start - b.start);
    assert.deepEqual(
      tracks.map((t) => t.person),
      ['ada', 'unknown'],
      JSON.stringify(tracks.map((t) => [t.label, t.start, t.end])),
    );
    const [ada, bo] = tracks;
    assert.ok(ada.end < bo.start, `ada ${ada.start}–${ada.end}, then ${bo.start}–${bo.end}`);
    assert.ok(ada.end >= 1.9 && bo.start >= 3 && bo.start <= 4.1, `cut at 3 s: ${ada.end} / ${bo.start}`);
    assert.ok(bo.end > 5.9 && ada.id !== bo.id);
    assert.equal(events.filter((e) => e.type === 'track-started').length, 2);
  } finally {
    await g.close();
  }
});

test('deferViews: the split comes from embedPending(); the new track is announced there, named', async () => {
  const { VideoSession } = await import('../../src/video/session.js');
  const g = await galleryOf(['ada', 'bo']);
  try {
    const { recognizer } = fakeRecognizer((t) => (t < 2 ? { ada: 200 } : { bo: 200 }));
    const session = await VideoSession.start({ recognizer, gallery: g, deferViews: true, split: { threshold: 0.9 } });
    const late: WatchEvent[] = [];
    for (let n = 0; n < 100; n++) {
      const image = Object.assign({ width: 640, height: 480, data: new Uint8Array(640 * 480 * 3) }, { t: n / 25 });
      await session.frame({ time: n / 25, index: n, image });
      late.push(...(await session.embedPending()));
    }
    const started = late.filter((e) => e.type === 'track-started');
    assert.equal(started.length, 1, 'the split-off track is announced by embedPending()');
    assert.equal(started[0].type === 'track-started' && started[0].track.person, 'bo');
    const { tracks } = await session.finish();
    assert.deepEqual(
      tracks.map((t) => [t.person, t.id]),
      [
        ['ada', 1],
        ['bo', 2],
      ],
    );
    assert.ok(tracks[0].end < tracks[1].start);
  } finally {
    await g.close();
  }
});
