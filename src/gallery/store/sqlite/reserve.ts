/**
 * Room kept for a forget on a full disk. A delete is a write too: in WAL mode its commit appends the pages it
 * changes (secure_delete zeroes the freed ones) to the WAL, and the checkpoint after it may grow the main file. At
 * exactly 100 % full both fail, and the person stays identifiable. So a writable gallery keeps a file of zeros beside
 * it (`<gallery>.reserve`); a forget that fails for lack of space deletes it and tries again, then the reserve is made
 * anew as soon as there is room (after the forget, at the next write, at the next open).
 */
import { closeSync, fsyncSync, openSync, rmSync, statSync, writeSync } from 'node:fs';

/**
 * 2 MiB: about 500 pages of WAL. Deleting a person touches about one page per template (its thumbnail) plus one per six
 * templates and a handful more, so a person with up to about 400 photos can be forgotten on a full disk.
 */
export const DEFAULT_RESERVE_BYTES = 2 * 1024 * 1024;

/** Whether a SQLite (or file system) error means the disk is full. */
export function isDiskFull(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? '';
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}

export class DiskReserve {
  constructor(
    readonly file: string,
    readonly bytes: number,
  ) {}

  /** The reserve at full size (written with zeros, so its blocks are really taken); false when there is no room yet. */
  ensure(): boolean {
    try {
      if (statSync(this.file).size >= this.bytes) return true;
    } catch {
      // not there: make it
    }
    let fd: number | undefined;
    try {
      fd = openSync(this.file, 'w', 0o600);
      const chunk = Buffer.alloc(64 * 1024);
      for (let at = 0; at < this.bytes; at += chunk.length)
        writeSync(fd, chunk, 0, Math.min(chunk.length, this.bytes - at));
      fsyncSync(fd);
      return true;
    } catch {
      rmSync(this.file, { force: true }); // a partial reserve would only take room a write needs
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Free the reserve's space for a write that must not fail for lack of it; false when there was none to free. */
  release(): boolean {
    try {
      statSync(this.file);
    } catch {
      return false;
    }
    rmSync(this.file, { force: true });
    return true;
  }
}
