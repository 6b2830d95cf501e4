import { cancelledError, isVaultError } from '../../core/errors';
import type { Profile } from '../../core/profile-schema';
import type { CancelSignal } from '../../core/secret-store';
import type { AuditEvent, AuditEventName } from '../../core/records';
import { recoverBackendMove, type MoveResult } from '../credentials/backend-move';
import { refuseConcurrentMove } from '../credentials/concurrent-move';
import { moveRecorded } from '../credentials/move-record';
import { repairIndex, type RepairReport } from '../credentials/repair';
import type { InterruptedMigration } from '../migration/interrupted';
import { tightenProfile } from '../profile/permissions';
import { moveToOwnKeychainName } from './own-keychain-name';
import { assertKeychainUsable, moveDepsOf, useBackend, type BackendDeps, type UseBackendOptions } from './backends';
import { VaultWrites } from './vault-writes';

export { notReady, type CredentialValue } from './reader';
export { BACKEND_NAMES, type UseBackendOptions } from './backends';
export type { VaultParts } from './vault-reads';
export type { SetOptions } from './vault-writes';

/**
 * The Vault service: the one API the Electron main process, the CLI and the
 * library share. It offers verbs and hides its parts: secrets go to the
 * secret store and metadata to the profile index, both through the
 * credential store (one transaction each); env vars take precedence on
 * reads; every action is audited without values.
 *
 * Its reads are in vault-reads.ts, its writes in vault-writes.ts; here are
 * start-up, repair and the backends.
 */
export class Vault extends VaultWrites {
  private migrationsFinished: InterruptedMigration[] = [];

  /**
   * The migrations (a `migrate` killed midway) this vault's start rolled forward: the CLI says each once (see
   * finishedMigrationLine); the app and the library are not told (doctor reports what such a start left).
   */
  finishedMigrations(): readonly InterruptedMigration[] {
    return this.migrationsFinished;
  }

  /**
   * Repairs the index from the secret store: finishes or rolls back
   * transactions left by a crash, indexes catalog credentials found in the
   * secret store but missing from the index, and (with `dropStale`) removes
   * index entries whose value is gone. What `doctor --repair` runs, and, in
   * its cheap form, every start (see {@link ensureConsistent}). `signal` ends it with CANCELLED, nothing written, while
   * it waits for another's profile lock or before its write (doctor --repair's Ctrl-C).
   */
  async repair(options: { dropStale?: boolean; signal?: CancelSignal | undefined } = {}): Promise<RepairReport> {
    return repairIndex(this.repairDeps(), options);
  }

  /**
   * Start-up consistency, cheap when there is nothing to do: recovers a
   * crashed writer's transaction, and re-indexes catalog credentials the
   * secret store holds but the index lost (one count of the namespace; a
   * full listing only when the counts differ). A secret store that cannot
   * answer now is left alone: reads report it in their own words. `signal`
   * ends a wait for the profile's lock with CANCELLED (the journal stays).
   */
  async ensureConsistent(signal?: AbortSignal): Promise<void> {
    try {
      const report = await repairIndex(this.repairDeps(), { quick: true, signal });
      this.migrationsFinished = report.migrations ?? [];
      if (report.added.length) this.warn(`re-indexed ${report.added.join(', ')}: found in the ${this.reader.secretStore().description} but missing from ${this.profilePath}.`);
    } catch (err) {
      // A keychain that cannot answer, a profile that cannot be read or written now: every read reports it in its own words
      // (and the app's problem screen shows it); start-up must not fail for a repair it could not make.
      if (!isVaultError(err) || !/^(KEYCHAIN_|PROFILE_|VAULT_|IO_ERROR)/.test(err.code)) throw err;
    }
  }

  /**
   * "Fix it" for a profile others can read or write: the file to 0600 and,
   * when its folder is cpw-vault's own, the folder to 0700. Never follows a
   * link or touches another user's file (see profile/permissions.ts).
   */
  tightenPermissions(): void {
    tightenProfile(this.profilePath, this.profile.paths.dedicatedDir);
  }

  /** Start-up for what touches no secret (the profile's fields, the run history): the profile's temp files only. `signal`: as for {@link open}. */
  async openSettings(signal?: AbortSignal): Promise<void> {
    await this.profile.recover(signal);
  }

  /**
   * Start-up: removes temp files a killed writer left, finishes a backend switch a crash left, then {@link ensureConsistent}.
   * Called once by the composition root. `signal` (the CLI's Ctrl-C) ends each wait for another's profile lock with
   * CANCELLED: a command held the signal 30 s behind it, then went on without the repair. What is left (a journal
   * entry, a temp file) is the next start's: each step is safe to run again.
   */
  async open(signal?: AbortSignal): Promise<void> {
    await this.profile.recover(signal);
    if (moveRecorded(moveDepsOf(this.backendDeps()).recordPath)) {
      try {
        const done = await recoverBackendMove(moveDepsOf(this.backendDeps()));
        // A switch undone is said as such: "finished a switch ... to the file backend" read as the file now in use.
        if (done?.undone) this.warn(`undid a switch from the ${done.record.from} to the ${done.record.to} backend that was interrupted before it took effect; the ${done.record.from} backend stays in use.`);
        else if (done) this.warn(`finished a switch from the ${done.record.from} to the ${done.record.to} backend that was interrupted.`);
      } catch (err) {
        // A backend that cannot answer now: the record stays, and the next start (or doctor) finishes it.
        if (!isVaultError(err)) throw err;
        this.warn(`an interrupted backend switch could not be finished yet: ${err.message}`);
      }
    }
    await moveToOwnKeychainName({ reader: this.reader, profile: this.profile, journal: this.journal, warn: this.warn, current: () => this.currentProfile(), signal });
    cancelled(signal); // the step above keeps the shared name on any failure, a cancel too
    await this.ensureConsistent(signal);
    // The lookup copy of the index, made again if it went stale: reads after this one find credentials in it.
    await this.profile.refreshLookup(signal).catch(() => {});
    cancelled(signal);
  }

  // Backends ------------------------------------------------------------

  /** Audits an event of the vault file backend done outside a verb (unlock, lock, passphrase change, export): names and counts only. */
  async recordEvent(event: { event: AuditEventName; details?: AuditEvent['details'] }): Promise<void> {
    await this.reader.record({ ...event, caller: this.caller });
  }

  /** The backend this profile's secrets live in: `keychain` or `file`. */
  backend(): string {
    return this.reader.backend();
  }

  /** Throws the keychain's problem when a move to it could not be made now (see {@link assertKeychainUsable}). */
  assertKeychainUsable(): Promise<void> {
    return assertKeychainUsable(this.backendDeps());
  }

  /** Throws when another process is switching this profile's backend now, or has switched it (see refuseConcurrentMove). */
  assertNoSwitchRunning(): void {
    refuseConcurrentMove(moveDepsOf(this.backendDeps()), this.backend());
  }

  /**
   * Moves every secret to the `to` backend, all or nothing: see {@link useBackend} in backends.ts. `afterMove` runs
   * once it is done, before this process's reads and writes held by the switch go on: the app starts the vault file's
   * unlock agent there (they were answered "the vault file is locked" in between).
   */
  useBackend(to: string, options: UseBackendOptions = {}, afterMove?: () => Promise<void>): Promise<MoveResult> {
    return this.gate.exclusive(async () => {
      const result = await useBackend(this.backendDeps(), to, options);
      await afterMove?.();
      return result;
    });
  }

  /**
   * Runs `fn` after any backend switch of this process in progress, as its reads and writes run (see SwitchGate): the
   * app's Lock, Unlock and passphrase change, which end or start the vault file's unlock agents. Run across a switch
   * to the vault file, Lock and a passphrase change ended nothing before the switch's own agent started, then answered
   * "locked" while that agent kept the vault open, and Unlock started a second agent ("already running"); across one
   * away from it, Lock ended the agent the switch was reading through. Throws BACKEND_SWITCHING when the switch
   * outlasts the wait. `fn` must not call the gated verbs itself: a switch that began meanwhile waits for `fn`.
   */
  afterSwitch<T>(fn: () => Promise<T>): Promise<T> {
    return this.gate.run(fn);
  }

  /**
   * Runs `fn` right after the backend switch of this process in progress ends (done or failed), before the calls it
   * holds go on; false, nothing run, when none is under way. The app's Lock pressed while a switch hangs (a keychain
   * prompt nobody answers) locks at once and, through this, again once the switch ends: the agent a switch to the
   * vault file starts is ended too. `fn`'s failure is its own: the switch's result stands.
   */
  whenSwitchEnds(fn: () => Promise<void>): boolean {
    return this.gate.whenSwitchEnds(fn);
  }

  /** Releases the secret store's connection (the process can exit at once). */
  close(): void {
    this.reader.close();
  }

  private backendDeps(): BackendDeps {
    return { reader: this.reader, profile: this.profile, now: this.now, stamp: (p) => this.stampStorage(p), caller: this.caller, journal: this.journal };
  }

  private repairDeps() {
    return { secrets: this.reader.secretStore(), credentials: this.credentials(), journal: this.journal, profile: this.profile, now: this.now, stamp: (p: Profile) => this.stampStorage(p), sharedNamespace: this.reader.sharesDefaultNamespace() };
  }
}

function cancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal.reason);
}
