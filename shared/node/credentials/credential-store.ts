import { randomHex } from '../builtins';
import { assertPlainSlot } from '../../core/catalog';
import { cancelledError, isVaultError } from '../../core/errors';
import { isSecretCredential, slotValue, withIndexChanges, type IndexChange } from '../../core/credential-index';
import { maskedHint, type CredentialId } from '../../core/credential';
import type { JournalOp, Transaction } from '../../core/journal';
import type { CredentialMeta, Profile } from '../../core/profile-schema';
import type { CancelSignal, SecretStore } from '../../core/secret-store';
import { ABANDONED_AFTER_MS, currentOwner, isCurrentProcess, ownerIsGone } from '../profile/owner';
import type { ProfileStore } from '../profile/store';
import type { IndexFacts } from '../profile/index-update';
import type { JournalFile } from './journal-file';
import { isoString } from '../../core/iso-time';
import { customEnvVars, envVarProblem, freeEnvVar } from '../../core/env-var-names';
import { growthBound, indexGrowth } from './index-growth';
import { readMany, writeAll } from './store-batch';
import { untilAborted } from '../until-aborted';
import type { CommitOptions, CommitResult, CredentialChange } from './credential-change';
import { changedSincePlan, undoIncomplete } from './commit-errors';
import { assertDistinctEnvVars } from './distinct-env-vars';
import { ACTIVE, liveTransaction } from './live-transactions';
import { assertSameBackend, backendOf, storedBackend } from './backend-check';
import { removeCreated } from './created-files';

export { readMany };

/**
 * The one owner of "value in the secret store + entry in the profile index".
 * Every change (set, delete, migration, backend moves, the app) is a journaled
 * transaction (shared/core/journal.ts): intent in the journal, each value
 * written and read back, one atomic profile write that commits the index. A
 * failure or a signal rolls back exactly from memory (previous values back,
 * new ones removed, created files deleted, the profile never written); a
 * crash is rolled forward by {@link recover} at the next start. The profile
 * lock is held only for the journal and profile writes, never across a
 * secret-store call.
 */
export class CredentialStore {
  /**
   * @param stamp applied to the profile in every index write (the Vault
   *   records where the profile's values live the first time it is written).
   */
  constructor(
    private readonly secrets: SecretStore,
    private readonly profile: ProfileStore,
    private readonly journal: JournalFile,
    private readonly now: () => Date,
    private readonly stamp: (profile: Profile) => Profile = (p) => p,
    /** The backend the profile named when `secrets` was opened for it: a commit refuses a profile that names another since. */
    private readonly backend?: string,
  ) {}

  /** The stored values of `ids` (secret store, or the profile slot of a non-secret), ignoring env vars; secrets read in one batch. */
  async storedValues(ids: readonly CredentialId[], profile: Profile | undefined): Promise<Map<CredentialId, string | undefined>> {
    const out = new Map(await readMany(this.secrets, ids.filter(isSecretCredential)));
    for (const id of ids) {
      if (isSecretCredential(id)) continue;
      const slot = profile ? slotValue(profile, id) : '';
      out.set(id, slot === '' ? undefined : slot);
    }
    return out;
  }

  /** Applies `changes` all or nothing. Throws the first failure (after rolling back), or CANCELLED. */
  async commit(changes: readonly CredentialChange[], options: CommitOptions = {}): Promise<CommitResult> {
    cancelled(options.signal);
    for (const c of changes) if (c.kind === 'set') assertPlainSlot(c.id, c.value);
    // A change that would take the profile past its limit is refused before anything is stored.
    // Near the limit the profile is read to charge each set its real growth: a replacement adds ~nothing.
    this.profile.assertRoomFor(growthBound(changes), () => {
      const loaded = this.profile.readOrTemplate();
      return loaded.kind === 'profile' ? indexGrowth(loaded.profile, changes, this.now()) : growthBound(changes);
    });
    const secret = changes.filter((c) => isSecretCredential(c.id));
    const existed = new Map<CredentialId, boolean>();
    const writeOptions = { stripPlaintext: options.stripPlaintext, allowOverLegacy: options.allowOverLegacy, signal: options.signal };
    if (!secret.length && !options.files?.length) {
      const profile = await this.profile.update((p) => this.toIndex(p, changes, existed), writeOptions);
      return { entries: entriesOf(profile, changes), existed };
    }
    const tx: Transaction = {
      id: randomHex(6),
      owner: currentOwner(),
      started_at: isoString(this.now()),
      ops: secret.map((c): JournalOp => (c.kind === 'set' ? { id: c.id, kind: 'set', ...(c.label !== undefined ? { label: c.label } : {}), ...(c.envVar ? { env_var: c.envVar } : {}) } : { id: c.id, kind: 'delete' })),
      ...(options.files?.length ? { files: options.files.map((f) => f.path) } : {}),
    };
    const written: CredentialChange[] = [];
    // The values before, read once this transaction holds its credentials (a writer of one of them that went first
    // may have changed it): what a rollback puts back. Values the caller's plan read (a migration, an import, a pull)
    // must still be there: one stored since (the app, another cpw-vault; that write was acknowledged) is never
    // overwritten by a plan that did not see it (the app's migration wrote over a key saved while it ran).
    let claimed = false; // in the journal: one never added (a signal, PROFILE_LOCKED) is not removed (30 s more wait)
    const claim = async () => {
      await this.journal.add(tx, liveTransaction, options.signal);
      claimed = true;
      // A switch committed before this transaction was in the journal (a switch refuses to commit while one is): its
      // values went to the new backend, and this one's write to the old store could outlive the switch emptying it.
      const current = this.backend !== undefined ? storedBackend(this.profile) : undefined;
      if (current !== undefined) assertSameBackend(this.backend, current, secret);
      // Ctrl-C while a keychain that stopped answering is read: cancelled at once (nothing written yet), not held until
      // its deadline and then said as KEYCHAIN_TIMEOUT. The read left running changes nothing.
      const now = await untilAborted(readMany(this.secrets, secret.map((c) => c.id)), options.signal);
      const known = options.known;
      const changed = known ? secret.filter((c) => known.has(c.id) && known.get(c.id) !== now.get(c.id)).map((c) => c.id) : [];
      if (changed.length) throw changedSincePlan(changed);
      return now;
    };
    let previous: Map<CredentialId, string | undefined> = new Map();
    ACTIVE.add(tx.id);
    try {
      try {
        previous = await claim();
        cancelled(options.signal);
      } catch (err) {
        if (claimed) await this.journal.remove([tx.id], options.signal).catch(() => {});
        throw err;
      }
      let profile: Profile;
      try {
        for (const f of options.files ?? []) f.create();
        await writeAll(this.secrets, secret, written, existed, previous, options);
        profile = await this.writeIndex(changes, existed, options);
      } catch (thrown) {
        // Ctrl-C pressed while a keychain call hung: the user asked to stop, and is told so (exit 130), not the timeout
        // that came later (exit 1 after the deadline, once).
        const err = options.signal?.aborted && !isVaultError(thrown, 'CANCELLED') ? cancelledError(options.signal.reason) : thrown;
        const left = await this.rollback(tx, written, previous, options.signal);
        throw left.length ? undoIncomplete(err, left) : err;
      }
      await this.journal.remove([tx.id], options.signal).catch(() => {
        // The commit stands; the next start finds the entry and re-syncs it, which changes nothing.
      });
      const replaced = new Map<CredentialId, string>();
      for (const c of secret) {
        const was = previous.get(c.id);
        if (c.kind === 'set' && was !== undefined && was !== c.value) replaced.set(c.id, maskedHint(was));
      }
      return { entries: entriesOf(profile, changes), existed, replaced };
    } finally {
      ACTIVE.delete(tx.id);
    }
  }

  /**
   * Start-up recovery: rolls forward every transaction whose owner is gone
   * (or that failed earlier in this process): each credential it names gets
   * the index entry that describes what the secret store holds now (old
   * value or new, never a mix), files it created are removed, the journal
   * entry dropped. Idempotent, so a crash during recovery is recovered next
   * time. Returns how many transactions it finished. `signal` ends its waits
   * for the lock with CANCELLED: the entries stay for the next start.
   */
  async recover(journal: readonly Transaction[], signal?: CancelSignal): Promise<number> {
    const due = journal.filter((tx) => {
      if (ACTIVE.has(tx.id)) return false;
      // Another host's (or container's) writer cannot be seen: its transaction is left for an hour before it counts as abandoned.
      return isCurrentProcess(tx.owner) || tx.ended === true || ownerIsGone(tx.owner, Date.parse(tx.started_at), ABANDONED_AFTER_MS);
    });
    if (!due.length) return 0;
    const ops = due.flatMap((tx) => tx.ops);
    const actual = await readMany(this.secrets, [...new Set(ops.map((o) => o.id))]);
    await this.profile.update((p) => {
      const base = this.stamp(p);
      return withIndexChanges(base, distinctNames(base, ops.flatMap((op) => resynced(base, op, actual.get(op.id)))), this.now());
    }, { allowOverLegacy: true, signal });
    removeCreated(due.flatMap((tx) => tx.files ?? []));
    await this.journal.remove(due.map((tx) => tx.id), signal);
    return due.length;
  }

  /**
   * Commits the index of `changes`. Changes to secret credentials alone may
   * go through the profile's overlay (see ProfileStore.updateIndex): toIndex
   * then reads their own entries and asks who carries an env var name.
   */
  private writeIndex(changes: readonly CredentialChange[], existed: Map<CredentialId, boolean>, options: CommitOptions): Promise<Profile> {
    const writeOptions = { stripPlaintext: options.stripPlaintext, allowOverLegacy: options.allowOverLegacy, signal: options.signal };
    const mutate = (p: Profile, facts?: IndexFacts) => this.toIndex(p, changes, existed, facts);
    const ownEntriesOnly = !options.stripPlaintext && changes.every((c) => isSecretCredential(c.id));
    return ownEntriesOnly ? this.profile.updateIndex(changes.map((c) => c.id), mutate, writeOptions) : this.profile.update(mutate, writeOptions);
  }

  /** The index after `changes`. */
  private toIndex(profile: Profile, changes: readonly CredentialChange[], existed: Map<CredentialId, boolean>, facts?: IndexFacts): Profile {
    assertSameBackend(this.backend, backendOf(profile), changes);
    const base = this.stamp(profile);
    if (changes.some((c) => c.kind === 'set' && c.envVar)) assertDistinctEnvVars(changes, facts?.envVarOwners ?? customEnvVars(base), base.credential_metadata);
    for (const c of changes) {
      if (c.kind === 'delete') existed.set(c.id, !!existed.get(c.id) || c.id in base.credential_metadata || (!isSecretCredential(c.id) && slotValue(base, c.id) !== ''));
    }
    return withIndexChanges(base, changes, this.now());
  }

  /**
   * Undoes a transaction that did not commit, from memory: every credential
   * it touched gets its previous value back (or none), created files are
   * removed, the journal entry dropped. The profile was never written. If the
   * secret store fails now (a keychain that stopped answering), the journal
   * stays, marked ended, and the next start of any cpw-vault rolls the transaction forward instead. The undo
   * itself never takes `signal` (the vault file's waits for its lock go on):
   * only the entry's removal does, so after a cancel it is left when another
   * holds the lock, and the next start rolls it forward to what the store
   * holds, the previous values (the index already describes them). Returns
   * the credentials it could not put back (they may keep the change): empty
   * when the undo is complete.
   */
  private async rollback(tx: Transaction, written: readonly CredentialChange[], previous: ReadonlyMap<CredentialId, string | undefined>, signal: AbortSignal | undefined): Promise<CredentialId[]> {
    const left = [...written].reverse().map((c) => c.id);
    try {
      // A store that writes a batch at once (the vault file) gets every value back in one write, all or none: one by
      // one, the undo of a 10,000-credential import rewrote the whole file 10,000 times.
      if (this.secrets.restoreMany && left.length > 1) {
        await this.secrets.restoreMany([...new Set(left)].map((id) => [id, previous.get(id)] as const));
        left.length = 0;
      }
      while (left.length) {
        const id = left[0]!;
        const before = previous.get(id);
        if (before === undefined) await this.secrets.delete(id);
        else await this.secrets.set(id, before);
        left.shift();
      }
    } catch {
      // Left for recovery: the journal still names every credential involved, and the caller says which may have changed.
      // Marked ended: this process (the app goes on) will not finish it, so the next start of any cpw-vault does.
      await this.journal.end(tx.id, signal).catch(() => {});
      return [...new Set(left)];
    }
    removeCreated(tx.files ?? []);
    await this.journal.remove([tx.id], signal).catch(() => {
      // The undo is complete; the next start finds the entry and re-syncs it, which changes nothing.
    });
    return [];
  }
}

/** The index entries `changes` left in `profile`. */
function entriesOf(profile: Profile, changes: readonly CredentialChange[]): Map<CredentialId, CredentialMeta | undefined> {
  const metadata = profile.credential_metadata;
  return new Map(changes.map((c) => [c.id, Object.hasOwn(metadata, c.id) ? metadata[c.id] : undefined]));
}

/** The index change that makes `op.id`'s entry describe `value` (what the secret store holds): none when it already does. */
function resynced(profile: Profile, op: JournalOp, value: string | undefined): IndexChange[] {
  const entry = profile.credential_metadata[op.id];
  if (value === undefined) return entry ? [{ kind: 'delete', id: op.id }] : [];
  if (entry && entry.hint === maskedHint(value)) return []; // already describes it
  return [{ kind: 'set', id: op.id, value, label: op.label, envVar: op.env_var }];
}

/**
 * `changes` rolled forward with each env var name still its own: a set killed after its value was stored, but before
 * its index entry (where names are checked, under the lock), was not acknowledged, and another credential may have
 * taken the name it asked for meanwhile (seen: two sets racing for one name, the first killed, both carrying it once
 * recovered). Such a credential gets a free name instead (SERVICE_KEY, else CUSTOM_<ID>), as an import does.
 */
function distinctNames(base: Profile, changes: IndexChange[]): IndexChange[] {
  const owners = customEnvVars(base);
  return changes.map((c) => {
    if (c.kind !== 'set' || !c.envVar) return c;
    const envVar = envVarProblem(c.envVar, c.id, owners) ? freeEnvVar(c.id, owners) : c.envVar;
    owners.set(envVar, c.id);
    return envVar === c.envVar ? c : { ...c, envVar };
  });
}

/** Throws CANCELLED when the signal fired (the caller rolls back first). */
function cancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal.reason);
}
