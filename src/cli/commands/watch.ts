/**
 * facenet watch INPUT…: follow every face of video files (or folders of them), folders of numbered frames, stream
 * URLs and cameras; say who appeared when. A progress bar on files, a line per arrival and departure on live
 * sources, then the timeline as a table, --json, --csv, --vtt, --html, and --annotate OUT.mp4.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ClusterState, DEFAULT_CLUSTER_STATE } from '../../cluster/state.js';
import { DEFAULT_IDENTIFY_FAR } from '../../decide/decisions.js';
import { FaceError } from '../../errors.js';
import { galleryRecognizer } from '../../gallery/face-source.js';
import { Gallery } from '../../gallery/gallery.js';
import { isPostgresUrl } from '../../gallery/store/location.js';
import { parseCombination } from '../../gallery/templates.js';
import type { WatchResult } from '../../video/events.js';
import { expandInputs, openSource } from '../../video/open-source.js';
import type { TimelineTrack } from '../../video/report.js';
import type { SourceOptions } from '../../video/types.js';
import { watch, watchModelId } from '../../video/watch.js';
import { Annotator } from '../../video/annotate.js';
import { action, EXIT } from '../output.js';
import { flipOf, loadRecognizer } from './common.js';
import { progressBar } from './eval.js';
import { num, withGalleryOptions, type GalleryFlags } from './gallery-common.js';
import { liveLine, printWatchOutput } from './watch-output.js';

export interface WatchFlags extends GalleryFlags {
  far?: string;
  fps?: string;
  start?: string;
  end?: string;
  maxSide: string;
  frameRate: string;
  detectEvery: string;
  views: string;
  stall: string;
  retries: string;
  state: string | false;
  csv?: boolean;
  vtt?: string | boolean;
  html?: string;
  annotate?: string;
}

const positive = (n: number) => n > 0;
const opt = (name: string, v: string | undefined, check = positive) =>
  v === undefined ? undefined : num(name, v, 0, check);

function sourceOptions(f: WatchFlags): SourceOptions {
  return {
    fps: opt('fps', f.fps),
    start: opt('start', f.start, (n) => n >= 0),
    end: opt('end', f.end),
    maxSide: num('max-side', f.maxSide, 1280, (n) => Number.isInteger(n) && n >= 0),
    frameRate: opt('frame-rate', f.frameRate),
    stallSeconds: opt('stall', f.stall),
    retries: num('retries', f.retries, 5, (n) => Number.isInteger(n) && n >= 0),
  };
}

async function openWatchGallery(flags: WatchFlags, cmd: Command, fr: Awaited<ReturnType<typeof loadRecognizer>>) {
  const defaulted = cmd.getOptionValueSource('gallery') === 'default';
  const missing = !isPostgresUrl(flags.gallery) && !existsSync(flags.gallery);
  if (missing && defaulted) {
    process.stderr.write(`no gallery at ${flags.gallery}: every face is reported as unknown\n`);
    return undefined;
  }
  if (missing)
    throw new FaceError(
      'GALLERY_NOT_FOUND',
      `no gallery at ${flags.gallery}: enroll someone first, or check --gallery`,
    );
  return Gallery.open({
    create: false,
    location: flags.gallery,
    recognizer: galleryRecognizer(fr, flipOf(flags)),
    combination: flags.combination ? parseCombination(flags.combination) : undefined,
  });
}

export function registerWatchCommand(program: Command): void {
  const cmd = withGalleryOptions(
    program
      .command('watch <inputs...>')
      .description(
        'who appeared when: follow the faces of videos (files, folders), numbered frames, stream URLs ' +
          '(rtsp, http MJPEG/HLS) or a camera (/dev/videoN)',
      ),
  )
    .option('--far <rate>', `open-set false-alarm rate per track (default ${DEFAULT_IDENTIFY_FAR})`)
    .option('--fps <n>', 'sample at most N frames per second (default: every frame)')
    .option('--start <s>', 'start at this many seconds (files, frame folders)')
    .option('--end <s>', 'stop at this many seconds (files, frame folders)')
    .option('--max-side <px>', 'shrink larger frames to this longer side (0: never)', '1280')
    .option('--frame-rate <n>', 'frame rate of a folder of numbered frames', '25')
    .option('--detect-every <k>', 'run the detector on every k-th frame; the tracker predicts in between', '1')
    .option('--views <k>', 'best views embedded per track', '5')
    .option('--stall <s>', 'live sources: seconds without a frame before reconnecting', '10')
    .option('--retries <n>', 'live sources: reconnection attempts before giving up', '5')
    .option(
      '--state <file>',
      'cluster state the unknown faces are grouped in (`facenet name GROUP PERSON` enrolls a group)',
      process.env.FACENET_CLUSTERS ?? DEFAULT_CLUSTER_STATE,
    )
    .option('--no-state', 'group unknown faces for this run only (nothing written)')
    .option('--csv', 'CSV output, one row per track')
    .option('--vtt [file]', 'WebVTT captions naming who is on screen (to stdout, or FILE); one input')
    .option('--html <file>', 'write the timeline as an HTML page with thumbnails')
    .option('--annotate <out>', 'write the video with boxes and names drawn (e.g. out.mp4); one input');
  cmd.action(
    action(async (inputs: string[], flags: WatchFlags) => {
      if (flags.aligned)
        throw new FaceError('INVALID_INPUT', '--aligned does not apply to video: frames are whole scenes');
      const srcOpts = sourceOptions(flags);
      const detectEvery = num('detect-every', flags.detectEvery, 1, (n) => Number.isInteger(n) && n >= 1);
      const views = num('views', flags.views, 5, (n) => Number.isInteger(n) && n >= 1 && n <= 50);
      const far = num('far', flags.far, DEFAULT_IDENTIFY_FAR, (n) => n > 0 && n < 1);
      const entries = expandInputs(inputs);
      if ((flags.vtt || flags.annotate) && entries.length !== 1)
        throw new FaceError('INVALID_INPUT', '--vtt and --annotate take exactly one input (one video)');
      const fr = await loadRecognizer(flags);
      const gallery = await openWatchGallery(flags, cmd, fr);
      const recognizer = fr;
      const modelId = watchModelId({ recognizer, flip: flipOf(flags) });
      const state = flags.state === false ? undefined : ClusterState.open(flags.state);
      try {
        const stored = state?.modelId();
        if (state && stored !== undefined && stored !== modelId)
          throw new FaceError(
            'MODEL_MISMATCH',
            `cluster state ${flags.state} holds faces of ${stored}, not ${modelId}: use another --state, or --no-state`,
          );
        const runs: { source: string; kind: string; result?: WatchResult; error?: FaceError }[] = [];
        const controller = new AbortController();
        const onSigint = () => controller.abort();
        process.once('SIGINT', onSigint);
        try {
          for (const { input, kind } of entries) {
            if (controller.signal.aborted) break;
            const run: (typeof runs)[number] = { source: input, kind };
            runs.push(run);
            let annotator: Annotator | undefined;
            try {
              const source = await openSource(input, srcOpts, kind);
              const rate = source.info.fps ? Math.min(source.info.fps, srcOpts.fps ?? Infinity) : (srcOpts.fps ?? 25);
              if (flags.annotate) annotator = new Annotator(flags.annotate, rate);
              const live = source.info.live;
              const bar = progressBar(
                'watching',
                !live && !flags.json && process.stderr.isTTY === true && !!source.info.duration,
              );
              for await (const e of watch(source, {
                recognizer,
                gallery,
                far,
                detectEvery,
                views,
                flip: flipOf(flags),
                unknowns: state ?? undefined,
                signal: controller.signal,
              })) {
                if (e.type === 'progress' && source.info.duration)
                  bar.update(Math.min(e.time, source.info.duration), source.info.duration);
                else if (e.type === 'frame' && annotator) await annotator.frame(e.frame, e.faces);
                else if (e.type === 'done') run.result = e.result;
                else if (
                  live &&
                  !flags.json &&
                  (e.type === 'track-started' || e.type === 'track-ended' || e.type === 'track-identified')
                )
                  process.stdout.write(`${liveLine(e)}\n`);
                else if (e.type === 'warning' && !flags.json) process.stderr.write(`warning: ${e.message}\n`);
              }
              bar.stop();
            } catch (e) {
              if (!(e instanceof FaceError)) throw e;
              run.error = e;
              if (!flags.json) process.stderr.write(`error [${e.code}] ${input}: ${e.message}\n`);
            } finally {
              await annotator?.close();
            }
          }
        } finally {
          process.removeListener('SIGINT', onSigint);
        }
        const tracks: TimelineTrack[] = runs.flatMap((r) =>
          (r.result?.tracks ?? []).map((t) => ({ ...t, source: r.source })),
        );
        printWatchOutput(
          flags,
          runs,
          tracks,
          gallery ? runs.find((r) => r.result?.openSet)?.result?.openSet : undefined,
        );
        if (runs.some((r) => r.error)) return EXIT.error;
        return tracks.length ? EXIT.ok : EXIT.noMatch;
      } finally {
        state?.close();
        await gallery?.close();
        await fr.release();
      }
    }),
  );
}
