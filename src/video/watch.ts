/**
 * `watch(source, opts)`: follow every face of a video, a stream, a camera or pushed frames, and say who appeared
 * when.
 *
 *   const fr = await FaceRecognizer.load();
 *   const gallery = await Gallery.open({ location: 'faces.db', recognizer: fr });
 *   for await (const e of watch('door.mp4', { recognizer: fr, gallery }))
 *     if (e.type === 'track-identified') console.log(e.time, e.track.person);
 *
 * Events come in order: track-started / -updated / -identified / -ended, one `frame` per frame (boxes and current
 * names), `progress` about four times a second, `warning`s the source recovered from, and `done` with the result
 * (every track with its label, times and thumbnail; unknown tracks grouped into strangers). A source that fails
 * (STREAM_LOST, VIDEO_CORRUPT…) still gets its `done` with what was seen, then the error is thrown.
 */
import { ClusterState } from '../cluster/state.js';
import type { CalibrationTable } from '../decide/calibration.js';
import { defaultCalibration } from '../decide/default-calibration.js';
import { tauForFar } from '../decide/calibration.js';
import { DEFAULT_IDENTIFY_FAR, DEFAULT_VERIFY_FAR } from '../decide/decisions.js';
import { FaceError } from '../errors.js';
import { galleryModelId } from '../gallery/face-source.js';
import { stagesOf, type FaceRecognizer } from '../recognizer.js';
import type { WatchEvent, WatchResult } from './events.js';
import { openSource } from './open-source.js';
import { VideoSession, type SessionOptions, type VideoRecognizer } from './session.js';
import type { FrameSource, SourceOptions, VideoFrame } from './types.js';
import { groupUnknowns } from './unknowns.js';

export interface WatchOptions extends Omit<SessionOptions, 'recognizer'>, SourceOptions {
  recognizer: FaceRecognizer;
  /**
   * Where unknown tracks are grouped into strangers: a cluster state (a file shared between runs keeps "unknown N"
   * stable and lets `facenet name N` enroll them). Default: a fresh in-memory state; false: no grouping.
   */
  unknowns?: ClusterState | false;
  /** Stop early (the source is closed; `done` still comes). */
  signal?: AbortSignal;
}

/** The model id embeddings are stored and compared under (as the gallery names it). */
export function watchModelId(opts: {
  recognizer: Pick<FaceRecognizer, 'modelId' | 'flip' | 'ttaPaddings'>;
  flip?: boolean;
}): string {
  const fr = opts.recognizer;
  return galleryModelId(fr.modelId, opts.flip ?? fr.flip, fr.ttaPaddings);
}

/**
 * Re-identification takes τ at the verification FAR (1e-3) of one comparison of two track embeddings. A track splits
 * (a hard cut to another person) on a view farther from it than τ at the identification FAR (1e-2) of one
 * comparison, the loosest τ that still calls a face a stranger: a same-person change of pose or light stays well
 * inside it. Never below the re-identification τ, so a split-off track cannot merge back into the one it left.
 */
export function trackThresholds(table: CalibrationTable): { reid: number; split: number } {
  const reid = tauForFar(table, DEFAULT_VERIFY_FAR).threshold;
  return { reid, split: Math.max(reid, tauForFar(table, DEFAULT_IDENTIFY_FAR).threshold) };
}

/**
 * The calibration unknowns are grouped, lost tracks re-identified and cuts split with: the gallery's, else the
 * shipped one for the model.
 */
async function groupingCalibration(
  opts: Pick<WatchOptions, 'gallery'>,
  modelId: string,
): Promise<CalibrationTable | undefined> {
  if (opts.gallery && opts.gallery.templateModelId === modelId) return (await opts.gallery.calibration()).table;
  return defaultCalibration(modelId);
}

/** Follow the faces of a video, a stream or pushed frames, and decide each track once (see the module comment). */
export function watch(input: FrameSource | string, opts: WatchOptions): AsyncGenerator<WatchEvent, void> {
  return watchWithStages(input, opts, stagesOf(opts.recognizer));
}

/**
 * `watch` on given stages: the recognizer in `opts` names the model (its id, TTA), `stages` run the frames. Internal:
 * the tests drive a session with scripted stages.
 */
export async function* watchWithStages(
  input: FrameSource | string,
  opts: Omit<WatchOptions, 'recognizer'> & { recognizer: Pick<FaceRecognizer, 'modelId' | 'flip' | 'ttaPaddings'> },
  stages: VideoRecognizer,
): AsyncGenerator<WatchEvent, void> {
  const modelId = watchModelId(opts);
  if (opts.gallery && opts.gallery.modelId !== modelId)
    throw new FaceError(
      'MODEL_MISMATCH',
      `the gallery works with ${opts.gallery.modelId}, the video's embeddings would be ${modelId}: ` +
        'open it with the same recognizer and flip setting',
    );
  const calibration = await groupingCalibration(opts, modelId);
  const tau = calibration ? trackThresholds(calibration) : undefined;
  const reid = opts.reid ?? (tau ? { threshold: tau.reid } : undefined);
  const split = opts.split ?? (tau ? { threshold: Math.max(tau.split, reid?.threshold ?? 0) } : undefined);
  const source = typeof input === 'string' ? await openSource(input, opts) : input;
  const onAbort = () => void source.close();
  // a signal that fired already (e.g. while the models loaded) never calls a listener added now
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort);
  const t0 = performance.now();
  let failure: unknown;
  try {
    const session = await VideoSession.start({ ...opts, recognizer: stages, reid, split });
    let progressAt = 0;
    let warned = 0;
    const it = source[Symbol.asyncIterator]();
    for (;;) {
      const td = performance.now();
      let next: IteratorResult<VideoFrame>;
      try {
        next = await it.next();
      } catch (e) {
        failure = e;
        break;
      }
      session.times.decode += (performance.now() - td) / 1000;
      if (next.done) break;
      yield* await session.frame(next.value);
      for (const w of source.warnings.slice(warned)) yield { type: 'warning', message: w };
      warned = source.warnings.length;
      if (performance.now() - progressAt > 250) {
        progressAt = performance.now();
        yield { type: 'progress', time: next.value.time, frames: session.frames, duration: source.info.duration };
      }
    }
    for (const w of source.warnings.slice(warned)) yield { type: 'warning', message: w };
    const { events, tracks } = await session.finish();
    yield* events;
    let labelled = tracks;
    const warnings = [...source.warnings];
    if (opts.unknowns !== false && tracks.some((t) => t.person === 'unknown')) {
      if (calibration) {
        const state = opts.unknowns || ClusterState.open(':memory:');
        try {
          labelled = await groupUnknowns(tracks, { state, modelId, calibration, source: source.info.name });
        } finally {
          if (!opts.unknowns) state.close();
        }
      } else warnings.push(`no calibration for ${modelId}: unknown tracks were not grouped`);
    }
    const result: WatchResult = {
      source: source.info,
      frames: session.frames,
      detections: session.detections,
      duration: session.lastTime,
      seconds: (performance.now() - t0) / 1000,
      tracks: labelled,
      tracksDropped: session.dropped,
      ...(session.openSet ? { openSet: session.openSet } : {}),
      warnings,
      times: session.times,
    };
    yield { type: 'done', result };
    if (failure) throw failure;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await source.close();
  }
}

/** Run `watch` to the end and return its result (the events are dropped). */
export async function watchAll(input: FrameSource | string, opts: WatchOptions): Promise<WatchResult> {
  let result: WatchResult | undefined;
  for await (const e of watch(input, opts)) if (e.type === 'done') result = e.result;
  return result!;
}
