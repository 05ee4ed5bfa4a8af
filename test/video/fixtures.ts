/** Videos the video tests make at run time with ffmpeg (never committed), in a temporary folder. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
export const needFfmpeg = hasFfmpeg ? false : 'ffmpeg is not installed (apt-get install ffmpeg)';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facenet-video-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run ffmpeg with these arguments (quiet, overwrite); throws with its message on failure. */
export function ffmpeg(...args: string[]): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

/** A test pattern clip (no faces): `seconds` long at `fps`, `size` WxH, in the container the extension names. */
export function patternClip(file: string, opts: { seconds?: number; fps?: number; size?: string } = {}): string {
  const { seconds = 2, fps = 25, size = '320x240' } = opts;
  ffmpeg('-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${fps}`, '-t', String(seconds), '-pix_fmt', 'yuv420p', file);
  return file;
}
