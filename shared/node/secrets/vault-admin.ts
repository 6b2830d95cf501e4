import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { hasLoneSurrogate } from '../../core/credential';
import { VaultError, cancelledError, isVaultError } from '../../core/errors';
import { afterPendingSignals } from '../builtins';
import { serializeVaultContent } from '../../core/vault-content';
import { withFileLock } from '../profile/file-lock';
import { ensurePrivateDir } from '../profile/trusted-folder';
import { readVaultIdentity, readPrivateFile, removeTempsOf, writeFileDurably } from './durable-file';
import { MIN_PASSPHRASE_LENGTH, SCRYPT_LOG_N, identityFileText, newVaultKey, openWithPassphrase, parseIdentityFile, sealToRecipient, sealWithPassphrase, type VaultKey } from './vault-crypto';
import { vaultNotFound } from './vault-errors';
import type { VaultFiles } from './vault-files';

/** Pause after a wrong passphrase, on top of scrypt's own cost: guessing stays slow even with a fast machine. */
export const WRONG_PASSPHRASE_DELAY_MS = 1_000;

/** Tuning of the passphrase operations. Defaults are the real ones; tests may lower them. */
export interface PassphraseOptions {
  /** scrypt work factor of a newly written identity file (default age's 18; only tests go lower). */
  logN?: number;
  /** Pause after a wrong passphrase (default 1 s). */
  wrongDelayMs?: number;
  lockWaitMs?: number;
  now?: () => Date;
}

/** An identity file opened with its passphrase: the key, and the exact bytes it came from. */
export interface OpenedIdentity {
  key: VaultKey;
  /** The decrypted identity file, kept as written (comments included). */
  text: string;
  bytes: Buffer;
  passphrase: string;
}

/**
 * Refuses a new passphrase that is too short, only spaces, not UTF-8 text,
 * holding a byte order mark, or equal to the one it replaces
 * (INVALID_ARGUMENT). Bytes that are not UTF-8 (a passphrase file saved
 * in Latin-1, a terminal in another encoding) reach Node as U+FFFD: two different passphrases would open the vault, and
 * the age CLI, which reads the bytes as they are, neither. A vault made
 * with one before this check still unlocks (only new passphrases are judged).
 */
export function checkNewPassphrase(next: string, current?: string): void {
  if (next.includes('\uFFFD') || hasLoneSurrogate(next)) {
    throw new VaultError('INVALID_ARGUMENT', 'The new passphrase is not UTF-8 text (a file saved in another encoding, or a terminal in one): it would not be read back the same by the age CLI.', 'Save it as UTF-8, or choose one of plain characters.');
  }
  // A BOM is what Windows editors (Notepad, PowerShell's UTF8 encoding) put at the start of a passphrase file: kept, it
  // made a vault or export whose passphrase, typed or given to `age -d`, never opened it. Nobody types U+FEFF.
  if (next.includes('\ufeff')) {
    throw new VaultError('INVALID_ARGUMENT', 'The new passphrase holds a byte order mark (U+FEFF, invisible: Windows editors put one at the start of a UTF-8 file); typed again, the passphrase would never match.', "Save the file as UTF-8 without BOM, e.g.: sed -i '1s/^\\xEF\\xBB\\xBF//' FILE");
  }
  // Spaces, or characters that show as nothing (zero-width spaces and joiners, a BOM): not a passphrase anyone can type again.
  if (/^[\s\u200b-\u200d\u2060\ufeff]*$/.test(next)) throw new VaultError('INVALID_ARGUMENT', 'The new passphrase is only spaces (or characters that show as nothing).', 'Choose a real one: four or five random words work well.');
  if ([...next].length < MIN_PASSPHRASE_LENGTH) {
    throw new VaultError('INVALID_ARGUMENT', `The new passphrase is too short: at least ${MIN_PASSPHRASE_LENGTH} characters.`, 'Choose a longer one: four or five random words work well.');
  }
  if (current !== undefined && next === current) throw new VaultError('INVALID_ARGUMENT', 'The new passphrase is the same as the current one.', 'Choose a different passphrase.');
}

/**
 * Opens the identity file with `passphrase` (one scrypt). A wrong
 * passphrase waits `wrongDelayMs`, then throws VAULT_PASSPHRASE_WRONG;
 * a truncated or altered file throws VAULT_CORRUPT; a missing one VAULT_NOT_FOUND.
 */
export async function openIdentity(files: VaultFiles, passphrase: string, options: PassphraseOptions = {}): Promise<OpenedIdentity> {
  const bytes = readVaultIdentity(files.identity);
  if (!bytes) throw vaultNotFound(files.identity, existsSync(files.vault) ? files.vault : undefined);
  try {
    const text = await openWithPassphrase(bytes, passphrase, files.identity);
    return { key: await parseIdentityFile(text, files.identity), text, bytes, passphrase };
  } catch (err) {
    if (isVaultError(err, 'VAULT_PASSPHRASE_WRONG')) await new Promise((r) => setTimeout(r, options.wrongDelayMs ?? WRONG_PASSPHRASE_DELAY_MS));
    throw err;
  }
}

/**
 * Creates the vault of a profile: a new X25519 key, its identity file
 * encrypted with `passphrase` (scrypt), and an empty vault encrypted to it,
 * both 0600 beside the profile, under the profile lock. Refuses
 * (INVALID_ARGUMENT) a short passphrase, (IO_ERROR) when either file exists:
 * a vault is never silently replaced. Returns the new key, so the caller can
 * fill the vault at once (`createFileSecretStore({ key })`) without paying
 * scrypt again; keep it in memory only. `signal` ends a wait for the lock with CANCELLED (`backend use file` behind
 * another's lock, past its move's record, held a SIGTERM for the 30 s, then failed PROFILE_LOCKED, exit 1).
 */
export async function createFileVault(files: VaultFiles, passphrase: string, options: PassphraseOptions & { dedicatedDir?: boolean; signal?: AbortSignal | undefined } = {}): Promise<{ key: VaultKey }> {
  checkNewPassphrase(passphrase);
  ensurePrivateDir(dirname(files.profile), !!options.dedicatedDir);
  return withFileLock(files.profile, async (lock) => {
    for (const f of [files.identity, files.vault]) {
      if (existsSync(f)) throw new VaultError('IO_ERROR', `${f} already exists; refusing to create a new vault over it.`, 'Keep using it (cpw-vault unlock), or move both vault files away first.');
    }
    const key = await newVaultKey();
    const identity = await sealWithPassphrase(identityFileText(key, `cpw-vault identity of ${files.profile}`, (options.now ?? (() => new Date()))()), passphrase, options.logN ?? SCRYPT_LOG_N);
    const vault = await sealToRecipient(key.recipient, serializeVaultContent(new Map()));
    lock.assertHeld();
    writeFileDurably(files.identity, identity, { exclusive: true });
    writeFileDurably(files.vault, vault, { exclusive: true });
    return { key };
  }, { waitMs: options.lockWaitMs, signal: options.signal });
}

/**
 * Re-encrypts the identity file with `next`, for an identity opened with
 * the current passphrase: under the profile lock, after checking the file
 * is still the one that was opened (else VAULT_CORRUPT: "changed
 * meanwhile"). Atomic: a crash at any instant leaves the file opening with
 * exactly one of the two passphrases. The vault file is not touched (its
 * key does not change). Refuses a short `next`, or one equal to the current.
 * `signal` ends a wait for the lock with CANCELLED (a Ctrl-C was held for the 30 s, then PROFILE_LOCKED, exit 1).
 */
export async function changePassphrase(files: VaultFiles, opened: OpenedIdentity, next: string, options: PassphraseOptions & { signal?: AbortSignal } = {}): Promise<void> {
  checkNewPassphrase(next, opened.passphrase);
  await withFileLock(files.profile, async (lock) => {
    removeTempsOf(files.identity);
    const now = readVaultIdentity(files.identity);
    if (!now || !now.equals(opened.bytes)) {
      throw new VaultError('VAULT_CORRUPT', `${files.identity} changed while the passphrase was being changed; nothing was written.`, 'Run cpw-vault passphrase change again.');
    }
    const sealed = await sealWithPassphrase(opened.text, next, options.logN ?? SCRYPT_LOG_N);
    // A Ctrl-C during the seconds of scrypt (it holds the thread: the signal waits in the event loop) is heard before
    // the file is replaced, not after: the change went through and said ✓ to a user who had asked to stop.
    await afterPendingSignals();
    if (options.signal?.aborted) throw cancelledError(options.signal.reason);
    lock.assertHeld();
    writeFileDurably(files.identity, sealed);
    const back = readPrivateFile(files.identity);
    if (!back || !back.equals(Buffer.from(sealed))) throw new VaultError('IO_ERROR', `${files.identity} did not read back as written.`, 'Check the disk, then open the vault with the new passphrase (or the old one if it still works).');
  }, { waitMs: options.lockWaitMs, signal: options.signal });
}
