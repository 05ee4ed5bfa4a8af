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
import { Gallery } from '../../gallery/gallery.js';
import { isPostgresUrl } from '../../gallery/store/location.js';
import { parseCombination } from '../../gallery/templates.js';
import type { FaceRecognizer } from '../../recognizer.js';
import type { TimelineTrack } from '../../video/report.js';
import type { SourceOptions } from '../../video/types.js';
import { expandInputs } from '../../video/open-source.js';
import { watchModelId } from '../../video/watch.js';
import { numberFlag, POSITIVE_INT, RATE } from '../flags.js';
import { addOptions, type OptionSpec } from '../options.js';
import { action, EXIT, writeErr } from '../output.js';
import { flipOf, loadRecognizer } from './common.js';
import { withGalleryOptions, type GalleryFlags } from './gallery-common.js';
import { printWatchOutput } from './watch-output.js';
import { watchInput, type RunSettings, type WatchRun } from './watch-run.js';

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

const WATCH_OPTIONS: readonly OptionSpec[] = [
  { flags: '--far <rate>', help: `open-set false-alarm rate per track (default ${DEFAULT_IDENTIFY_FAR})` },
  { flags: '--fps <n>', help: 'sample at most N frames per second (default: every frame)' },
  { flags: '--start <s>', help: 'start at this many seconds (files, frame folders)' },
  { flags: '--end <s>', help: 'stop at this many seconds (files, frame folders)' },
  { flags: '--max-side <px>', help: 'shrink larger frames to this longer side (0: never)', default: '1280' },
  { flags: '--frame-rate <n>', help: 'frame rate of a folder of numbered frames', default: '25' },
  {
    flags: '--detect-every <k>',
    help: 'run the detector on every k-th frame; the tracker predicts in between',
    default: '1',
  },
  { flags: '--views <k>', help: 'best views embedded per track', default: '5' },
  { flags: '--stall <s>', help: 'live sources: seconds without a frame before reconnecting', default: '10' },
  { flags: '--retries <n>', help: 'live sources: reconnection attempts before giving up', default: '5' },
  {
    flags: '--state <file>',
    help: 'cluster state the unknown faces are grouped in (`facenet name GROUP PERSON` enrolls a group)',
    default: process.env.FACENET_CLUSTERS ?? DEFAULT_CLUSTER_STATE,
  },
  { flags: '--no-state', help: 'group unknown faces for this run only (nothing written)' },
  { flags: '--csv', help: 'CSV output, one row per track' },
  { flags: '--vtt [file]', help: 'WebVTT captions naming who is on screen (to stdout, or FILE); one input' },
  { flags: '--html <file>', help: 'write the timeline as an HTML page with thumbnails' },
  { flags: '--annotate <out>', help: 'write the video with boxes and names drawn (e.g. out.mp4); one input' },
];

const POSITIVE = { above: 0 };
const COUNT = { int: true, min: 0 };

function sourceOptions(f: WatchFlags): SourceOptions {
  return {
    fps: numberFlag('fps', f.fps, POSITIVE),
    start: numberFlag('start', f.start, { min: 0 }),
    end: numberFlag('end', f.end, POSITIVE),
    maxSide: numberFlag('max-side', f.maxSide, COUNT),
    frameRate: numberFlag('frame-rate', f.frameRate, POSITIVE),
    stallSeconds: numberFlag('stall', f.stall, POSITIVE),
    retries: numberFlag('retries', f.retries, COUNT),
  };
}

/** The gallery to decide against; none (every face unknown) only when --gallery was left at a missing default. */
async function openWatchGallery(flags: WatchFlags, defaulted: boolean, fr: FaceRecognizer) {
  const missing = !isPostgresUrl(flags.gallery) && !existsSync(flags.gallery);
  if (missing && defaulted) {
    writeErr(`no gallery at ${flags.gallery}: every face is reported as unknown\n`);
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
    recognizer: fr,
    combination: flags.combination ? parseCombination(flags.combination) : undefined,
  });
}

/** The cluster state strangers are grouped in, refused when it holds faces of another model. */
function openUnknowns(flags: WatchFlags, modelId: string): ClusterState | undefined {
  if (flags.state === false) return undefined;
  const state = ClusterState.open(flags.state);
  const stored = state.modelId();
  if (stored !== undefined && stored !== modelId) {
    state.close();
    throw new FaceError(
      'MODEL_MISMATCH',
      `cluster state ${flags.state} holds faces of ${stored}, not ${modelId}: use another --state, or --no-state`,
    );
  }
  return state;
}

async function watchInputs(inputs: string[], flags: WatchFlags, cmd: Command): Promise<number> {
  if (flags.aligned) throw new FaceError('INVALID_INPUT', '--aligned does not apply to video: frames are whole scenes');
  const source = sourceOptions(flags);
  const far = numberFlag('far', flags.far, RATE) ?? DEFAULT_IDENTIFY_FAR;
  const detectEvery = numberFlag('detect-every', flags.detectEvery, POSITIVE_INT)!;
  const views = numberFlag('views', flags.views, { ...POSITIVE_INT, max: 50 })!;
  const entries = expandInputs(inputs);
  if ((flags.vtt || flags.annotate) && entries.length !== 1)
    throw new FaceError('INVALID_INPUT', '--vtt and --annotate take exactly one input (one video)');
  const fr = await loadRecognizer(flags);
  const flip = flipOf(flags);
  const gallery = await openWatchGallery(flags, cmd.getOptionValueSource('gallery') === 'default', fr).catch(
    async (e) => {
      await fr.close();
      throw e;
    },
  );
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  let unknowns: ClusterState | undefined;
  try {
    unknowns = openUnknowns(flags, watchModelId({ recognizer: fr, flip }));
    const settings: RunSettings = {
      recognizer: fr,
      gallery,
      unknowns,
      source,
      far,
      detectEvery,
      views,
      flip,
      json: flags.json,
      annotate: flags.annotate,
      signal: controller.signal,
    };
    process.once('SIGINT', onSigint);
    const runs: WatchRun[] = [];
    for (const { input, kind } of entries) {
      if (controller.signal.aborted) break;
      runs.push(await watchInput(input, kind, settings));
    }
    const tracks: TimelineTrack[] = runs.flatMap((r) =>
      (r.result?.tracks ?? []).map((t) => ({ ...t, source: r.source })),
    );
    const openSet = gallery ? runs.find((r) => r.result?.openSet)?.result?.openSet : undefined;
    printWatchOutput(flags, runs, tracks, openSet);
    if (runs.some((r) => r.error)) return EXIT.error;
    return tracks.length ? EXIT.ok : EXIT.noMatch;
  } finally {
    process.removeListener('SIGINT', onSigint);
    unknowns?.close();
    await gallery?.close();
    await fr.close();
  }
}

export function registerWatchCommand(program: Command): void {
  const cmd = program
    .command('watch <inputs...>')
    .description(
      'who appeared when: follow the faces of videos (files, folders), numbered frames, stream URLs ' +
        '(rtsp, http MJPEG/HLS) or a camera (/dev/videoN)',
    );
  addOptions(withGalleryOptions(cmd), WATCH_OPTIONS).action(
    action((inputs: string[], flags: WatchFlags) => watchInputs(inputs, flags, cmd)),
  );
}
