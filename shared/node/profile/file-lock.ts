import { AsyncLocalStorage } from 'node:async_hooks';
import { VaultError } from '../../core/errors';

/** Default longest wait for another process to release the lock. */
export const DEFAULT_LOCK_WAIT_MS = 10_000;

/** A held lock: `assertHeld` throws PROFILE_LOCKED if it was lost (stale takeover, clock jump). */
export interface HeldLock {
  assertHeld(): void;
}

/**
 * Locks held by the current async call chain, by target. Lets a secret store
 * that writes under the profile lock (the age vault file) be called from
 * inside a profile update that already holds it, instead of waiting for
 * itself until PROFILE_LOCKED.
 */
const heldHere = new AsyncLocalStorage<ReadonlyMap<string, HeldLock>>();

/**
 * Runs `fn` while holding a cross-process lock on `target` (a `<target>.lock`
 * folder, via proper-lockfile; stale after 10 s so a killed holder frees it).
 * Waits at most `waitMs`, then fails with PROFILE_LOCKED. A lock lost while
 * held never crashes the process: `fn` sees it through `assertHeld`.
 * Re-entrant within one async call chain: called again for the same target
 * from inside `fn`, it runs the inner function under the lock already held.
 */
export async function withFileLock<T>(target: string, fn: (lock: HeldLock) => Promise<T>, waitMs = DEFAULT_LOCK_WAIT_MS): Promise<T> {
  const outer = heldHere.getStore()?.get(target);
  if (outer) return fn(outer);
  let compromised: Error | undefined;
  const lockPath = `${target}.lock`;
  const deadline = Date.now() + waitMs;
  let release: (() => Promise<void>) | undefined;
  // Loaded on first lock: proper-lockfile patches fs through graceful-fs, which read-only commands never need.
  const { default: lockfile } = await import('proper-lockfile');
  for (;;) {
    try {
      release = await lockfile.lock(target, {
        realpath: false,
        lockfilePath: lockPath,
        stale: 10_000,
        update: 2_500,
        retries: 0,
        onCompromised: (err) => {
          compromised = err;
        },
      });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') {
        throw new VaultError('IO_ERROR', `Cannot create the lock ${lockPath} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`, `Check that ${lockPath}'s folder exists and is writable.`, { cause: err });
      }
      if (Date.now() >= deadline) {
        throw new VaultError(
          'PROFILE_LOCKED',
          `Another cpw-vault process has held ${lockPath} for more than ${Math.round(waitMs / 1000)} s.`,
          `Wait for it to finish and retry. If no cpw-vault process is running, remove the stale lock: rmdir ${lockPath}`,
        );
      }
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
    }
  }
  const held: HeldLock = {
    assertHeld() {
      if (compromised) {
        throw new VaultError('PROFILE_LOCKED', `The lock ${lockPath} was lost while writing; nothing was saved.`, 'Retry the operation.', { cause: compromised });
      }
    },
  };
  try {
    return await heldHere.run(new Map([...(heldHere.getStore() ?? []), [target, held]]), () => fn(held));
  } finally {
    await release().catch(() => {
      // Already released or taken over (compromised): nothing left to free.
    });
  }
}
