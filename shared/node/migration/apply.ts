import { closeSync, constants, copyFileSync, existsSync, fchmodSync, fstatSync, openSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { catalogEntry } from '../../core/catalog';
import { type CredentialId } from '../../core/credential';
import { VaultError } from '../../core/errors';
import { planMigration, type ApplyResult, type MigrationPlan, type PlanChoices, type RowResult, type StoredComparison } from '../../core/migration-plan';

export type { ApplyResult, RowResult } from '../../core/migration-plan';
import { MAX_SOURCE_BYTES, parseDotenv, parseHfTokenFile, parseJsonSource, type ParsedSource } from '../../core/migration-sources';
import type { Profile } from '../../core/profile-schema';
import { registerSecret } from '../../core/redact';
import { LEGACY_SECRETS_PATH } from '../profile/paths';
import { ensurePrivateDir, ioError, readAllText } from '../profile/secure-fs';
import { withCredential, type Vault } from '../vault';

/** Where the HuggingFace CLI keeps its token: $HF_HOME/token, else ~/.cache/huggingface/token. */
export function hfTokenPath(env: Readonly<Record<string, string | undefined>>, home = homedir()): string {
  return env['HF_HOME'] ? join(env['HF_HOME'], 'token') : join(home, '.cache', 'huggingface', 'token');
}

/** Reads a source file: a regular file, at most 1 MiB, read errors as clear VaultErrors (nothing quoted). */
function readSourceText(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new VaultError('INVALID_ARGUMENT', `${path} does not exist.`, 'Give the file to migrate with --from PATH.');
    if (code === 'ELOOP') throw new VaultError('INVALID_ARGUMENT', `${path} is a symbolic link; refusing to follow it.`, 'Point --from at the real file.');
    throw ioError(err, path);
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) throw new VaultError('INVALID_ARGUMENT', `${path} is not a regular file.`, 'Point --from at a secrets file.');
    if (s.size > MAX_SOURCE_BYTES) throw new VaultError('INVALID_ARGUMENT', `${path} is ${s.size} bytes; migration sources are at most ${MAX_SOURCE_BYTES} bytes.`, 'Check that this is the right file.');
    return readAllText(fd, s.size);
  } catch (err) {
    if (err instanceof VaultError) throw err;
    throw ioError(err, path);
  } finally {
    closeSync(fd);
  }
}

/** Parses a source, recognising its kind by name and content. */
export function readSource(path: string, env: Readonly<Record<string, string | undefined>> = process.env): ParsedSource {
  const text = readSourceText(path);
  const name = basename(path);
  if (resolve(path) === resolve(hfTokenPath(env))) return parseHfTokenFile(path, text);
  if (name === '.env' || name.startsWith('.env.') || name.endsWith('.env')) return parseDotenv(path, text);
  return parseJsonSource(path, text);
}

/**
 * The source to migrate when none is given: config/secrets.json in the
 * working directory, else a seed profile holding plaintext, else the
 * HuggingFace token file. Undefined when there is nothing.
 */
export function findDefaultSource(vault: Vault, cwd: string, env: Readonly<Record<string, string | undefined>>, home = homedir()): string | undefined {
  const secrets = resolve(cwd, LEGACY_SECRETS_PATH);
  if (existsSync(secrets)) return secrets;
  const profile = vault.paths.profile;
  try {
    const parsed = existsSync(profile) ? readSource(profile, env) : undefined;
    if (parsed?.kind === 'seed-profile' && parsed.entries.length) return profile;
  } catch {
    // not a readable seed profile: nothing to migrate there
  }
  const hf = hfTokenPath(env, home);
  return existsSync(hf) ? hf : undefined;
}

/**
 * What is stored now for `id` in the vault's own storage: the keychain, or
 * the profile slot for non-secrets. Never the deprecated secrets.json (which
 * may be the very source being migrated).
 */
async function storedNow(vault: Vault, id: CredentialId): Promise<string | undefined> {
  if (catalogEntry(id)?.secret !== false) return vault.secrets.get(id);
  const e = catalogEntry(id)!;
  let slot: unknown;
  try {
    const view = vault.getProfile();
    slot = view.kind === 'profile' ? view.profile[e.section][e.service]?.[e.key] : undefined;
  } catch {
    slot = undefined; // the profile is itself the (plaintext) source: nothing stored yet
  }
  return typeof slot === 'string' && slot !== '' ? slot : undefined;
}

/** Plans a migration against what the keychain holds now (reads each target; a locked keychain throws). */
export async function planFor(vault: Vault, source: ParsedSource, choices: PlanChoices = {}): Promise<MigrationPlan> {
  const stored = new Map<CredentialId, string | undefined>();
  for (const entry of source.entries) {
    const id = entry.target ?? entry.customTarget?.id;
    if (id && !stored.has(id) && typeof entry.value === 'string') stored.set(id, await storedNow(vault, id));
    if (typeof entry.value === 'string' && entry.value.trim().length >= 4) registerSecret(entry.value.trim());
  }
  const compare = (id: CredentialId, value: string): StoredComparison => {
    const current = stored.get(id);
    return current === undefined ? 'absent' : current === value ? 'same' : 'different';
  };
  return planMigration(source, compare, choices);
}

export interface ApplyOptions {
  backupDir?: string;
  removePlaintext?: boolean;
  now?: Date;
  /** Progress for long runs: called before each keychain write. */
  onProgress?: (done: number, total: number, id: CredentialId) => void;
}


function timestamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');
}

/** Copies the source into the backup folder, 0600, never over an existing file. */
function backupSource(source: string, backupDir: string, now: Date): string {
  ensurePrivateDir(backupDir, false);
  const target = join(backupDir, `${basename(source)}.backup-${timestamp(now)}`);
  try {
    copyFileSync(source, target, constants.COPYFILE_EXCL);
    // copyFile keeps the source mode; a backup of secrets is private whatever the source was.
    const fd = openSync(target, constants.O_RDONLY);
    try {
      fchmodSync(fd, 0o600);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    rmSync(target, { force: true });
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new VaultError('IO_ERROR', `Cannot write the backup in ${backupDir} (${code}); nothing was changed.`, 'Choose a writable folder with --backup-dir DIR.', { cause: err });
  }
  return target;
}

/**
 * Applies a plan, all or nothing, under the profile lock: backs the source up
 * (0600), writes each chosen secret to the keychain and reads it back, then
 * records metadata in the profile and the audit log. If any write or
 * read-back (or the profile write) fails, every keychain item this run
 * changed is put back (previous values restored, new ones removed), the
 * backup is removed and the source is left untouched; the result says what
 * happened per key. A seed profile migrated in place has its plaintext slots
 * emptied in the same atomic write.
 */
export async function applyMigration(vault: Vault, source: ParsedSource, plan: MigrationPlan, options: ApplyOptions = {}): Promise<ApplyResult> {
  const now = options.now ?? new Date();
  const chosen = plan.rows.filter((r) => r.apply && r.target);
  const rows: RowResult[] = plan.rows.map((r) => ({
    sourceKey: r.sourceKey, target: r.target,
    status: r.action === 'identical' ? 'identical' : r.action === 'invalid' ? 'invalid' : 'skipped',
  }));
  const inPlace = resolve(source.path) === resolve(vault.paths.profile);
  const backupDir = options.backupDir ?? dirname(source.path);
  if (!chosen.length && !inPlace) {
    // Nothing to write (a re-run): the plaintext left is the source and the backups earlier runs made of it.
    return removeIfAllMigrated({ ok: true, rows, imported: 0, plaintextLeft: [source.path, ...earlierBackups(source.path, backupDir)], removed: [] }, !!options.removePlaintext);
  }

  const backup = backupSource(source.path, backupDir, now);
  const written: Array<{ id: CredentialId; previous: string | undefined }> = [];
  let failedAt: { index: number; message: string } | undefined;
  try {
    await vault.store.update(async (profile) => {
      let next: Profile = profile;
      for (const [i, row] of chosen.entries()) {
        const id = row.target!;
        const value = (source.entries[row.index]!.value as string).trim();
        options.onProgress?.(i, chosen.length, id);
        try {
          next = await writeOne(vault, next, id, value, row.envVar, now, written);
        } catch (err) {
          failedAt = { index: row.index, message: err instanceof Error ? err.message : String(err) };
          throw err;
        }
        rows[row.index]!.status = 'imported';
      }
      return next;
    }, { allowOverLegacy: true, stripPlaintext: inPlace });
  } catch (err) {
    for (const w of written.reverse()) await vault.restore(w.id, w.previous);
    rmSync(backup, { force: true });
    for (const r of rows) if (r.status === 'imported') r.status = 'rolled_back';
    if (failedAt) rows[failedAt.index] = { ...rows[failedAt.index]!, status: 'failed', error: failedAt.message };
    if (!failedAt) throw err;
    return { ok: false, rows, imported: 0, plaintextLeft: [source.path], removed: [] };
  }
  await vault.recordMigration({ source: source.path, imported: written.length, backup });
  const result: ApplyResult = { ok: true, rows, imported: written.length, backup, plaintextLeft: inPlace ? [backup] : [source.path, backup], removed: [] };
  return removeIfAllMigrated(result, !!options.removePlaintext);
}

/** Backups an earlier run made of `source` in `dir` (`<name>.backup-<timestamp>`). */
function earlierBackups(source: string, dir: string): string[] {
  const prefix = `${basename(source)}.backup-`;
  try {
    return readdirSync(dir).filter((f) => f.startsWith(prefix)).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/**
 * --remove-plaintext: deletes the plaintext files only when every entry of
 * the source is now verified in the vault (imported or identical). Skipped
 * conflicts, unknown or invalid entries would be lost with the file, so then
 * the files stay and `kept` says why.
 */
function removeIfAllMigrated(result: ApplyResult, remove: boolean): ApplyResult {
  if (!remove) return result;
  const left = result.rows.filter((r) => r.status !== 'imported' && r.status !== 'identical');
  if (left.length) {
    result.kept = `${left.length} entr${left.length === 1 ? 'y was' : 'ies were'} not migrated (${left.map((r) => r.sourceKey).join(', ')}); the plaintext files were kept so nothing is lost.`;
    return result;
  }
  for (const file of result.plaintextLeft) {
    rmSync(file, { force: true });
    result.removed.push(file);
  }
  result.plaintextLeft = [];
  delete result.backup;
  return result;
}

/** Writes one secret, verifies it by reading it back, and returns the profile with its metadata. */
async function writeOne(vault: Vault, profile: Profile, id: CredentialId, value: string, envVar: string | undefined, now: Date, written: Array<{ id: CredentialId; previous: string | undefined }>): Promise<Profile> {
  const next = withCredential(profile, id, value, now, { envVar: catalogEntry(id) ? undefined : envVar });
  if (catalogEntry(id)?.secret === false) return next;
  const previous = await vault.secrets.get(id);
  written.push({ id, previous });
  await vault.secrets.set(id, value);
  const readBack = await vault.secrets.get(id);
  if (readBack !== value) throw new VaultError('KEYCHAIN_ERROR', `Reading ${id} back from the keychain did not return what was written.`, 'Check the keychain (Seahorse) and retry; nothing was changed.');
  return next;
}
