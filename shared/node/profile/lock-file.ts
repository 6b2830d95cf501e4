/**
 * The lock file itself, as withFileLock (file-lock.ts) takes and leaves it:
 * what is at its name (never following a link, opening a fifo or device),
 * creating it naming us, taking over a gone holder's, removing our own.
 */
import { closeSync, constants, fstatSync, linkSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { randomHex } from '../builtins';
import { VaultError } from '../../core/errors';
import { shellWord } from '../../core/control-chars';
import { kindOf, READ_DATA_NOFOLLOW, roomError } from './file-access';
import { ownerIsGone } from './owner';
import type { LockOwner } from './file-lock';

/** A holder on another host (a shared home over NFS) whose lock was not refreshed for this long is gone. */
export const STALE_MS = 10_000;

const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;

export type Peek = { kind: 'free' } | { kind: 'owner'; owner: LockOwner; mtimeMs: number; raw: string } | { kind: 'unreadable'; mtimeMs: number; raw: string } | { kind: 'legacy-dir'; mtimeMs: number };

/**
 * PROFILE_SYMLINK for a link at the lock's name. One of another user (planted in a shared folder) is not the user's
 * to remove (`rm` fails in a sticky folder): the fix is then to keep the locked file elsewhere (`foreignFix`, from
 * the caller that knows which file it is; the profile's by default).
 */
function linkedLock(lockPath: string, foreignFix?: string): VaultError {
  let owner: number | undefined;
  try {
    owner = lstatSync(lockPath).uid;
  } catch {
    owner = undefined;
  }
  if (owner !== undefined && uid !== undefined && owner !== uid && owner !== 0) {
    return new VaultError('PROFILE_SYMLINK', `The lock ${lockPath} is a symbolic link of another user (uid ${owner}), who may have planted it; refusing to follow it.`, foreignFix ?? 'Keep the profile in a folder only you can write (the default, ~/.cp-whisperx, is one); do not use this folder.');
  }
  return new VaultError('PROFILE_SYMLINK', `The lock ${lockPath} is a symbolic link; refusing to follow it.`, `Remove it if no cpw-vault process is running: rm ${shellWord(lockPath)}`);
}

/**
 * Throws for what at the lock's name is not ours to judge: a link, another user's object, or a fifo, socket or
 * device. cpw-vault only ever makes a plain file there (an older one, an empty folder), so such a thing is no
 * lock: it says nothing of a holder to wait for, and removing it could break whatever made it (a program's
 * socket, a script's pipe). It is refused at once with the `rm` to run: never waited on, opened or removed.
 */
function refuseForeign(lockPath: string, s: Stats, foreignFix?: string): void {
  if (s.isSymbolicLink()) throw linkedLock(lockPath, foreignFix);
  if (uid !== undefined && s.uid !== uid) {
    throw new VaultError('PROFILE_PERMISSIONS', `The lock ${lockPath} belongs to another user (uid ${s.uid}); refusing to share it.`, foreignFix ?? `Use a profile in a folder only you can write, or as its owner remove it: rm ${shellWord(lockPath)}`);
  }
  if (s.isFile() || s.isDirectory()) return;
  throw new VaultError('PROFILE_INVALID', `The lock ${lockPath} is ${kindOf(s)}, not a lock file cpw-vault made; refusing to wait on it or remove it.`, `If nothing of yours uses it, remove it and retry: rm ${shellWord(lockPath)}`);
}

/**
 * The regular file at `path` and its text, or undefined when there is none (gone, or a link, fifo or folder in its
 * place). Never follows a link and never blocks: a fifo opens at once (O_NONBLOCK) and is not read.
 */
export function readRegular(path: string): { raw: string; stat: Stats } | undefined {
  let fd: number;
  try {
    fd = openSync(path, READ_DATA_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENXIO') return undefined; // ENXIO: a socket
    throw err;
  }
  try {
    const stat = fstatSync(fd);
    return stat.isFile() ? { raw: readFileSync(fd, 'utf8'), stat } : undefined;
  } finally {
    closeSync(fd);
  }
}

/** What is at the lock path now, without following a link, opening anything but a plain file, or blocking. */
export function peek(lockPath: string, foreignFix?: string): Peek {
  let found: { raw: string; stat: Stats } | undefined;
  try {
    // lstat first: a fifo or device is judged by its type alone, never opened (a device may act on an open).
    const s = lstatSync(lockPath, { throwIfNoEntry: false });
    if (!s) return { kind: 'free' };
    refuseForeign(lockPath, s, foreignFix);
    if (s.isDirectory()) {
      // The lock folder of an older cpw-vault is always empty: one with anything in it is no lock, refused at once
      // (set waited 10 s for it to go stale first, doctor said nothing of it).
      if (hasEntries(lockPath)) throw lockFolderError(lockPath, 'ENOTEMPTY');
      return { kind: 'legacy-dir', mtimeMs: s.mtimeMs };
    }
    found = readRegular(lockPath);
  } catch (err) {
    throw err instanceof VaultError ? err : lockIoError(err, lockPath);
  }
  if (!found) return { kind: 'free' }; // gone, or replaced since the lstat: the next try sees what is there now
  refuseForeign(lockPath, found.stat, foreignFix);
  const { raw, stat } = found;
  try {
    const owner = JSON.parse(raw) as LockOwner;
    if (typeof owner.pid === 'number' && typeof owner.nonce === 'string') return { kind: 'owner', owner, mtimeMs: stat.mtimeMs, raw };
  } catch {
    // half-written by a holder killed between create and write
  }
  return { kind: 'unreadable', mtimeMs: stat.mtimeMs, raw };
}

/** A folder at a lock's name that is not the empty lock folder an older cpw-vault left. */
function lockFolderError(lockPath: string, code: string): VaultError {
  return new VaultError('PROFILE_INVALID', `The lock ${lockPath} is a folder cpw-vault cannot remove (${code}), not the empty lock folder an older cpw-vault left.`, `If nothing of yours uses it, look inside, then remove it and retry: rm -r ${shellWord(lockPath)}`);
}

/** Whether the folder holds anything (false when it cannot be listed: then judged as the lock folder it may be). */
function hasEntries(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

function lockIoError(err: unknown, lockPath: string): VaultError {
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  // A full disk said as one: "check that its folder exists and is writable" sent the user after a folder that was fine.
  const room = roomError(err, lockPath);
  if (room) return room;
  return new VaultError('IO_ERROR', `Cannot create the lock ${lockPath} (${code}).`, `Check that ${lockPath}'s folder exists and is writable.`, { cause: err });
}

/** Tries to create the lock file naming us; false when someone holds it. */
function tryCreate(lockPath: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw lockIoError(err, lockPath);
  }
  try {
    const bytes = Buffer.from(JSON.stringify(owner), 'utf8');
    if (writeSync(fd, bytes) !== bytes.length) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
  } catch (err) {
    // Not left empty or cut short (a full disk): such a lock reads as a holder killed mid-write, so every writer
    // for the next 2 s waited on it, and a run's events went to late files instead of the history.
    closeSync(fd);
    try {
      unlinkSync(lockPath);
    } catch {
      // gone already
    }
    throw lockIoError(err, lockPath);
  }
  closeSync(fd);
  return true;
}

/**
 * Removes the lock of a holder that is gone. The file is first renamed to a
 * name of our own (only one waiter can win that), then checked: if what we
 * moved is not the dead holder's lock (a new holder got in between), it is
 * linked back. Never removes a live holder's lock. Throws IO_ERROR when the
 * lock cannot be moved (a read-only folder), other than by a waiter first.
 */
function takeOver(lockPath: string, seen: Exclude<Peek, { kind: 'free' }>): void {
  if (seen.kind === 'legacy-dir') {
    try {
      rmdirSync(lockPath); // proper-lockfile's lock folder from an older cpw-vault: always empty
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      if (code === 'ENOENT') return; // another waiter removed it
      // Not that empty folder (the waiters would otherwise retry it for ever, at full speed).
      throw lockFolderError(lockPath, code);
    }
    return;
  }
  const aside = `${lockPath}.gone-${randomHex(6)}`;
  try {
    renameSync(lockPath, aside);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT') return; // already taken over by another waiter
    // Anything else (a read-only folder: EROFS) fails the same way at every try: returning, the caller tried
    // again at once, for ever (exec spun at full speed before its stage, and could not end by a signal).
    throw new VaultError('IO_ERROR', `Cannot take over the lock ${lockPath} of a process that is gone (${code}).`, `Check that ${lockPath}'s folder is writable; if no cpw-vault process is running, remove the lock: rm ${shellWord(lockPath)}`, { cause: err });
  }
  let moved: string | undefined;
  try {
    moved = readRegular(aside)?.raw;
  } catch {
    // unreadable: not what we judged
  }
  if (moved !== seen.raw) {
    try {
      linkSync(aside, lockPath); // not the one we judged dead (a new holder's, or a fifo swapped in): give it back
    } catch {
      // a third process holds the path now; the moved holder will notice its lock is gone and abort its write
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // gone already
  }
}

/** Takes the lock for `owner` (a gone holder's taken over first): undefined once taken, else what a live holder left there. */
export function tryTake(lockPath: string, owner: LockOwner, foreignFix?: string): Exclude<Peek, { kind: 'free' }> | undefined {
  for (;;) {
    if (tryCreate(lockPath, owner)) return undefined;
    const seen = peek(lockPath, foreignFix);
    if (seen.kind === 'free') continue;
    if (!isGone(seen)) return seen;
    takeOver(lockPath, seen);
  }
}

/** Removes the lock if it is still ours (`mine`: what we wrote in it), never another holder's. */
export function release(lockPath: string, mine: string): void {
  try {
    if (readRegular(lockPath)?.raw === mine) unlinkSync(lockPath);
  } catch {
    // already gone
  }
}

/** Whether the holder of a lock seen is gone (its lock to take over). */
export function isGone(seen: Exclude<Peek, { kind: 'free' }>): boolean {
  return seen.kind === 'owner' ? ownerIsGone(seen.owner, seen.mtimeMs, STALE_MS)
    : Date.now() - seen.mtimeMs > (seen.kind === 'legacy-dir' ? STALE_MS : 2_000); // an empty file: a holder killed between create and write
}
