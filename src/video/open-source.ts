/**
 * What an input names, and the source for it: a URL → live stream; /dev/videoN → camera; a folder of video files →
 * one file source each; a folder of images → numbered frames; anything else → a video file.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { FaceError } from '../errors.js';
import { FileSource } from './file-source.js';
import { FrameFolderSource, numberedFrames } from './frame-folder.js';
import { LiveSource } from './live-source.js';
import { VIDEO_EXT, type FrameSource, type SourceOptions } from './types.js';

export type InputKind = 'url' | 'camera' | 'frames' | 'file';

export const isStreamUrl = (s: string) => /^(rtsps?|rtmps?|https?|srt|udp|tcp|rtp):\/\//i.test(s);
export const isCameraDevice = (s: string) => /^\/dev\/video\d+$/.test(s);

/** Video files under a folder, recursive, sorted; hidden entries ignored. */
export function videosIn(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...videosIn(p));
    else if (e.isFile() && VIDEO_EXT.test(e.name)) out.push(p);
  }
  return out;
}

/**
 * The inputs as one entry per source: folders of videos expand to their files, a folder of images stays one
 * (numbered frames). A folder with neither is INVALID_INPUT; a missing path is left for openSource to report.
 */
export function expandInputs(inputs: readonly string[]): { input: string; kind: InputKind }[] {
  const out: { input: string; kind: InputKind }[] = [];
  for (const input of inputs) {
    if (isStreamUrl(input)) out.push({ input, kind: 'url' });
    else if (isCameraDevice(input)) out.push({ input, kind: 'camera' });
    else if (existsSync(input) && statSync(input).isDirectory()) {
      const videos = videosIn(input);
      if (videos.length) out.push(...videos.map((v) => ({ input: v, kind: 'file' as const })));
      else if (numberedFrames(input).length) out.push({ input, kind: 'frames' });
      else
        throw new FaceError('INVALID_INPUT', `${input} holds no video files and no numbered frames`, { source: input });
    } else out.push({ input, kind: 'file' });
  }
  return out;
}

/** Open one input (as expandInputs names it). Typed errors: VIDEO_NOT_FOUND, VIDEO_UNSUPPORTED, CAMERA_UNAVAILABLE… */
export async function openSource(input: string, opts: SourceOptions = {}, kind?: InputKind): Promise<FrameSource> {
  const k = kind ?? expandInputs([input])[0].kind;
  switch (k) {
    case 'url':
    case 'camera':
      return new LiveSource(input, k, opts);
    case 'frames':
      return new FrameFolderSource(numberedFrames(input), input, opts);
    case 'file':
      return FileSource.open(input, opts);
  }
}
