import { randomHex, uniqueHex } from '../builtins';
import { closeSync, constants, fstatSync, linkSync, lstatSync, openSync, readFileSync, renameSync, rmdirSync, unlinkSync, utimesSync, writeSync, type Stats } from 'node:fs';
import { VaultError } from '../../core/errors';
import type { TxOwner } from '../../core/journal';
import { currentOwner, ownerIsGone, ownerName, ownerLocation, ownerPlace, shown } from './owner';
import { isoNow } from '../../core/iso-time';
import { shellWord } from '../../core/control-chars';
import { waitTeller } from './lock-wait-notice';

/** Default longest wait for a live holder: well past the stale window, so a busy holder is never mistaken for a dead one. */
export const DEFAULT_LOCK_WAIT_MS = 30_000;
/** A holder on another host (a shared home over NFS) whose lock was not refreshed for this long is gone. */
export const STALE_MS = 10_000;
const HEARTBEAT_MS = 2_000;

/** A held lock: `assertHeld` throws PROFILE_LOCKED if it was lost (taken over, removed by hand). */
export interface HeldLock {
  assertHeld(): void;
}

/** Who holds a lock, as written in the lock file. */
export interface LockOwner extends TxOwner {
  nonce: string;
  since: string;
}

const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;

type Peek = { kind: 'free' } | { kind: 'owner'; owner: LockOwner; mtimeMs: number; raw: string } | { kind: 'unreadable'; mtimeMs: number; raw: string } | { kind: 'legacy-dir'; mtimeMs: number };

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
  const what = s.isFIFO() ? 'a named pipe (FIFO)' : s.isSocket() ? 'a socket' : s.isBlockDevice() || s.isCharacterDevice() ? 'a device' : 'not a regular file';
  throw new VaultError('PROFILE_INVALID', `The lock ${lockPath} is ${what}, not a lock file cpw-vault made; refusing to wait on it or remove it.`, `If nothing of yours uses it, remove it and retry: rm ${shellWord(lockPath)}`);
}

/**
 * The regular file at `path` and its text, or undefined when there is none (gone, or a link, fifo or folder in its
 * place). Never follows a link and never blocks: a fifo opens at once (O_NONBLOCK) and is not read.
 */
function readRegular(path: string): { raw: string; stat: Stats } | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
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
function peek(lockPath: string, foreignFix?: string): Peek {
  let found: { raw: string; stat: Stats } | undefined;
  try {
    // lstat first: a fifo or device is judged by its type alone, never opened (a device may act on an open).
    const s = lstatSync(lockPath, { throwIfNoEntry: false });
    if (!s) return { kind: 'free' };
    refuseForeign(lockPath, s, foreignFix);
    if (s.isDirectory()) return { kind: 'legacy-dir', mtimeMs: s.mtimeMs };
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

function lockIoError(err: unknown, lockPath: string): VaultError {
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
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
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Removes the lock of a holder that is gone. The file is first renamed to a
 * name of our own (only one waiter can win that), then checked: if what we
 * moved is not the dead holder's lock (a new holder got in between), it is
 * linked back. Never removes a live holder's lock.
 */
function takeOver(lockPath: string, seen: Exclude<Peek, { kind: 'free' }>): void {
  if (seen.kind === 'legacy-dir') {
    try {
      rmdirSync(lockPath); // proper-lockfile's lock folder from an older cpw-vault: always empty
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      if (code === 'ENOENT') return; // another waiter removed it
      // Not that empty folder (the waiters would otherwise retry it for ever, at full speed).
      throw new VaultError('PROFILE_INVALID', `The lock ${lockPath} is a folder cpw-vault cannot remove (${code}), not the empty lock folder an older cpw-vault left.`, `If nothing of yours uses it, look inside, then remove it and retry: rm -r ${shellWord(lockPath)}`);
    }
    return;
  }
  const aside = `${lockPath}.gone-${randomHex(6)}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return; // already taken over by another waiter
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

/**
 * Runs `fn` while holding a cross-process lock on `target`: a lock file
 * `<target>.lock` created with O_EXCL|O_NOFOLLOW that names its holder (pid,
 * host, boot id). Why not proper-lockfile (used before): it can only judge a
 * lock by its age, so a killed holder blocked every writer for its 10 s stale
 * window and the error could not say who held it. Here a holder that is gone
 * (dead pid, earlier boot) is taken over at once; a live holder is waited
 * for up to `waitMs` (30 s, longer than any stale window), and then
 * PROFILE_LOCKED names its pid. A lock lost while held never crashes the
 * process: `fn` sees it through `assertHeld`. `foreignFix`: the fix when another user's link or file is at the lock's
 * name, for a file that is not the profile (the advice by default is about the profile's folder).
 */
export async function withFileLock<T>(target: string, fn: (lock: HeldLock) => Promise<T>, waitMs = DEFAULT_LOCK_WAIT_MS, foreignFix?: string): Promise<T> {
  const lockPath = `${target}.lock`;
  const owner: LockOwner = { ...currentOwner(), nonce: uniqueHex(8), since: isoNow() };
  const mine = JSON.stringify(owner);
  const deadline = Date.now() + waitMs;
  const tell = waitTeller();
  const pause = backoff();
  for (;;) {
    const seen = tryTake(lockPath, owner, foreignFix);
    if (!seen) break;
    if (Date.now() >= deadline) throw lockedError(lockPath, seen, waitMs);
    tell(() => `waiting for ${holderText(seen)} to release ${lockPath} (at most ${Math.round((deadline - Date.now()) / 1000)} s more)...`);
    await pause();
  }

  let lost: string | undefined;
  const heartbeat = setInterval(() => {
    try {
      const now = readRegular(lockPath)?.raw;
      if (now !== mine) lost = now === undefined ? 'removed' : 'taken by another process';
      else utimesSync(lockPath, new Date(), new Date());
    } catch {
      lost = 'removed';
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const held: HeldLock = {
    assertHeld() {
      if (!lost) {
        try {
          if (readRegular(lockPath)?.raw === mine) return;
        } catch {
          // fall through: it is gone
        }
        lost = 'removed';
      }
      throw new VaultError('PROFILE_LOCKED', `The lock ${lockPath} was lost while writing (${lost}); nothing was saved.`, 'Retry the operation.');
    },
  };
  try {
    return await fn(held);
  } finally {
    clearInterval(heartbeat);
    release(lockPath, mine);
  }
}

/**
 * withFileLock's first try alone, synchronously, for a process about to end (exec dying of a signal, its run's end
 * to record first): takes the lock (a gone holder's taken over), runs `fn` under it and releases it before
 * returning. Undefined, `fn` not run, when a live holder has it: never waits, so it never holds the ending up. No
 * heartbeat: `fn` is synchronous and short. Throws as withFileLock does for what is no lock, and what `fn` throws.
 */
export function withFileLockNow<T>(target: string, fn: () => T, foreignFix?: string): { done: T } | undefined {
  const lockPath = `${target}.lock`;
  const owner: LockOwner = { ...currentOwner(), nonce: uniqueHex(8), since: isoNow() };
  if (tryTake(lockPath, owner, foreignFix)) return undefined;
  try {
    return { done: fn() };
  } finally {
    release(lockPath, JSON.stringify(owner));
  }
}

/** Takes the lock for `owner` (a gone holder's taken over first): undefined once taken, else what a live holder left there. */
function tryTake(lockPath: string, owner: LockOwner, foreignFix?: string): Exclude<Peek, { kind: 'free' }> | undefined {
  for (;;) {
    if (tryCreate(lockPath, owner)) return undefined;
    const seen = peek(lockPath, foreignFix);
    if (seen.kind === 'free') continue;
    if (!isGone(seen)) return seen;
    takeOver(lockPath, seen);
  }
}

/** Removes the lock if it is still ours (`mine`: what we wrote in it), never another holder's. */
function release(lockPath: string, mine: string): void {
  try {
    if (readRegular(lockPath)?.raw === mine) unlinkSync(lockPath);
  } catch {
    // already gone
  }
}

/** Waits between two tries at something another process holds: 5 ms, doubling to 100 ms, each jittered (waiters do not wake in step). */
export function backoff(): () => Promise<void> {
  let delay = 5;
  return async () => {
    await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
    delay = Math.min(delay * 2, 100);
  };
}

/** Who holds a lock, for a message: its pid, where it runs, since when (fields clipped: the file may be planted). */
function holderText(seen: Peek): string {
  const holder = seen.kind === 'owner' ? seen.owner : undefined;
  return holder ? `${ownerName(holder)} (since ${shown(holder.since)})` : 'another process';
}

/** Whether the holder of a lock seen is gone (its lock to take over). */
function isGone(seen: Exclude<Peek, { kind: 'free' }>): boolean {
  return seen.kind === 'owner' ? ownerIsGone(seen.owner, seen.mtimeMs, STALE_MS)
    : Date.now() - seen.mtimeMs > (seen.kind === 'legacy-dir' ? STALE_MS : 2_000); // an empty file: a holder killed between create and write
}

/**
 * Who holds the lock on `target` now, when a holder not gone does (a gone one's lock is taken over by the next
 * writer), for a report: who (`holder`), what tells this hold from a later one (`id`), and what to do about a holder
 * that is stuck (`fix`). Only looks: never takes, waits or removes. Throws as withFileLock does for what at the
 * lock's name is no lock (a link, a fifo: with its rm).
 */
export function lockHolder(target: string): { holder: string; id: string; fix: string } | undefined {
  const lockPath = `${target}.lock`;
  const seen = peek(lockPath);
  if (seen.kind === 'free' || isGone(seen)) return undefined;
  return { holder: holderText(seen), id: 'raw' in seen ? seen.raw : `dir ${seen.mtimeMs}`, fix: stuckFix(lockPath, seen) };
}

function lockedError(lockPath: string, seen: Peek, waitMs: number): VaultError {
  const who = holderText(seen);
  const sep = seen.kind === 'owner' ? '; ' : '. ';
  return new VaultError('PROFILE_LOCKED', `Another cpw-vault, ${who}, has held ${lockPath} for over ${Math.round(waitMs / 1000)} s.`, `Wait for it to finish and retry${sep}${stuckFix(lockPath, seen)}`);
}

/** What to do about a holder of `lockPath` that is stuck: see it and stop it where it runs (a lock of no holder named: rm it). */
function stuckFix(lockPath: string, seen: Peek): string {
  const holder = seen.kind === 'owner' ? seen.owner : undefined;
  if (!holder) return `If no cpw-vault process is running, remove the lock: rm ${shellWord(lockPath)}`;
  if (ownerPlace(holder) === 'here') return `see what it is with: ps -p ${holder.pid} -o pid,etime,args. If it is stuck, stop it (kill ${holder.pid}); cpw-vault takes over the lock of a process that is gone.`;
  return `it cannot be seen from here, so its lock is taken over once it stops refreshing it (${STALE_MS / 1000} s). If it is stuck, stop it where it runs${stopWhere(holder)}; never by its pid here, which names another process or none.`;
}

/** Where to stop a holder that cannot be seen from here. */
function stopWhere(holder: LockOwner): string {
  const at = ownerLocation(holder);
  return at.kind === 'host' ? ` (on ${at.host})` : at.kind === 'container' ? ' (inside its container: docker/podman exec ... kill, or stop the container)' : '';
}
