// When runs.jsonl is compacted, how much it keeps, and the swap of the new
// file for the old one without holding up the appends made meanwhile.
import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HeldLock } from '../profile/file-lock';
import { assertOwnFile, fsyncDir } from '../profile/secure-fs';
import { ioError, READ_DATA_NOFOLLOW } from '../profile/file-access';
import { createTempBeside } from '../profile/temp-files';
import type { RunRecord } from '../../core/records';
import type { ReadEnd } from './run-events';

/** How much history is kept: the newest `maxRuns`, none older than `maxAgeDays` (the profile's preferences). */
export interface HistoryBounds {
  maxRuns: number;
  maxAgeDays: number;
}

/**
 * Largest size the history grows to before it is compacted, whatever its
 * bounds: at 1,200 bytes a run, 1,000,000 runs let it reach 1.2 GB before
 * the first compaction, far past what could be read whole.
 */
const MAX_COMPACT_AT = 128 * 1024 * 1024;

/** The size past which the history is compacted: twice what its bounds need (a run is ~3 lines of ~200 bytes), at most 128 MiB. */
export function compactAt(bounds: HistoryBounds): number {
  return Math.min(MAX_COMPACT_AT, Math.max(256 * 1024, bounds.maxRuns * 1200));
}

/**
 * The most a compaction keeps: half the size that starts the next, so that
 * runs larger than assumed (many credentials, long names) cannot leave the
 * file over it and make every append compact again. At 600 bytes a run, far
 * more than a compacted run of exec (~450): only unusually large runs keep
 * fewer than `maxRuns`.
 */
export function keptBytes(bounds: HistoryBounds): number {
  return compactAt(bounds) / 2;
}

/** The bytes of `run` as a compacted line. */
export function lineBytes(run: RunRecord): number {
  return Buffer.byteLength(JSON.stringify({ op: 'start', run })) + 1;
}

/** The newest of `kept` whose compacted lines take at most `max` bytes (measured only when the lines read could take more). */
export function withinBytes<T extends { run: RunRecord; bytes: number }>(kept: T[], max: number): T[] {
  if (kept.reduce((sum, f) => sum + f.bytes, 0) <= max) return kept;
  let total = 0;
  let from = kept.length;
  while (from > 0 && (total += lineBytes(kept[from - 1]!.run)) <= max) from--;
  return kept.slice(from);
}

/**
 * The most runs, and bytes of their lines, kept past the bounds because they had not ended: a stage running for
 * hours while newer ones come and go. Far more than the stages a machine runs at once; few enough that a flood of runs
 * that never end (killed, planted, another host's) costs little memory, and that a compacted file, these added (64 KiB
 * on the 128 KiB a compaction keeps at least), stays under the size that starts the next compaction.
 */
export const MAX_SPARED = 100;
export const MAX_SPARED_BYTES = 64 * 1024;

/** The newest of `spared` within MAX_SPARED and MAX_SPARED_BYTES. */
export function sparedWithin<T extends { bytes: number }>(spared: T[]): T[] {
  let total = 0;
  let from = spared.length;
  while (from > 0 && spared.length - from < MAX_SPARED && (total += spared[from - 1]!.bytes) <= MAX_SPARED_BYTES) from--;
  return spared.slice(from);
}

/** Bytes copied at a time. */
const CHUNK = 1024 * 1024;

/**
 * Replaces the history at `path` with `lines` (oldest first) followed by
 * every byte appended to it after `read.end`, then `tail()` (taken under the
 * lock: the late files not read). The new file is written and
 * flushed first, without the history's lock; `swap` takes that lock (the one
 * appends wait for) only to copy what was appended meanwhile and rename.
 * Returns false, changing nothing, when `path` is no longer the file read
 * (an older cpw-vault compacted it meanwhile).
 */
export async function replaceHistory(path: string, lines: Iterable<string>, read: ReadEnd | undefined, swap: (fn: (lock: HeldLock) => Promise<boolean>) => Promise<boolean>, tail: () => string = () => ''): Promise<boolean> {
  const { temp, fd } = createTempBeside(path);
  try {
    let batch: string[] = [];
    let size = 0;
    for (const line of lines) {
      batch.push(line);
      size += line.length;
      if (size < CHUNK) continue;
      writeAll(fd, batch.join(''));
      batch = [];
      size = 0;
    }
    writeAll(fd, batch.join(''));
    fsyncSync(fd);
    const swapped = await swap(async (lock) => {
      if (!copyAppended(path, read, fd)) return false;
      // After a newline of its own: the bytes copied may end with a line cut short (a full disk), which would take it in.
      const more = tail();
      if (more) writeAll(fd, `\n${more}`);
      fsyncSync(fd);
      lock.assertHeld();
      renameSync(temp, path);
      return true;
    });
    if (!swapped) {
      unlinkSync(temp);
      return false;
    }
    // The rename is on disk only once its folder is: a crash before could bring back the old file. Once the lock is let
    // go, the file's own bytes being flushed already: the appends waiting for it need not wait for this fsync too.
    fsyncDir(dirname(path));
    return true;
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // renamed or gone already
    }
    throw ioError(err, path);
  } finally {
    closeSync(fd);
  }
}

/** Copies what `path` has past `read.end` to `fd`; false when `path` is another file than the one read. */
function copyAppended(path: string, read: ReadEnd | undefined, fd: number): boolean {
  let src: number;
  try {
    src = openSync(path, READ_DATA_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return !read;
    throw err;
  }
  try {
    const s = assertOwnFile(src, path);
    if (read ? s.ino !== read.ino || s.size < read.end : false) return false;
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let pos = read?.end ?? 0, n; (n = readSync(src, buf, 0, CHUNK, pos)) > 0; pos += n) writeAll(fd, buf.subarray(0, n));
    return true;
  } finally {
    closeSync(src);
  }
}

function writeAll(fd: number, data: string | Buffer): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
}
