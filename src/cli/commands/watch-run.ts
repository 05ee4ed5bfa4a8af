/** One `facenet watch` input, followed to its end: the progress bar, live lines, annotation and the run's result. */
import type { ClusterState } from '../../cluster/state.js';
import { FaceError } from '../../errors.js';
import type { Gallery } from '../../gallery/gallery.js';
import type { FaceRecognizer } from '../../recognizer.js';
import { Annotator } from '../../video/annotate.js';
import type { WatchResult } from '../../video/events.js';
import { openSource, type InputKind } from '../../video/open-source.js';
import type { SourceOptions } from '../../video/types.js';
import { watch } from '../../video/watch.js';
import { writeErr, writeOut } from '../output.js';
import { progressBar } from '../progress.js';
import { liveLine } from './watch-output.js';

export interface WatchRun {
  source: string;
  kind: string;
  result?: WatchResult;
  error?: FaceError;
}

export interface RunSettings {
  recognizer: FaceRecognizer;
  gallery?: Gallery;
  unknowns?: ClusterState;
  source: SourceOptions;
  far: number;
  detectEvery: number;
  views: number;
  flip: boolean;
  json?: boolean;
  annotate?: string;
  signal: AbortSignal;
}

/** Watch one input; a typed error is the run's own (reported, the next input goes on), anything else stops all. */
export async function watchInput(input: string, kind: InputKind, s: RunSettings): Promise<WatchRun> {
  const run: WatchRun = { source: input, kind };
  let annotator: Annotator | undefined;
  try {
    const source = await openSource(input, s.source, kind);
    const rate = source.info.fps ? Math.min(source.info.fps, s.source.fps ?? Infinity) : (s.source.fps ?? 25);
    if (s.annotate) annotator = new Annotator(s.annotate, rate);
    const live = source.info.live;
    const duration = source.info.duration;
    const bar = progressBar('watching', !live && !s.json && process.stderr.isTTY === true && !!duration);
    const events = watch(source, {
      recognizer: s.recognizer,
      gallery: s.gallery,
      far: s.far,
      detectEvery: s.detectEvery,
      views: s.views,
      flip: s.flip,
      unknowns: s.unknowns,
      signal: s.signal,
    });
    for await (const e of events) {
      if (e.type === 'progress' && duration) bar.update(Math.min(e.time, duration), duration);
      else if (e.type === 'frame' && annotator) await annotator.frame(e.frame, e.faces);
      else if (e.type === 'done') run.result = e.result;
      else if (e.type === 'warning' && !s.json) writeErr(`warning: ${e.message}\n`);
      else if (
        live &&
        !s.json &&
        (e.type === 'track-started' || e.type === 'track-ended' || e.type === 'track-identified')
      )
        writeOut(`${liveLine(e)}\n`);
    }
    bar.stop();
  } catch (e) {
    if (!(e instanceof FaceError)) throw e;
    run.error = e;
    if (!s.json) writeErr(`error [${e.code}] ${input}: ${e.message}\n`);
  } finally {
    await annotator?.close();
  }
  return run;
}
