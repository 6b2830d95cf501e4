// Events of the run history that its lock kept out of runs.jsonl: another
// process held it past a short wait (one stopped with kill -STOP mid-append,
// a compaction's swap on a stalled disk). Each goes to a file of its own beside
// the history (`runs.jsonl.late-<hex>`, 0600), written once with one write and
// never changed, so taking one in needs no lock of its own. Every read folds
// them in after runs.jsonl; the next append or compaction that holds the lock
// appends them to it, then removes them. One taken in twice (a process killed
// between the append and the removal) changes nothing: an update applied again
// is the same update, and a start never takes an ended run back (EventFold).
import { isUtf8 } from 'node:buffer';
import { closeSync, constants, fstatSync, futimesSync, lstatSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { shellWord } from '../../core/control-chars';
import { VaultError } from '../../core/errors';
import { uniqueHex } from '../builtins';
import { withFileLock, withFileLockNow } from '../profile/file-lock';
import { assertOwnFile, assertPrivateFile, readAllBytes } from '../profile/secure-fs';
import { ioError, READ_DATA_NOFOLLOW } from '../profile/file-access';
import { appendLine, parseEvent } from './run-events';

/**
 * Longest wait for the history's lock before an event goes to a late file.
 * A working holder keeps it for an append (microseconds) or a compaction's
 * swap (copying the lines appended meanwhile, a flush, a rename: milliseconds,
 * tens on a loaded disk); only a stopped or stuck one keeps it longer, and a
 * late file loses nothing. exec's start waits it from the fork, alongside
 * the stage; its end, once the start went late, only tries once (see
 * RunHistory.append): exec ends at most ~100 ms past its stage's end (a
 * stage that ends at once), where the 2 s waits made it ~4 s.
 */
export const LATE_WAIT_MS = 100;
/** Between two tries at the lock: a fixed step, so the wait ends on time (the lock's own backoff may sleep 150 ms past it). */
const RETRY_MS = 10;
/** Late files one append of exec's takes in: thousands (a holder stopped for days) would hold exec's end for a second. */
export const TAKE_IN_MAX = 64;
/** A late file still empty or without its newline this long after it was made: its writer was killed mid-write. */
const CUT_SHORT_MS = 60_000;
/** Largest late file read: one event (a run with many credentials is a few KiB). */
const MAX_LATE_BYTES = 1024 * 1024;

const MARK = '.late-';
const TAIL = /^[0-9a-f]{24}$/;
const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
/** Late files said skipped already: each read of this process meets them again. */
const said = new Set<string>();

function sayOnce(warn: (message: string) => void, file: string, message: string): void {
  if (said.has(file)) return;
  said.add(file);
  warn(message);
}

/**
 * Runs `fn` under the history's lock, trying for `waitMs`; when a live
 * process holds it throughout, writes `line` to a late file instead and
 * returns its path. Throws what the lock or `fn` throws otherwise (a lock
 * that is no lock file, a full disk). The first try is synchronous: with the
 * lock free, `fn` has run when this returns its promise.
 */
export async function withLockOrLate<T>(path: string, fn: () => T, line: string, waitMs = LATE_WAIT_MS): Promise<{ done: T } | { late: string }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let entered = false;
    try {
      return { done: await withFileLock(path, async () => ((entered = true), fn()), { waitMs: 0 }) };
    } catch (err) {
      if (entered || !(err instanceof VaultError) || err.code !== 'PROFILE_LOCKED') throw err;
      if (Date.now() >= deadline) return { late: writeLate(path, line) };
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/**
 * {@link withLockOrLate} for a process about to end (exec dying of a signal): one synchronous try at the lock, never
 * a wait, then the late file. Throws as withLockOrLate does.
 */
export function withLockOrLateNow<T>(path: string, fn: () => T, line: string): { done: T } | { late: string } {
  return withFileLockNow(path, fn) ?? { late: writeLate(path, line) };
}

/** Writes `line` to a new late file beside `path` (0600, never through a link, one write); returns its path. */
function writeLate(path: string, line: string): string {
  let file = '';
  let fd: number | undefined;
  for (let tries = 0; fd === undefined; tries++) {
    file = `${path}${MARK}${uniqueHex(12)}`;
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (err) {
      // A name taken (planted, or the odd collision): another; a few in a row is no chance.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries >= 3) throw ioError(err, file);
    }
  }
  try {
    const bytes = Buffer.from(line, 'utf8');
    if (writeSync(fd, bytes) !== bytes.length) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
    touch(path);
    return file;
  } catch (err) {
    closeSync(fd);
    fd = undefined;
    removeLate([file]);
    throw ioError(err, file);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Sets the history's times to now (creating it, empty, if none), its content
 * untouched: what watches it and caches its reads by its stamp (the app's
 * Activity, its notifications) sees a run recorded late as any other.
 * Without the lock, which only guards content. Never throws: the run is recorded.
 */
function touch(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
    assertOwnFile(fd, path);
    const now = new Date();
    futimesSync(fd, now, now);
  } catch {
    // a history that cannot be written now: its next append or read says why
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The late files beside `path`: this user's regular files, oldest first. */
function lateFiles(path: string): Array<{ file: string; mtimeMs: number }> {
  const prefix = `${basename(path)}${MARK}`;
  let names: string[];
  try {
    names = readdirSync(dirname(path)).filter((n) => n.startsWith(prefix) && TAIL.test(n.slice(prefix.length)));
  } catch {
    return [];
  }
  const found: Array<{ file: string; mtimeMs: number }> = [];
  for (const name of names) {
    const file = join(dirname(path), name);
    const s = lstatSync(file, { throwIfNoEntry: false });
    if (s?.isFile() && (uid === undefined || s.uid === uid)) found.push({ file, mtimeMs: s.mtimeMs });
  }
  return found.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.file < b.file ? -1 : 1));
}

/**
 * The text of a late file when whole (ends with its newline), else undefined:
 * being written, or cut short by a kill (then `cutShort`). One that cannot be
 * trusted (writable by others, too large) or is none of ours is skipped (`skipped`: why), never removed: it would
 * be appended to runs.jsonl, then unlinked. `notUtf8` when its bytes are not UTF-8 text (its text then holds U+FFFD in
 * their place), as readLines says of a line of runs.jsonl.
 */
function readLate(file: string, warn: (message: string) => void): { text?: string; notUtf8?: boolean; cutShort?: boolean; skipped?: string } {
  let fd: number;
  try {
    fd = openSync(file, READ_DATA_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? {} : { skipped: `it cannot be opened (${code ?? 'unreadable'}).` };
  }
  try {
    const s = fstatSync(fd);
    assertPrivateFile(s, file, { warn, maxBytes: MAX_LATE_BYTES });
    // A second name: another file of the user's (a secret) linked here, whose text the take-in would copy into runs.jsonl.
    if (s.nlink !== 1) throw new Error(`it has ${s.nlink} links (a late file has one): it may be another file of yours.`);
    const bytes = readAllBytes(fd, s.size);
    const text = bytes.toString('utf8');
    if (text.endsWith('\n')) return { text: ownEvent(text), notUtf8: text.includes('\uFFFD') && !isUtf8(bytes) };
    return { cutShort: Date.now() - s.mtimeMs > CUT_SHORT_MS };
  } catch (err) {
    return { skipped: err instanceof Error ? err.message : String(err) };
  } finally {
    closeSync(fd);
  }
}

/**
 * `text` when it is what writeLate writes: one line, a run's start or update.
 * Throws otherwise: a delete (only ever appended under the lock) would hide a
 * run, and for good once taken in; other lines would be damaged lines of runs.jsonl.
 */
function ownEvent(text: string): string {
  const event = text.indexOf('\n') === text.length - 1 ? parseEvent(text.slice(0, -1)) : undefined;
  if (!event || event.op === 'delete') throw new Error('it holds no run event written by cpw-vault (one start or update line).');
  return text;
}

/** What the late files beside a history hold. */
export interface LateEvents {
  /** The lines of the whole ones, oldest file first (each ends with its newline). */
  text: string;
  /** The files whose text is in `text`, and those cut short by a kill (never whole: nothing to take): all to remove once `text` is in runs.jsonl. */
  files: string[];
  /** Of `files`, those read whole. */
  read: string[];
  /** Of `read`, how many hold bytes that are not UTF-8 text (each one event, listed with U+FFFD in their place). */
  notUtf8: number;
}

/**
 * The late files beside `path` (up to `max`, oldest first) but those in
 * `except`. One skipped (not to be trusted, none of ours) is never used,
 * followed or removed; with `saySkipped` it is said, once a process, with
 * the file to remove: the reads a user asked for (`runs`, the app) say it,
 * while exec's take-in and the compaction stay quiet, or every stage of a
 * pipeline would say it again. Taking them in: call under the history's lock.
 */
export function lateEvents(path: string, warn: (message: string) => void, options: { max?: number; except?: readonly string[]; saySkipped?: boolean } = {}): LateEvents {
  const { max = Infinity, except = [], saySkipped = false } = options;
  const found: LateEvents = { text: '', files: [], read: [], notUtf8: 0 };
  for (const { file } of lateFiles(path)) {
    if (found.files.length >= max) break;
    if (except.includes(file)) continue;
    const late = readLate(file, warn);
    if (late.skipped !== undefined && saySkipped) sayOnce(warn, file, skippedMessage(file, late.skipped));
    if (late.text !== undefined) {
      found.text += late.text;
      found.read.push(file);
      if (late.notUtf8) found.notUtf8++;
    }
    if (late.text !== undefined || late.cutShort) found.files.push(file);
  }
  return found;
}

/** What a user reads of a late file skipped: that a run may be missing, and what to do (cpw-vault never removes it). */
function skippedMessage(file: string, why: string): string {
  return `${file} was skipped: ${why} A run recorded there is not listed, and cpw-vault never uses or removes such a file. Fix: look at it; if you did not put it there or no longer need it, remove it: rm -- ${shellWord(file)}`;
}

/**
 * Appends up to `max` late files to the history at `path`, then removes
 * them; before the caller's own line, so an event appended after them (a
 * delete) is never undone by one read after it. Call under the history's
 * lock. Never throws: a late file not taken in now stays read, and is taken later.
 */
export function takeInLate(path: string, max: number, warn: (message: string) => void): void {
  try {
    const { text, files } = lateEvents(path, warn, { max });
    if (text) appendLine(path, text);
    removeLate(files);
  } catch (err) {
    sayOnce(warn, path, `the runs recorded beside ${path} could not be added to it yet (they are listed): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Removes late files (already gone: taken in by another process). */
export function removeLate(files: readonly string[]): void {
  for (const file of files) {
    try {
      unlinkSync(file);
    } catch {
      // gone already
    }
  }
}
