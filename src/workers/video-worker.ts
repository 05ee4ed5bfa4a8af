/**
 * A worker thread for the server's video work: it owns a FaceRecognizer and its own connection to the gallery, and
 * runs live sessions (one JPEG in, the frame's boxes and names out: src/video VideoSession) and slices of video jobs
 * (watch() from a position for at most some seconds), so detection, alignment and the embedding net never hold the
 * server's event loop. The gallery connection follows enrollments made elsewhere (src/gallery's view follower).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FaceError } from '../errors.js';
import { FaceRecognizer, stagesOf, type RecognizerOptions } from '../recognizer.js';
import { Gallery } from '../gallery/gallery.js';
import { decodeImage } from '../image/decode.js';
import { defaultCalibration } from '../decide/default-calibration.js';
import { VideoSession } from '../video/session.js';
import { trackThresholds, watch, watchModelId } from '../video/watch.js';
import { openSource } from '../video/open-source.js';
import type { TrackSummary, WatchEvent } from '../video/events.js';
import type { FrameSource, VideoFrame } from '../video/types.js';
import type { LiveEvent, LiveFrameResult, SliceRequest, SliceResult, VideoWorkerRequest } from './video-protocol.js';

const port = parentPort!;
const init = workerData as { recognizer: RecognizerOptions; gallery: string; flip?: boolean; maxPixels: number };

let fr: FaceRecognizer;
let gallery: Gallery;
try {
  // the server's recognizer options (its flip included): the same model id as the server's gallery
  fr = await FaceRecognizer.load(init.recognizer);
  gallery = await Gallery.open({ location: init.gallery, recognizer: fr });
} catch (e) {
  port.postMessage({ failed: { code: e instanceof FaceError ? e.code : undefined, message: String(e) } });
  throw e;
}
const flip = fr.flip;
const modelId = watchModelId({ recognizer: fr, flip });
const sessions = new Map<number, { session: VideoSession; t0: number; index: number; chain: Promise<void> }>();
const slices = new Map<string, AbortController>();

/** τ to re-identify (a lost live track that comes back within 5 s keeps its id) and to split a track at a cut. */
async function trackTaus(): Promise<{ reid: number; split: number } | undefined> {
  const table = gallery.templateModelId === modelId ? (await gallery.calibration()).table : defaultCalibration(modelId);
  return table ? trackThresholds(table) : undefined;
}

function liveEvents(events: readonly WatchEvent[]): { faces: LiveFrameResult['faces']; events: LiveEvent[] } {
  let faces: LiveFrameResult['faces'] = [];
  const out: LiveEvent[] = [];
  for (const e of events)
    if (e.type === 'frame')
      faces = e.faces.map(({ track, box, person, distance, predicted }) => ({
        track,
        box,
        person,
        distance,
        predicted,
      }));
    else if (e.type === 'track-started' || e.type === 'track-identified' || e.type === 'track-ended')
      out.push({
        event: e.type.slice(6) as LiveEvent['event'],
        time: e.time,
        track: {
          id: e.track.id,
          person: e.track.person,
          distance: e.track.distance,
          threshold: e.track.threshold,
          start: e.track.start,
          end: e.track.end,
          box: e.track.box,
        },
      });
  return { faces, events: out };
}

async function streamStart(
  id: number,
  far: number,
  detectEvery: number,
): Promise<{ threshold?: number; people: number }> {
  const tau = await trackTaus();
  const session = await VideoSession.start({
    recognizer: stagesOf(fr),
    gallery,
    far,
    detectEvery,
    flip,
    maxTracks: 200,
    deferViews: true,
    ...(tau ? { reid: { threshold: tau.reid }, split: { threshold: tau.split } } : {}),
  });
  sessions.set(id, { session, t0: performance.now(), index: 0, chain: Promise.resolve() });
  return { threshold: session.openSet?.threshold, people: session.openSet?.people ?? 0 };
}

async function streamFrame(id: number, jpeg: Uint8Array): Promise<LiveFrameResult> {
  const s = sessions.get(id);
  if (!s) throw new FaceError('NOT_FOUND', `no live session ${id}`);
  const image = await decodeImage(jpeg, { maxPixels: init.maxPixels });
  await s.chain; // the last frame's views are embedded (one session's frames never overlap)
  const frame: VideoFrame = { time: (performance.now() - s.t0) / 1000, index: s.index++, image };
  const answer = { time: frame.time, ...liveEvents(await s.session.frame(frame)) };
  // the views this frame wants are embedded after its answer has gone out: names follow, boxes never wait
  s.chain = new Promise<void>((resolve) => setImmediate(resolve))
    .then(() => s.session.embedPending())
    .then((events) => {
      const out = liveEvents(events).events;
      if (out.length) port.postMessage({ live: { session: id, events: out } });
    })
    .catch(() => undefined);
  return answer;
}

async function streamEnd(id: number): Promise<LiveEvent[]> {
  const s = sessions.get(id);
  sessions.delete(id);
  if (!s) return [];
  await s.chain;
  return liveEvents((await s.session.finish()).events).events;
}

/**
 * Frames up to `t` (the last frame the previous slice decided) are skipped: a finite URL replayed from its start after
 * a restart, and the frame at `t` itself that a file seeked to `t` decodes again.
 */
async function* skipUntil(source: FrameSource, t: number): AsyncGenerator<VideoFrame> {
  for await (const f of source) if (f.time > t + 0.001) yield f;
}

async function slice(req: SliceRequest): Promise<SliceResult> {
  const abort = new AbortController();
  slices.set(req.video, abort);
  const timer = setTimeout(() => abort.abort(), req.sliceSeconds * 1000);
  const resumeAt = req.start;
  try {
    const opened = await openSource(req.input, {
      ...(req.kind === 'file' && resumeAt > 0 ? { start: resumeAt } : {}),
      fps: req.fps,
      retries: 3,
    });
    // a file is seeked to where the last slice stopped; a URL restarts at its beginning: a finite one is skipped to
    // there, a live one goes on, its times after the last slice's
    const replay = resumeAt > 0 && (req.kind === 'file' || req.finite);
    const base = req.kind === 'url' && !req.finite ? resumeAt : 0;
    const source: FrameSource = replay
      ? {
          info: opened.info,
          get warnings() {
            return opened.warnings;
          },
          close: () => opened.close(),
          [Symbol.asyncIterator]: () => skipUntil(opened, resumeAt),
        }
      : opened;
    let tracks: TrackSummary[] = [];
    let last = resumeAt;
    let frames = 0;
    let progressAt = 0;
    // a file seeked to the checkpoint announces what is left of it; the job's progress wants the whole
    const duration =
      source.info.duration !== undefined ? source.info.duration + (req.kind === 'file' ? resumeAt : 0) : undefined;
    for await (const e of watch(source, {
      recognizer: fr,
      gallery,
      far: req.far,
      detectEvery: req.detectEvery,
      flip,
      unknowns: false,
      signal: abort.signal,
    })) {
      if (e.type === 'frame') {
        // µs: a checkpoint's time is the next slice's start, and sums of seconds would gather float noise
        last = Math.round((e.time + base) * 1e6) / 1e6;
        frames++;
        if (performance.now() - progressAt > 500) {
          progressAt = performance.now();
          port.postMessage({ progress: { video: req.video, time: last, frames, duration } });
        }
      } else if (e.type === 'done') tracks = [...e.result.tracks];
    }
    const shifted = base
      ? tracks.map((t) => ({
          ...t,
          start: t.start + base,
          end: t.end + base,
          segments: t.segments.map((g) => ({ start: g.start + base, end: g.end + base })),
          ...(t.bestTime !== undefined ? { bestTime: t.bestTime + base } : {}),
        }))
      : tracks;
    return { tracks: shifted, time: last, frames, finished: !abort.signal.aborted, duration };
  } finally {
    clearTimeout(timer);
    slices.delete(req.video);
  }
}

async function handle(m: VideoWorkerRequest): Promise<unknown> {
  switch (m.op) {
    case 'stream-start':
      return streamStart(m.session, m.far, m.detectEvery);
    case 'stream-frame':
      return streamFrame(m.session, m.jpeg);
    case 'stream-end':
      return streamEnd(m.session);
    case 'slice':
      return slice(m.slice);
    case 'slice-stop':
      for (const [video, a] of slices) if (m.video === '*' || m.video === video) a.abort();
      return null;
    default:
      return null;
  }
}

port.on('message', async (m: VideoWorkerRequest) => {
  if (m.op === 'close') {
    for (const a of slices.values()) a.abort();
    await gallery.close().catch(() => undefined);
    await fr.close().catch(() => undefined);
    port.close();
    return;
  }
  try {
    port.postMessage({ id: m.id, ok: true, result: await handle(m) });
  } catch (e) {
    const fe = e instanceof FaceError ? e : undefined;
    port.postMessage({
      id: m.id,
      ok: false,
      error: { code: fe?.code, message: e instanceof Error ? e.message : String(e), details: fe?.details },
    });
  }
});
port.postMessage({ ready: { modelId } });
