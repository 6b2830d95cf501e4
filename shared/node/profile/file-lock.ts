import { uniqueHex } from '../builtins';
import { utimesSync } from 'node:fs';
import { cancelledError, VaultError } from '../../core/errors';
import type { TxOwner } from '../../core/journal';
import type { CancelSignal } from '../../core/secret-store';
import { currentOwner, ownerName, ownerLocation, ownerPlace, shown } from './owner';
import { isoNow } from '../../core/iso-time';
import { shellWord } from '../../core/control-chars';
import { waitTeller } from './lock-wait-notice';
import { isGone, peek, readRegular, release, STALE_MS, tryTake, type Peek } from './lock-file';

/** Default longest wait for a live holder: well past the stale window, so a busy holder is never mistaken for a dead one. */
export const DEFAULT_LOCK_WAIT_MS = 30_000;
const HEARTBEAT_MS = 2_000;

/** A held lock: `assertHeld` throws PROFILE_LOCKED if it was lost (taken over, removed by hand). */
export interface HeldLock {
  assertHeld(): void;
}

/** How withFileLock waits. */
export interface FileLockOptions {
  /** Longest wait for a live holder (DEFAULT_LOCK_WAIT_MS); 0: one try. */
  waitMs?: number;
  /** The fix when another user's link or file is at the lock's name, for a file that is not the profile (the advice by default is about the profile's folder). */
  foreignFix?: string;
  /** Its abort ends the wait with CANCELLED (a `set` behind another's lock took a SIGTERM for 30 s, then failed PROFILE_LOCKED). */
  signal?: CancelSignal | undefined;
}

/** Who holds a lock, as written in the lock file. */
export interface LockOwner extends TxOwner {
  nonce: string;
  since: string;
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
 * process: `fn` sees it through `assertHeld`. Throws PROFILE_LOCKED (held past the wait), CANCELLED (the signal's
 * abort), what tryTake throws for what is no lock, and what `fn` throws.
 */
export async function withFileLock<T>(target: string, fn: (lock: HeldLock) => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const { waitMs = DEFAULT_LOCK_WAIT_MS, foreignFix, signal } = options;
  const lockPath = `${target}.lock`;
  const owner: LockOwner = { ...currentOwner(), nonce: uniqueHex(8), since: isoNow() };
  const mine = JSON.stringify(owner);
  const deadline = Date.now() + waitMs;
  const tell = waitTeller();
  const pause = backoff();
  for (;;) {
    const seen = tryTake(lockPath, owner, foreignFix);
    if (!seen) break;
    if (signal?.aborted) throw cancelledError(signal.reason);
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
  // An older cpw-vault's lock is an empty folder, which `rm` refuses.
  if (!holder) return `If no cpw-vault process is running, remove the lock: ${seen.kind === 'legacy-dir' ? 'rmdir' : 'rm'} ${shellWord(lockPath)}`;
  if (ownerPlace(holder) === 'here') return `see what it is with: ps -p ${holder.pid} -o pid,etime,args. If it is stuck, stop it (kill ${holder.pid}); cpw-vault takes over the lock of a process that is gone.`;
  return `it cannot be seen from here, so its lock is taken over once it stops refreshing it (${STALE_MS / 1000} s). If it is stuck, stop it where it runs${stopWhere(holder)}; never by its pid here, which names another process or none.`;
}

/** Where to stop a holder that cannot be seen from here. */
function stopWhere(holder: LockOwner): string {
  const at = ownerLocation(holder);
  return at.kind === 'host' ? ` (on ${at.host})` : at.kind === 'container' ? ' (inside its container: docker/podman exec ... kill, or stop the container)' : '';
}
