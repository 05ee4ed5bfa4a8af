/** The video entry: watch a file, stream, camera or pushed frames; follow each face; say who appeared when. */
export { watch, watchAll, watchModelId, type WatchOptions } from './watch.js';
export { PushFrameSource, type PushSourceOptions } from './push-source.js';
export { openSource, expandInputs } from './open-source.js';
export { VideoSession, type SessionOptions } from './session.js';
export type { FrameSource, SourceInfo, SourceOptions, VideoFrame } from './types.js';
export type { FrameFace, StageTimes, TrackSnapshot, TrackSummary, WatchEvent, WatchResult } from './events.js';
