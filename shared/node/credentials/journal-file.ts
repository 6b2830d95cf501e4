import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { journalOf, type Transaction } from '../../core/journal';
import { parseOwnJson } from '../../core/json-depth';
import { withFileLock } from '../profile/file-lock';
import { ensurePrivateDir, readSecureFile, stampOf, writeSecureFile } from '../profile/secure-fs';

/**
 * The journal file beside the profile (shared/core/journal.ts): names of
 * credentials being changed, never a value. Changed under the profile's own
 * lock, written atomically, removed when empty (so a reader's check costs
 * one stat). A damaged journal reads as empty: it can only name credentials,
 * and the start-up census re-indexes what the secret store holds anyway.
 */
export class JournalFile {
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

  /** Adds a transaction (the intent). */
  add(tx: Transaction): Promise<void> {
    return this.change((all) => [...all, tx]);
  }

  /** Drops transactions by id. */
  remove(...ids: string[]): Promise<void> {
    return this.change((all) => all.filter((t) => !ids.includes(t.id)));
  }

  private async change(fn: (all: Transaction[]) => Transaction[]): Promise<void> {
    ensurePrivateDir(dirname(this.path), this.dedicatedDir);
    await withFileLock(this.profilePath, async (lock) => {
      const next = fn(this.read());
      lock.assertHeld();
      if (next.length) await writeSecureFile(this.path, `${JSON.stringify({ transactions: next }, null, 1)}\n`, this.dedicatedDir);
      else rmSync(this.path, { force: true });
    }, this.lockWaitMs);
  }
}
