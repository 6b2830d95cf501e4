import { randomHex } from '../builtins';
import { closeSync, constants, fchmodSync, fstatSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { valueProblem, type CredentialId } from '../../core/credential';
import { isPlaintextSecret } from '../../core/profile-index';
import { VaultError, isVaultError } from '../../core/errors';
import { planMigration, type ApplyResult, type MigrationPlan, type PlanChoices, type RowResult, type StoredComparison } from '../../core/migration-plan';
import type { ParsedSource } from '../../core/migration-sources';
import { registerSecret } from '../../core/redact';
import type { CredentialStore } from '../credentials/credential-store';
import type { CredentialChange } from '../credentials/credential-change';
import { ensurePrivateDir } from '../profile/trusted-folder';
import { READ_DATA_NOFOLLOW } from '../profile/file-access';
import { readAllBytes } from '../profile/secure-fs';
import { notUndone } from '../../core/journal';
import { isTheProfile } from './own-files';
import { backupsOf } from './backups';
import { removable, removeIfAllMigrated } from './plaintext-removal';

export type { ApplyResult, RowResult } from '../../core/migration-plan';

/**
 * Plans a migration against what is stored now: `stored` reads every target
 * in one batch (a locked keychain throws). Returns the plan (no values) and, separately,
 * the values read, which the apply that follows may reuse instead of reading again.
 */
export async function planMigrationFor(source: ParsedSource, choices: PlanChoices, stored: (ids: CredentialId[]) => Promise<Map<CredentialId, string | undefined>>): Promise<{ plan: MigrationPlan; stored: Map<CredentialId, string | undefined> }> {
  const ids = new Set<CredentialId>();
  for (const entry of source.entries) {
    const id = entry.target ?? entry.customTarget?.id;
    // Only what the plan compares: an entry it refuses for its value (empty, too long, not text) is never stored, and
    // reading its target anyway made a .env of 5,000 empty lines read 5,000 keychain values (over the command's
    // deadline on a loaded machine: KEYCHAIN_TIMEOUT, nothing migrated).
    if (id && !entry.problem && !valueProblem(entry.value)) ids.add(id);
    // A value that may become a credential is a secret from here on; an unknown key's only when unknown keys are
    // imported (a `"project": "cp-whisperx"` was redacted out of every later message and audit path otherwise).
    const mayBeStored = entry.target !== undefined || (!!entry.customTarget && !!choices.includeUnknown);
    if (mayBeStored && typeof entry.value === 'string' && entry.value.trim().length >= 4) registerSecret(entry.value.trim());
  }
  const values = await stored([...ids]);
  for (const v of values.values()) if (v !== undefined) registerSecret(v);
  const compare = (id: CredentialId, value: string): StoredComparison => {
    const current = values.get(id);
    return current === undefined ? 'absent' : current === value ? 'same' : 'different';
  };
  return { plan: planMigration(source, compare, choices), stored: values };
}

/** How to apply a plan. */
export interface ApplyOptions {
  backupDir?: string;
  removePlaintext?: boolean;
  now?: Date;
  /** Progress for long runs: called before each keychain write. */
  onProgress?: (done: number, total: number, id: CredentialId) => void;
  /** Aborts (SIGINT, SIGTERM, SIGHUP): everything is rolled back and CANCELLED thrown. */
  signal?: AbortSignal;
  /**
   * The user named the source (--from): only then may --remove-plaintext
   * delete the HuggingFace CLI's own token file (found by default it is that
   * tool's login, not a file the user handed over).
   */
  sourceNamed?: boolean;
}

function timestamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');
}

/** The fix when the backup's folder cannot be trusted. */
const BACKUP_ELSEWHERE = 'Nothing was changed: the migration writes a plaintext backup of the source there; give a folder of your own with --backup-dir DIR (mkdir -m 700 DIR first).';

/** A backup name no other run can have picked: the time, then random hex. */
function backupPath(source: string, backupDir: string, now: Date): string {
  // Absolute: the journal names it for recovery, which may run from another folder.
  return resolve(backupDir, `${basename(source)}.backup-${timestamp(now)}-${randomHex(3)}`);
}

/**
 * Copies the source into a new file (never over an existing one), 0600. The
 * source is opened as it was read for the plan: never through a link, and
 * without blocking (a FIFO swapped in since is refused, not waited on).
 */
function writeBackup(source: string, target: string, backupDir: string): void {
  let input: number | undefined;
  let output: number | undefined;
  let bytes: Buffer;
  try {
    input = openSync(source, READ_DATA_NOFOLLOW);
    const s = fstatSync(input);
    if (!s.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' });
    bytes = readAllBytes(input, s.size);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new VaultError('IO_ERROR', `Cannot read ${source} again for its backup (${code === 'EINVAL' ? 'no longer a regular file' : code}); nothing was changed.`, 'Check that the file is still there, then migrate again.', { cause: err });
  } finally {
    if (input !== undefined) closeSync(input);
  }
  try {
    output = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    fchmodSync(output, 0o600); // whatever the umask: a backup of secrets is private
    writeFileSync(output, bytes);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    if (output !== undefined) rmSync(target, { force: true }); // ours, half-made; an existing file is never touched
    throw new VaultError('IO_ERROR', `Cannot write the backup in ${backupDir} (${code}); nothing was changed.`, 'Choose a writable folder with --backup-dir DIR.', { cause: err });
  } finally {
    if (output !== undefined) closeSync(output);
  }
}

/** The refusal of an in-place migration that would leave `rows`' values (not stored by this run) only in the backup. */
function droppedInPlace(path: string, rows: MigrationPlan['rows']): VaultError {
  const names = (action: string) => rows.filter((r) => r.action === action).map((r) => r.target ?? r.sourceKey);
  const [conflicts, unknown, invalid] = [names('conflict'), names('unknown'), names('invalid')];
  const why = [
    conflicts.length ? `${conflicts.join(', ')}: a different value is in the keychain, and the plan keeps that one` : '',
    unknown.length ? `${unknown.join(', ')}: not a known credential, not imported` : '',
    invalid.length ? `${invalid.join(', ')}: invalid, the plan's note says why` : '',
  ].filter(Boolean);
  const ways = [
    conflicts.length ? `To take the profile's value: add --overwrite ${conflicts.join(' --overwrite ')}.` : '',
    unknown.length ? 'To store an unknown key the plan offers to import: add --include-unknown.' : '',
    // Not `cpw-vault set`: it refuses a profile that still holds plaintext.
    `Otherwise correct or empty each slot in ${path} yourself (keeping or dropping its value is your call), then migrate again.`,
  ].filter(Boolean);
  return new VaultError('INVALID_ARGUMENT', `Migrating ${path} in place would empty the profile's own slots of values this run does not store (${why.join('; ')}): they would be left only in the backup. Nothing was changed.`, ways.join(' '));
}

/**
 * Applies a plan all or nothing, as one credential-store transaction: a 0600
 * backup of the source (created after the intent is journaled, removed on
 * rollback), each chosen secret written and read back, then the metadata in
 * one profile write. If any write or read-back fails, or the signal fires,
 * every change is undone (previous values back, new ones removed, backup
 * deleted, source untouched); a failure is reported per row, CANCELLED is
 * thrown. A seed profile migrated in place has its plaintext slots emptied
 * by the commit itself.
 */
export async function applyMigration(
  credentials: CredentialStore,
  source: ParsedSource,
  plan: MigrationPlan,
  options: ApplyOptions & { profilePath: string; known?: ReadonlyMap<CredentialId, string | undefined> | undefined },
): Promise<ApplyResult> {
  const now = options.now ?? new Date();
  const chosen = plan.rows.filter((r) => r.apply && r.target);
  const rows: RowResult[] = plan.rows.map((r) => ({
    sourceKey: r.sourceKey, target: r.target,
    status: r.action === 'identical' ? 'identical' : r.action === 'invalid' ? 'invalid' : 'skipped',
  }));
  const inPlace = isTheProfile(source.path, options.profilePath);
  // In place, the commit empties every plaintext slot (what isPlaintextSecret says: a seed entry's sourceKey is its
  // slot's id): a value this run does not store (a skipped conflict, an unknown or invalid entry) would then live only
  // in the backup.
  const dropped = inPlace ? plan.rows.filter((r) => !r.apply && r.action !== 'identical' && isPlaintextSecret(source.entries[r.index]!.sourceKey, source.entries[r.index]!.value)) : [];
  if (dropped.length) throw droppedInPlace(source.path, dropped);
  const backupDir = options.backupDir ?? dirname(source.path);
  if (!chosen.length && !inPlace) {
    // Nothing to write (a re-run): the plaintext left is the source and the backups earlier runs made of it.
    const result: ApplyResult = { ok: true, rows, imported: 0, plaintextLeft: [source.path, ...backupsOf(source.path, backupDir)], removed: [] };
    return removeIfAllMigrated(result, plan, removable(source, options, []), options);
  }
  // The backup is plaintext: a folder another user owns (or their link) is refused, and the way out is another
  // backup folder, not another profile (the fix the profile's own writes give).
  ensurePrivateDir(backupDir, false, BACKUP_ELSEWHERE);
  const backup = backupPath(source.path, backupDir, now);
  const changes: CredentialChange[] = chosen.map((row) => ({ kind: 'set', id: row.target!, value: (source.entries[row.index]!.value as string).trim(), envVar: row.envVar }));
  let current: number | undefined;
  try {
    await credentials.commit(changes, {
      signal: options.signal,
      known: options.known,
      stripPlaintext: inPlace,
      allowOverLegacy: true,
      files: [{ path: backup, create: () => writeBackup(source.path, backup, backupDir) }],
      onProgress: (done, total, id) => {
        current = done;
        options.onProgress?.(done, total, id);
      },
    });
  } catch (err) {
    // Not a keychain write that failed (the backup, the profile, a signal): nothing to say per row.
    if (current === undefined || isVaultError(err, 'CANCELLED', 'IO_ERROR', 'PROFILE_LOCKED')) throw err;
    const left = new Set(notUndone(err));
    for (const [i, row] of chosen.entries()) rows[row.index]!.status = left.has(row.target!) ? 'not_undone' : i < current ? 'rolled_back' : 'skipped';
    const failed = chosen[current]!;
    const why = isVaultError(err) ? { error: err.message, code: err.code, fix: err.fix } : { error: err instanceof Error ? err.message : String(err) };
    // The row whose write failed may have landed all the same (a keychain that stopped answering after taking it).
    rows[failed.index] = { ...rows[failed.index]!, status: left.has(failed.target!) ? 'not_undone' : 'failed', ...why };
    // An undo that did not finish leaves the backup (the next full start removes it): it is named, not left unsaid.
    return { ok: false, rows, imported: 0, plaintextLeft: [source.path], removed: [], ...(left.size ? { notUndone: [...left], backup } : {}) };
  }
  for (const row of chosen) rows[row.index]!.status = 'imported';
  const result: ApplyResult = { ok: true, rows, imported: chosen.length, backup, plaintextLeft: inPlace ? [backup] : [source.path, backup], removed: [] };
  return removeIfAllMigrated(result, plan, removable(source, options, [backup]), options);
}
