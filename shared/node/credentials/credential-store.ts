import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { VaultError } from '../../core/errors';
import { isSecretCredential, slotValue, withCredential, withoutCredential } from '../../core/credential-index';
import type { CredentialId } from '../../core/credential';
import { stashAccount, type Transaction, type TxOwner } from '../../core/journal';
import type { Profile } from '../../core/profile-schema';
import type { SecretStore } from '../../core/secret-store';
import type { JournalSnapshot, ProfileStore } from '../profile/store';
import { currentOwner, ownerIsGone } from '../profile/owner';

/** One change to one credential. */
export type CredentialChange =
  | { kind: 'set'; id: CredentialId; value: string; label?: string | undefined; envVar?: string | undefined }
  | { kind: 'delete'; id: CredentialId };

/** How a commit runs. */
export interface CommitOptions {
  /** Aborted (SIGINT, SIGTERM, SIGHUP, a closed window): the transaction rolls back and CANCELLED is thrown. */
  signal?: AbortSignal | undefined;
  /** Called before each secret-store write. */
  onProgress?: ((done: number, total: number, id: CredentialId) => void) | undefined;
  /** Values the caller just read (a migration plan): saves reading them again. */
  known?: ReadonlyMap<CredentialId, string | undefined> | undefined;
  /** Files the transaction creates (a migration's backup), created after the intent is journaled; removed on rollback. */
  files?: ReadonlyArray<{ path: string; create: () => void }> | undefined;
  /** A seed profile migrated in place: its plaintext slots are emptied by the commit. */
  stripPlaintext?: boolean | undefined;
  /** Write even while the deprecated secrets.json is the only source (migration creates the profile). */
  allowOverLegacy?: boolean | undefined;
}

/** What a commit did. */
export interface CommitResult {
  profile: Profile;
  /** For each deleted credential: whether it had a value or an index entry. */
  existed: ReadonlyMap<CredentialId, boolean>;
}

/** What recovery did at start-up. */
export interface RecoveryReport {
  rolledBack: number;
  finished: number;
}

/** Transactions running in this process: never recovered by it. */
const ACTIVE = new Set<string>();

/**
 * The one owner of "value in the secret store + entry in the profile index".
 * Every change (set, delete, migration, backend moves, the app) is a journaled
 * transaction (shared/core/journal.ts): intent, stash of previous values in
 * the secret store, write and read back, one atomic commit of index and
 * journal, cleanup. A failure or a signal rolls back exactly (previous values
 * back, new ones removed, created files deleted, the profile byte-identical
 * when nobody else wrote it); a crash at any instant is rolled back by
 * {@link recover} at the next start. The profile lock is held only for the
 * profile writes, never across a secret-store call.
 */
export class CredentialStore {
  private readonly owner: TxOwner = currentOwner();

  /**
   * @param stamp applied to the profile in every index write (the Vault
   *   records where the profile's values live the first time it is written).
   */
  constructor(
    private readonly secrets: SecretStore,
    private readonly profile: ProfileStore,
    private readonly now: () => Date,
    private readonly stamp: (profile: Profile) => Profile = (p) => p,
  ) {}

  /** The stored value of `id` (secret store, or the profile slot of a non-secret), ignoring env vars. */
  async storedValue(id: CredentialId, profile: Profile | undefined): Promise<string | undefined> {
    if (isSecretCredential(id)) return this.secrets.get(id);
    const slot = profile ? slotValue(profile, id) : '';
    return slot === '' ? undefined : slot;
  }

  /** Applies `changes` all or nothing. Throws the first failure (after rolling back), or CANCELLED. */
  async commit(changes: readonly CredentialChange[], options: CommitOptions = {}): Promise<CommitResult> {
    cancelled(options.signal);
    const secret = changes.filter((c) => isSecretCredential(c.id));
    const existed = new Map<CredentialId, boolean>();
    const writeOptions = { stripPlaintext: options.stripPlaintext, allowOverLegacy: options.allowOverLegacy };
    if (!secret.length && !options.files?.length) {
      const profile = await this.profile.update((p) => this.toIndex(p, changes, existed, undefined), writeOptions);
      return { profile, existed };
    }
    const previous = new Map<CredentialId, string | undefined>();
    for (const c of secret) {
      previous.set(c.id, options.known?.has(c.id) ? options.known.get(c.id) : await this.secrets.get(c.id));
      cancelled(options.signal);
    }
    const tx: Transaction = {
      id: randomBytes(6).toString('hex'),
      owner: this.owner,
      started_at: this.now().toISOString(),
      state: 'pending',
      ops: secret.map((c) => ({ id: c.id, previous: previous.get(c.id) === undefined ? 'absent' : 'stashed' })),
      ...(options.files?.length ? { files: options.files.map((f) => f.path) } : {}),
    };
    ACTIVE.add(tx.id);
    try {
      const snapshot = await this.profile.updateJournal((j) => [...j, tx], writeOptions);
      let profile: Profile;
      try {
        for (const f of options.files ?? []) f.create();
        await this.stashAll(tx, previous, options.signal);
        await this.writeAll(secret, existed, previous, options);
        profile = await this.profile.update((p) => this.toIndex(p, changes, existed, tx.id), writeOptions);
      } catch (err) {
        await this.rollback(tx, snapshot);
        throw err;
      }
      await this.finish(tx).catch(() => {
        // The commit stands; its stashes are deleted by the next start's recovery.
      });
      return { profile, existed };
    } finally {
      ACTIVE.delete(tx.id);
    }
  }

  /**
   * Start-up recovery: rolls back every pending transaction whose owner is
   * gone (or that failed earlier in this process) and finishes the cleanup of
   * committed ones. Idempotent: a crash during recovery is recovered next time.
   */
  async recover(journal: readonly Transaction[]): Promise<RecoveryReport> {
    const report: RecoveryReport = { rolledBack: 0, finished: 0 };
    for (const tx of journal) {
      if (ACTIVE.has(tx.id)) continue;
      const mine = tx.owner.pid === this.owner.pid && tx.owner.host === this.owner.host && tx.owner.boot === this.owner.boot;
      // Another host's writer cannot be seen: its transaction is left for an hour before it counts as abandoned.
      if (!mine && !ownerIsGone(tx.owner, Date.parse(tx.started_at), 3_600_000)) continue;
      if (tx.state === 'committed') {
        await this.finish(tx);
        report.finished++;
      } else {
        await this.rollback(tx, undefined, true);
        report.rolledBack++;
      }
    }
    return report;
  }

  private async stashAll(tx: Transaction, previous: ReadonlyMap<CredentialId, string | undefined>, signal: AbortSignal | undefined): Promise<void> {
    for (const op of tx.ops) {
      if (op.previous !== 'stashed') continue;
      await this.secrets.set(stashAccount(tx, op.id), previous.get(op.id)!);
      cancelled(signal);
    }
  }

  private async writeAll(secret: readonly CredentialChange[], existed: Map<CredentialId, boolean>, previous: ReadonlyMap<CredentialId, string | undefined>, options: CommitOptions): Promise<void> {
    for (const [i, c] of secret.entries()) {
      options.onProgress?.(i, secret.length, c.id);
      if (c.kind === 'set') {
        await this.secrets.set(c.id, c.value);
        if ((await this.secrets.get(c.id)) !== c.value) {
          throw new VaultError('KEYCHAIN_ERROR', `Reading ${c.id} back from the ${this.secrets.description} did not return what was written.`, 'Check the keychain (Seahorse) and retry; nothing was changed.');
        }
      } else {
        await this.secrets.delete(c.id);
        existed.set(c.id, previous.get(c.id) !== undefined);
      }
      cancelled(options.signal);
    }
  }

  /** The index after `changes`, with the transaction marked committed in the same write. */
  private toIndex(profile: Profile, changes: readonly CredentialChange[], existed: Map<CredentialId, boolean>, txId: string | undefined): Profile {
    const now = this.now();
    let next = this.stamp(profile);
    for (const c of changes) {
      if (c.kind === 'set') next = withCredential(next, c.id, c.value, now, { envVar: c.envVar, label: c.label });
      else {
        existed.set(c.id, !!existed.get(c.id) || c.id in next.credential_metadata || (!isSecretCredential(c.id) && slotValue(next, c.id) !== ''));
        next = withoutCredential(next, c.id);
      }
    }
    if (!txId) return next;
    return { ...next, journal: (next.journal ?? []).map((t) => (t.id === txId ? { ...t, state: 'committed' as const } : t)) };
  }

  /** After the commit: the stashes go, then the transaction. */
  private async finish(tx: Transaction): Promise<void> {
    for (const op of tx.ops) if (op.previous === 'stashed') await this.secrets.delete(stashAccount(tx, op.id));
    await this.profile.updateJournal((j) => j.filter((t) => t.id !== tx.id), { allowOverLegacy: true });
  }

  /**
   * Undoes a transaction that did not commit: previous values back from their
   * stashes, values that had none deleted, created files removed, then the
   * journal entry dropped (the profile put back byte for byte when nobody
   * else wrote it). If the secret store fails now (a keychain that stopped
   * answering), the journal stays for the next start; `strict` (recovery)
   * rethrows that failure instead of hiding it.
   */
  private async rollback(tx: Transaction, snapshot: JournalSnapshot | undefined, strict = false): Promise<void> {
    try {
      for (const op of [...tx.ops].reverse()) {
        if (op.previous === 'absent') {
          await this.secrets.delete(op.id);
          continue;
        }
        const stash = stashAccount(tx, op.id);
        const value = await this.secrets.get(stash);
        if (value === undefined) continue; // never stashed: the write had not started, the old value is in place
        await this.secrets.set(op.id, value);
        await this.secrets.delete(stash);
      }
      for (const file of tx.files ?? []) rmSync(file, { force: true });
      if (snapshot && (await this.profile.restoreIfUnchanged(snapshot))) return;
      await this.profile.updateJournal((j) => j.filter((t) => t.id !== tx.id), { allowOverLegacy: true });
    } catch (err) {
      if (strict) throw err;
    }
  }
}

/** Throws CANCELLED when the signal fired (the caller rolls back first). */
function cancelled(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw new VaultError('CANCELLED', 'cancelled: nothing changed', 'Run the command again when you are ready.', { cause: signal.reason });
}
