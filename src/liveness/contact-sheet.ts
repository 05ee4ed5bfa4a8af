/**
 * A JPEG contact sheet of judged faces (e.g. the live photos the check refused), so a person can see what they look
 * like: one tile per face, the face with some context around it, captioned with its score and file name.
 */
import path from 'node:path';
import sharp from 'sharp';
import type { Box } from '../detect/types.js';

export interface SheetFace {
  readonly file: string;
  readonly box: Box;
  readonly score: number;
}

const TILE = 128;
const CAPTION = 28;
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The face box grown to twice its side, clamped to the photo: the tile's region. */
function region(box: Box, width: number, height: number): { left: number; top: number; width: number; height: number } {
  const side = 2 * Math.max(box.width, box.height);
  const left = Math.max(0, Math.floor(box.x + box.width / 2 - side / 2));
  const top = Math.max(0, Math.floor(box.y + box.height / 2 - side / 2));
  return {
    left,
    top,
    width: Math.max(1, Math.min(width - left, Math.ceil(side))),
    height: Math.max(1, Math.min(height - top, Math.ceil(side))),
  };
}

async function tile(f: SheetFace): Promise<Buffer> {
  const oriented = await sharp(f.file).rotate().toBuffer({ resolveWithObject: true });
  const { width, height } = oriented.info;
  const face = await sharp(oriented.data)
    .extract(region(f.box, width, height))
    .resize(TILE, TILE, { fit: 'contain', background: '#222' })
    .toBuffer();
  const name = path.basename(f.file);
  const short = name.length > 24 ? `${name.slice(0, 23)}…` : name;
  const caption = Buffer.from(
    `<svg width="${TILE}" height="${CAPTION}"><rect width="100%" height="100%" fill="#000"/>` +
      `<text x="3" y="11" font-size="10" font-family="sans-serif" fill="#ff0">${f.score.toFixed(3)}</text>` +
      `<text x="3" y="24" font-size="9" font-family="sans-serif" fill="#fff">${esc(short)}</text></svg>`,
  );
  return sharp({ create: { width: TILE, height: TILE + CAPTION, channels: 3, background: '#000' } })
    .composite([
      { input: face, top: 0, left: 0 },
      { input: caption, top: TILE, left: 0 },
    ])
    .png()
    .toBuffer();
}

/** The sheet as a JPEG: faces in order, `columns` per row. */
export async function contactSheetJpeg(faces: readonly SheetFace[], columns = 10): Promise<Buffer> {
  const cols = Math.max(1, Math.min(columns, faces.length));
  const rows = Math.max(1, Math.ceil(faces.length / cols));
  const tiles = [];
  for (const [i, f] of faces.entries())
    tiles.push({ input: await tile(f), left: (i % cols) * TILE, top: Math.floor(i / cols) * (TILE + CAPTION) });
  return sharp({ create: { width: cols * TILE, height: rows * (TILE + CAPTION), channels: 3, background: '#333' } })
    .composite(tiles)
    .jpeg({ quality: 85 })
    .toBuffer();
}
