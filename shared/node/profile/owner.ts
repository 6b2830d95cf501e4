import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { TxOwner } from '../../core/journal';

let bootIdCache: string | undefined;

/** This machine's boot id (Linux), '' elsewhere: a pid recorded under another boot is not a live process. */
export function bootId(): string {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootIdCache = '';
    }
  }
  return bootIdCache;
}

/** This process, as a lock file or a journal transaction records it. */
export function currentOwner(): TxOwner {
  return { pid: process.pid, host: hostname(), boot: bootId() };
}

/**
 * True when the recorded process is certainly gone: a dead pid on this host
 * and boot, or any pid of an earlier boot. A process on another host (a home
 * folder shared over NFS) cannot be seen: it counts as gone only when
 * `lastSignOfLifeMs` is older than `staleMs`.
 */
export function ownerIsGone(owner: TxOwner, lastSignOfLifeMs: number, staleMs = 10_000, now = Date.now()): boolean {
  if (owner.host !== hostname()) return now - lastSignOfLifeMs > staleMs;
  if (owner.boot && bootId() && owner.boot !== bootId()) return true;
  try {
    process.kill(owner.pid, 0);
    return false; // alive (EPERM also means alive: someone else's process)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
