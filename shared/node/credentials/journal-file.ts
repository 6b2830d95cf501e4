import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { journalOf, type Transaction } from '../../core/journal';
import { parseOwnJson } from '../../core/json-depth';
import { cancelledError, isVaultError, VaultError } from '../../core/errors';
import { backoff, DEFAULT_LOCK_WAIT_MS, withFileLock } from '../profile/file-lock';
import { waitTeller } from '../profile/lock-wait-notice';
import { ownerName, shown } from '../profile/owner';
import { ensurePrivateDir } from '../profile/trusted-folder';
import { readSecureFile, stampOf, writeSecureFile } from '../profile/secure-fs';
import type { CancelSignal } from '../../core/secret-store';

/** Tries at settling the entries left in a journal that cannot be written, the intervals doubling from 2 s (~2 min in all): see retryLeft. */
const UNWRITABLE_TRIES = 7;

/**
 * The journal file beside the profile (shared/core/journal.ts): names of
 * credentials being changed, never a value. Changed under the profile's own
 * lock, written atomically, removed when empty (so a reader's check costs
 * one stat). A damaged journal reads as empty: it can only name credentials,
 * and the start-up census re-indexes what the secret store holds anyway.
 */
export class JournalFile {
  /** Entries of ended transactions whose removal (or mark) failed (another held the lock past the wait, or a signal ended it): see {@link remove}. */
  private readonly left = new Map<string, 'drop' | 'end'>();
  private retry: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly path: string,
    private readonly profilePath: string,
    private readonly dedicatedDir: boolean,
    private readonly lockWaitMs: number | undefined,
  ) {}

  /** The transactions in the journal (none when there is no file). */
  read(): Transaction[] {
    if (!stampOf(this.path)) return [];
    try {
      const value = parseOwnJson(readSecureFile(this.path, { warn: () => {} }).text);
      return value === undefined ? [] : journalOf(value);
    } catch {
      return [];
    }
  }

  /**
   * Adds a transaction (the intent) once no other live transaction names one
   * of its credentials: two writers of one credential take turns, each
   * writing, reading back and indexing its value whole (else one read back
   * the other's value, failed, and its rollback put the old value over the
   * other's acknowledged one). A conflicting transaction whose owner is gone
   * is left to recovery (which re-syncs the entry to what the store holds).
   * Resolves true when it had to wait (what the caller read before is stale);
   * throws PROFILE_LOCKED past `waitMs`, CANCELLED once `signal` aborts a wait
   * (for the lock or the other transaction): nothing added then.
   */
  async add(tx: Transaction, live: (other: Transaction) => boolean, signal?: AbortSignal, waitMs = this.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS): Promise<boolean> {
    const ids = new Set(tx.ops.map((op) => op.id));
    const deadline = Date.now() + waitMs;
    const tell = waitTeller();
    const pause = backoff();
    for (let waited = false; ; waited = true) {
      let busy: Transaction | undefined;
      await this.change((all) => {
        busy = all.find((t) => t.id !== tx.id && t.ops.some((op) => ids.has(op.id)) && live(t));
        return busy ? all : [...all, tx];
      }, signal);
      if (!busy) return waited;
      // Only the credentials both change (at most 5), each clipped: the journal may be planted.
      const shared = [...new Set(busy.ops.map((op) => op.id).filter((id) => ids.has(id)))].slice(0, 5).map(shown).join(', ');
      if (signal?.aborted) throw cancelledError(signal.reason);
      if (Date.now() >= deadline) {
        throw new VaultError('PROFILE_LOCKED', `Another cpw-vault (${ownerName(busy.owner)}) has been changing ${shared} for over ${Math.round(waitMs / 1000)} s; nothing was changed.`, 'Wait for it to finish and retry.');
      }
      const owner = busy.owner;
      tell(() => `waiting for ${ownerName(owner)} to finish changing ${shared} (at most ${Math.round((deadline - Date.now()) / 1000)} s more)...`);
      await pause();
    }
  }

  /**
   * Drops transactions by id. `signal` ends a wait for the lock with CANCELLED, the entries left (once it is aborted:
   * one try): a transaction's end after a Ctrl-C held it 30 s more behind another's lock, then said nothing of it.
   * An entry left names a transaction that has ended, but its owner runs: to every other cpw-vault it stayed live
   * until this process ended (the app, a script: a `set` of the same credential waited 30 s, then PROFILE_LOCKED, and
   * no start finished it). So this process drops it with its next change of the journal, or at its next try at the
   * free lock (every second at most, without holding the process up); once it has ended, the next start finishes it
   * (CredentialStore.recover), as after a kill. Dropping it later is right: the index describes what the store holds
   * (a commit, an undo complete, a recovery's roll forward), so finishing it changes nothing.
   */
  remove(ids: readonly string[], signal?: CancelSignal): Promise<void> {
    return this.settle(ids, 'drop', (kept) => kept.filter((t) => !ids.includes(t.id)), signal);
  }

  /**
   * Marks a transaction this process has ended with its entry kept (its undo failed) as ended: live to nobody, so
   * another cpw-vault's change of its credentials goes on, and any next start rolls it forward (it waited for this
   * process to end). `signal`, and a mark that could not be written: as for {@link remove}.
   */
  end(id: string, signal?: CancelSignal): Promise<void> {
    return this.settle([id], 'end', (kept) => kept.map((t) => (t.id === id ? { ...t, ended: true as const } : t)), signal);
  }

  private async settle(ids: readonly string[], how: 'drop' | 'end', fn: (kept: Transaction[]) => Transaction[], signal: CancelSignal | undefined): Promise<void> {
    try {
      await this.change(fn, signal);
    } catch (err) {
      for (const id of ids) if (this.left.get(id) !== 'drop') this.left.set(id, how);
      this.retryLeft();
      throw err;
    }
  }

  /**
   * One try at the lock (no wait) to settle the entries left, again later while it fails: every second at most while
   * another holds the lock (it lets go). A journal that cannot be written (its folder made read-only or another
   * user's, a full disk) was tried every second for as long as the process lived: it is tried at doubling intervals,
   * UNWRITABLE_TRIES times (a disk that fills up for a while), then no more. The entries stay this process's to settle
   * with its next change of the journal, and once it has ended the next start's (as after a kill).
   */
  private retryLeft(delay = 20, unwritable = 0): void {
    if (this.retry || !this.left.size || unwritable >= UNWRITABLE_TRIES) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.change((kept) => kept, AbortSignal.abort()).catch((err: unknown) => {
        // CANCELLED: the one try met another's lock (the signal given is aborted); anything else is this journal.
        if (isVaultError(err, 'CANCELLED')) this.retryLeft(Math.min(delay * 2, 1_000), unwritable);
        else this.retryLeft(Math.max(delay, 1_000) * 2, unwritable + 1);
      });
    }, delay);
    this.retry.unref();
  }

  /** Applies `fn` to the journal, under the lock, with the entries left settled first (see {@link remove}). */
  private async change(fn: (kept: Transaction[]) => Transaction[], signal?: CancelSignal): Promise<void> {
    ensurePrivateDir(dirname(this.path), this.dedicatedDir);
    await withFileLock(this.profilePath, async (lock) => {
      const all = this.read();
      const settled = [...this.left];
      const left = (t: Transaction) => this.left.get(t.id);
      const kept = all.some((t) => left(t) === 'drop' || (left(t) === 'end' && t.ended !== true))
        ? all.flatMap((t) => (left(t) === 'drop' ? [] : left(t) === 'end' ? [{ ...t, ended: true as const }] : [t]))
        : all;
      const next = fn(kept);
      if (next !== all) {
        lock.assertHeld();
        if (next.length) await writeSecureFile(this.path, `${JSON.stringify({ transactions: next }, null, 1)}\n`, this.dedicatedDir);
        else rmSync(this.path, { force: true });
      }
      for (const [id] of settled) this.left.delete(id);
    }, { waitMs: this.lockWaitMs, signal });
  }
}
