/**
 * `--annotate OUT.mp4`: every frame with its faces' boxes and current names drawn (an SVG overlay composited by
 * sharp), encoded by ffmpeg at the source's frame rate. Known people in green, unknown in grey, predicted boxes dashed.
 */
import sharp from 'sharp';
import { encodeVideo, type FfmpegEncode } from '../engine/ffmpeg.js';
import { printableName } from '../gallery/names.js';
import type { FrameFace } from './events.js';
import type { VideoFrame } from './types.js';

const xml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** The overlay for one frame: a box and a label per face. */
export function overlaySvg(width: number, height: number, faces: readonly FrameFace[]): string {
  const parts = faces.map((f) => {
    const { x, y, width: w, height: h } = f.box;
    const colour = f.person === 'unknown' ? '#bbbbbb' : '#22cc77';
    const label = xml(`${printableName(f.person)} #${f.track}`);
    const dash = f.predicted ? ' stroke-dasharray="6 4"' : '';
    const ty = y > 22 ? y - 6 : y + h + 18;
    const at = (k: string, v: number) => `${k}="${v.toFixed(1)}"`;
    return (
      `<rect ${at('x', x)} ${at('y', y)} ${at('width', w)} ${at('height', h)} fill="none" stroke="${colour}" ` +
      `stroke-width="3"${dash}/><text ${at('x', x)} ${at('y', ty)} font-family="sans-serif" font-size="16" ` +
      `fill="${colour}" stroke="#000" stroke-width="3" paint-order="stroke">${label}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

export class Annotator {
  private enc?: FfmpegEncode;
  private size?: { width: number; height: number };
  /** Frames left out because their size differed from the first frame's (a stream that changed resolution). */
  skipped = 0;

  constructor(
    private readonly output: string,
    private readonly fps: number,
  ) {}

  async frame(frame: VideoFrame, faces: readonly FrameFace[]): Promise<void> {
    const { width, height, data } = frame.image;
    if (!this.size) {
      this.size = { width, height };
      this.enc = encodeVideo({ output: this.output, width, height, fps: this.fps });
    }
    if (width !== this.size.width || height !== this.size.height) {
      this.skipped++;
      return;
    }
    const raw = { width, height, channels: 3 as const };
    const drawn = faces.length
      ? await sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw })
          .composite([{ input: Buffer.from(overlaySvg(width, height, faces)) }])
          .removeAlpha()
          .raw()
          .toBuffer()
      : data;
    await this.enc!.write(drawn);
  }

  async close(): Promise<void> {
    await this.enc?.end();
  }
}
