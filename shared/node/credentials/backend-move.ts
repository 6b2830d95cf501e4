import { afterPendingSignals, randomHex } from '../builtins';
import { lstatSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CredentialId } from '../../core/credential';
import { isSecretCredential } from '../../core/credential-index';
import { cancelledError, VaultError, isVaultError } from '../../core/errors';
import type { Transaction } from '../../core/journal';
import type { Profile } from '../../core/profile-schema';
import type { SecretStore } from '../../core/secret-store';
import { withFileLock } from '../profile/file-lock';
import { currentUid } from '../profile/file-access';
import { ABANDONED_AFTER_MS, currentOwner, isCurrentProcess, ownerIsGone } from '../profile/owner';
import { ensurePrivateDir } from '../profile/trusted-folder';
import { writeSecureFile } from '../profile/secure-fs';
import type { ProfileStore } from '../profile/store';
import { readMany } from './credential-store';
import { liveTransaction } from './live-transactions';
import { refuseConcurrentMove } from './concurrent-move';
import { readMoveRecord, type MoveRecord } from './move-record';

/**
 * Moving every secret of a profile from one backend to the other
 * (`cpw-vault backend use file|keychain`), all or nothing, safe against a
 * SIGKILL at any instant.
 *
 * The profile's `storage.backend` is the commit point. Before it changes,
 * the source holds every value and is the one in use; after, the target
 * does. A record beside the profile (names and file paths only, never a
 * value) says what a move is doing, so whoever finds it after a crash can
 * finish it: roll back (remove what was written to the target) while the
 * profile still names the source, roll forward (empty the source) once it
 * names the target. So after recovery exactly one backend holds the
 * secrets, and no secret is ever only in a half-filled backend.
 *
 *   1. record the intent (ids, which of them the target lacked, files the move creates)
 *   2. fill the target; read every value back and compare
 *   3. flip `storage.backend` in one atomic profile write (refused if the index changed meanwhile)
 *   4. empty the source (delete its values, or remove the vault files)
 *   5. drop the record
 */

/** One side of a move: a backend name, its store, and the files it lives in (the vault file backend). */
export interface MoveSide {
  backend: string;
  /** Its store; opened when first needed (a new vault file has no key before it is created). */
  store: () => SecretStore;
  files?: string[];
}

/** What a move reports (names only). */
export interface MoveResult {
  from: string;
  to: string;
  moved: CredentialId[];
  /** Listed in the index but without a value in the source: nothing to move. */
  missing: CredentialId[];
  /**
   * The switch is done, but the source could not be emptied (a keychain that stopped answering): its copies stay
   * until the next full start finishes the move (its record is kept). Why, in the source's words; never a value.
   */
  source_left?: { code: string; message: string };
}

/** What a move needs from its caller (the Vault). */
export interface MoveDeps {
  profile: ProfileStore;
  recordPath: string;
  dedicatedDir: boolean;
  lockWaitMs?: number | undefined;
  now: () => Date;
  /** The profile with `storage.backend` set to `backend` (and its namespace recorded). */
  withBackend: (p: Profile, backend: string) => Profile;
  /** Opens the store of a backend without a key (recovery: the keychain; the file backend is only ever removed whole). */
  openStore: (backend: string) => SecretStore;
  /** The credential journal's transactions: the switch does not commit while a writer is between its value and its index entry. */
  journal: () => readonly Transaction[];
}

/** Progress of a move, for a terminal. */
export type MovePhase = 'reading' | 'writing' | 'verifying' | 'switching' | 'cleaning';

/** Options of {@link moveBackend}. */
export interface MoveOptions {
  signal?: AbortSignal | undefined;
  onPhase?: ((phase: MovePhase, count: number) => void) | undefined;
  /** Creates the target's files (a new vault file) after the intent is recorded; they are removed on rollback. */
  createTarget?: (() => Promise<void>) | undefined;
  /** Test hook: called between steps (a kill test stops here). */
  step?: ((name: string) => void) | undefined;
}

/**
 * Refuses a new vault where `path` already is (a link too, dangling or not): an old vault may hold secrets. Another
 * user's (a link planted in a folder others can write, /tmp) is said to be theirs: "move the old vault files away"
 * asked for what the sticky bit forbids, and called their file a vault that may hold secrets.
 */
export function refuseExistingVaultFile(path: string): void {
  const found = lstatSync(path, { throwIfNoEntry: false });
  if (!found) return;
  const foreign = currentUid !== undefined && found.uid !== currentUid && found.uid !== 0;
  throw new VaultError(
    'IO_ERROR',
    `${path} already exists; refusing to create a new vault over it. Nothing was moved.`,
    foreign
      ? `It belongs to another user (uid ${found.uid}), who may have planted it: do not use this folder. Keep the profile in a folder only you can write (the default, ~/.cp-whisperx, is one).`
      : 'Move the old vault files away first (they may hold secrets: keep them until you know), then run the command again.',
  );
}

/**
 * Moves every secret of the profile from `from` to `to` (see the file's
 * comment). Throws (after rolling back) the first failure, CANCELLED on a
 * signal before the commit, CREDENTIAL_CONFLICT-like INVALID_ARGUMENT when
 * the target already holds a different value for a credential.
 */
export async function moveBackend(deps: MoveDeps, from: MoveSide, to: MoveSide, options: MoveOptions = {}): Promise<MoveResult> {
  const signal = options.signal;
  // No profile yet (a fresh host): nothing indexed; the switch creates it naming the target.
  const before = deps.profile.readOrTemplate();
  if (before.kind !== 'profile') throw new VaultError('PROFILE_READ_ONLY', `The only credentials source is the deprecated ${before.path}.`, 'Move it into the vault first: cpw-vault migrate');
  const metaBefore = JSON.stringify(before.profile.credential_metadata);
  refuseConcurrentMove(deps, from.backend);
  for (const f of options.createTarget ? (to.files ?? []) : []) refuseExistingVaultFile(f);
  const indexed = Object.entries(before.profile.credential_metadata).filter(([id, m]) => m.storage === 'keychain' && isSecretCredential(id)).map(([id]) => id);

  // 1. What the source holds. A source that cannot answer with nothing indexed (no keychain on this host, nothing stored) moves nothing.
  options.onPhase?.('reading', indexed.length);
  let listed: string[] = [];
  try {
    listed = await from.store().list();
  } catch (err) {
    if (indexed.length) throw err;
  }
  const ids = [...new Set([...indexed, ...listed.filter(isSecretCredential)])].sort();
  const values = ids.length ? await readMany(from.store(), ids) : new Map<string, string | undefined>();
  const missing = ids.filter((id) => values.get(id) === undefined);
  const moving = ids.filter((id) => values.get(id) !== undefined);
  cancelled(signal);

  const record: MoveRecord = {
    id: randomHex(6),
    owner: currentOwner(),
    started_at: deps.now().toISOString(),
    from: from.backend,
    to: to.backend,
    ids: moving,
    written: [],
    target_files: options.createTarget ? (to.files ?? []) : [],
    source_files: from.files ?? [],
  };
  await writeRecord(deps, record, signal, from.backend);
  options.step?.('recorded');
  let committed = false;
  let created = !options.createTarget;
  try {
    if (options.createTarget) await options.createTarget();
    created = true;
    options.step?.('created');
    // scrypt of a new vault takes seconds: a Ctrl-C meanwhile is honoured here, once the loop has run its handler.
    await afterPendingSignals();
    cancelled(signal);
    // 2. Fill the target. What it already holds with the same value stays; a different value is never overwritten.
    const present = moving.length ? await readMany(to.store(), moving) : new Map<string, string | undefined>();
    const conflicts = moving.filter((id) => present.get(id) !== undefined && present.get(id) !== values.get(id));
    if (conflicts.length) {
      throw new VaultError('INVALID_ARGUMENT', `The ${to.store().description} already holds a different value for ${conflicts.join(', ')}; nothing was moved.`, `Remove those from the ${to.backend} backend first, or keep using the ${from.backend} backend.`);
    }
    record.written = moving.filter((id) => present.get(id) === undefined);
    await writeRecord(deps, record, signal);
    options.onPhase?.('writing', record.written.length);
    const target = to.store();
    if (target.setMany) {
      // One write for all (the vault file rewrites itself whole on each set: n sets made a move quadratic). The record
      // naming them was written first, as for single writes, so a crash after it still rolls back.
      await target.setMany(record.written.map((id) => [id, values.get(id)!] as const), { signal });
      for (const id of record.written) options.step?.(`wrote ${id}`);
      cancelled(signal);
    } else {
      for (const id of record.written) {
        await target.set(id, values.get(id)!);
        options.step?.(`wrote ${id}`);
        cancelled(signal);
      }
    }
    options.onPhase?.('verifying', moving.length);
    const back = moving.length ? await readMany(to.store(), moving) : new Map<string, string | undefined>();
    const wrong = moving.filter((id) => back.get(id) !== values.get(id));
    if (wrong.length) throw new VaultError('KEYCHAIN_ERROR', `Reading ${wrong.join(', ')} back from the ${to.store().description} did not return what was written; nothing was moved.`, 'Check the target backend, then run the command again.');
    cancelled(signal);
    // 3. The commit: one atomic profile write, refused if a writer changed the index meanwhile (its value would be left behind).
    options.onPhase?.('switching', moving.length);
    await deps.profile.update((p) => {
      // A set (another cpw-vault) that stored its value in the source after it was read, its index entry not yet
      // written: committed over it, the switch emptied the source under it, and that set's undo (refused against the new
      // backend) put a value back into a backend no longer in use. Checked under the lock its journal entry is made under.
      const busy = deps.journal().some(liveTransaction);
      if (busy || JSON.stringify(p.credential_metadata ?? {}) !== metaBefore) {
        throw new VaultError('PROFILE_LOCKED', `A credential ${busy ? 'was being changed' : 'changed'} while the backend was being switched; nothing was moved.`, 'Run the command again.');
      }
      return deps.withBackend(p, to.backend);
    }, { signal });
    committed = true;
    options.step?.('switched');
  } catch (err) {
    // Files another process created meanwhile (createTarget refused them) are not ours to remove.
    if (!committed) await rollBack(deps, created ? record : { ...record, target_files: [] }, to.store).catch(() => {});
    throw err;
  }
  // 4. Empty the source; a failure here is finished by the next start (the record stays). The switch stands either way:
  // thrown, it read as a failed switch (exit 4, "retry"), and the retry as "already keeps its secrets there".
  options.onPhase?.('cleaning', moving.length);
  const result: MoveResult = { from: from.backend, to: to.backend, moved: moving, missing };
  try {
    await rollForward(deps, record, from.store, options.step);
  } catch (err) {
    return { ...result, source_left: { code: isVaultError(err) ? err.code : 'IO_ERROR', message: err instanceof Error ? err.message : String(err) } };
  }
  return result;
}

/**
 * Finishes a move a crashed (or failed) process left: forward when the
 * profile names its target, back otherwise. Idempotent. Returns the record
 * it finished and whether it was undone (rolled back: the source stays in
 * use), or undefined when there was none due (none, or its owner is still
 * running).
 */
export async function recoverBackendMove(deps: MoveDeps): Promise<{ record: MoveRecord; undone: boolean } | undefined> {
  const record = readMoveRecord(deps.recordPath);
  if (!record) return undefined;
  if (isCurrentProcess(record.owner) || !ownerIsGone(record.owner, Date.parse(record.started_at), ABANDONED_AFTER_MS)) return undefined;
  // No profile yet: a first switch (setup on a fresh host) killed before it wrote one, so it never committed. Reading
  // the profile threw PROFILE_NOT_FOUND here, and every later start (setup, doctor --repair) failed on it for good.
  const loaded = deps.profile.readOrTemplate();
  const backend = loaded.kind === 'profile' ? (loaded.profile.storage?.backend ?? 'keychain') : 'keychain';
  const undone = backend !== record.to;
  if (undone) await rollBack(deps, record, () => deps.openStore(record.to));
  else await rollForward(deps, record, () => deps.openStore(record.from));
  return { record, undone };
}

/** Removes what a move put in its target (the target is not in use). */
async function rollBack(deps: MoveDeps, record: MoveRecord, target: () => SecretStore): Promise<void> {
  if (record.target_files.length) {
    // The vault files the move created: removed whole (no key needed), vault first, identity last.
    for (const f of [...record.target_files].reverse()) rmSync(f, { force: true });
  } else {
    for (const id of record.written) await target().delete(id);
  }
  await removeRecord(deps);
}

/** Empties the source of a committed move (it is no longer in use). */
async function rollForward(deps: MoveDeps, record: MoveRecord, source: () => SecretStore, step?: (name: string) => void): Promise<void> {
  if (record.source_files.length) {
    for (const f of [...record.source_files].reverse()) {
      rmSync(f, { force: true });
      step?.(`removed ${f}`);
    }
  } else {
    for (const id of record.ids) {
      await source().delete(id);
      step?.(`deleted ${id}`);
    }
  }
  await removeRecord(deps);
}

/**
 * Writes the move's record under the profile's lock; its first write (`from` given) checks that no other switch runs.
 * `signal` ends a wait for the lock with CANCELLED (a SIGTERM was held for the 30 s, then PROFILE_LOCKED, exit 1).
 */
async function writeRecord(deps: MoveDeps, record: MoveRecord, signal: AbortSignal | undefined, from?: string): Promise<void> {
  ensurePrivateDir(dirname(deps.recordPath), deps.dedicatedDir);
  await withFileLock(deps.profile.paths.profile, async (lock) => {
    lock.assertHeld();
    if (from !== undefined) refuseConcurrentMove(deps, from);
    await writeSecureFile(deps.recordPath, `${JSON.stringify(record, null, 1)}\n`, deps.dedicatedDir);
  }, { waitMs: deps.lockWaitMs, signal });
}

async function removeRecord(deps: MoveDeps): Promise<void> {
  rmSync(deps.recordPath, { force: true });
}

function cancelled(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw cancelledError(signal.reason);
}
