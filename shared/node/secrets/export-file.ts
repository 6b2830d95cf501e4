import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { armor } from 'age-encryption';
import { isVaultError, VaultError } from '../../core/errors';
import { MAX_EXPORT_CREDENTIALS, parseExport, type ExportDocument, type ExportedCredential } from '../../core/vault-export';
import { storedIn } from '../../core/secret-store';
import type { Vault } from '../vault/vault';
import { assertWritableTarget, readRegularFile, writeFileDurably } from './durable-file';
import { SCRYPT_LOG_N, openWithPassphrase, sealWithPassphrase } from './vault-crypto';
import { WRONG_PASSPHRASE_DELAY_MS } from './vault-admin';
import { corruptFile } from './vault-errors';
import { ensurePrivateDir } from '../profile/trusted-folder';
import { ioError } from '../profile/file-access';

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
/**
 * Largest export file import reads (a hostile file is decrypted in memory). Above the vault file's 16 MiB: an
 * export of 40,000 credentials is ~16 MB, and one a vault can hold must read back.
 */
export const MAX_EXPORT_BYTES = 64 * 1024 * 1024;
/** What age adds to the text it seals (a header, 16 bytes per 64 KiB chunk), with room to spare. */
const SEAL_MARGIN_BYTES = 64 * 1024;

/**
 * The fix when the folder of a new export (or identity backup) is not one to
 * write in; `option` is how the user chooses another place ("--to FILE").
 */
export function exportElsewhere(option?: string): string {
  const where = option ? `give a path in a folder of your own with ${option}` : 'choose a file in a folder of your own';
  return `Nothing was written: another user could rename, replace or remove the file there; ${where} (mkdir -m 700 DIR first).`;
}

/**
 * Checks, before any question or scrypt, that a new export (or identity
 * backup) can be written at `path`: nothing there, no link (dangling too),
 * and a folder that exists and that no other user controls. Another user's
 * folder, or their link to one, is refused as migration refuses its backup
 * folder (the file is encrypted, but they could swap it for one of theirs);
 * a folder of the user's own, or a sticky shared one like /tmp (the file is
 * created O_EXCL|O_NOFOLLOW), is fine. `elsewhere`: the fix
 * ({@link exportElsewhere}). Throws IO_ERROR, PROFILE_SYMLINK,
 * PROFILE_PERMISSIONS or PROFILE_INVALID.
 */
export function assertExportTarget(path: string, elsewhere = exportElsewhere()): void {
  assertWritableTarget(path, { exclusive: true }); // a missing folder is said first: ensurePrivateDir would create it
  ensurePrivateDir(dirname(path), false, elsewhere);
}

/**
 * Every stored credential with its value (from the keychain, the vault file
 * or the profile slot) and its metadata, for an export. The values are read
 * in one batch: one at a time, the vault file was decrypted whole for each
 * (an export of 4,000 credentials took 3 minutes, of 10,000 about 20), and
 * the keychain answered one D-Bus round trip per value. `warn` hears of a
 * credential listed without a stored value (left out).
 */
export async function exportedCredentials(vault: Pick<Vault, 'listCredentials' | 'storedValues' | 'backend'>, warn: (message: string) => void): Promise<ExportedCredential[]> {
  const listed = vault.listCredentials().filter((c) => c.meta);
  const values = await vault.storedValues(listed.map((c) => c.id));
  const out: ExportedCredential[] = [];
  for (const c of listed) {
    const value = values.get(c.id);
    if (value === undefined) {
      warn(`${c.id} is listed but has no stored value; it is not in the export.`);
      continue;
    }
    // The export names the backend ("file"), where the profile's index says "keychain" for the secret store.
    out.push({ id: c.id, value, meta: { ...c.meta!, storage: storedIn(c.meta!.storage, vault.backend()) } });
  }
  return out;
}

/**
 * Writes an export document to `path` as an age file encrypted with
 * `passphrase` (scrypt, age's default work factor): 0600, durable, and never
 * over an existing file (IO_ERROR). `age -d FILE` opens it. `whileSealing`
 * wraps the seconds of scrypt (the CLI holds a Ctrl-C then, and cancels
 * before anything is written).
 */
export async function writeExportFile(path: string, doc: ExportDocument, passphrase: string, options: { logN?: number; whileSealing?: <T>(seal: () => Promise<T>) => Promise<T>; elsewhere?: string } = {}): Promise<void> {
  assertExportTarget(path, options.elsewhere); // refused before the seconds of scrypt, not after
  const text = JSON.stringify(doc, null, 2);
  // Never a backup import would refuse: checked against import's own bounds, before the seconds of scrypt.
  const bytes = Buffer.byteLength(text);
  if (doc.credentials.length > MAX_EXPORT_CREDENTIALS || bytes > MAX_EXPORT_BYTES - SEAL_MARGIN_BYTES) {
    throw new VaultError('PROFILE_TOO_LARGE', `An export of ${doc.credentials.length} credentials (${bytes} bytes) is over what import reads back (${MAX_EXPORT_CREDENTIALS} credentials, ${MAX_EXPORT_BYTES} bytes); nothing was written.`, 'Delete the credentials you no longer use (cpw-vault delete), then export again.');
  }
  const seal = () => sealWithPassphrase(text, passphrase, options.logN ?? SCRYPT_LOG_N);
  const sealed = await (options.whileSealing ? options.whileSealing(seal) : seal());
  assertExportTarget(path, options.elsewhere); // again: the folder may have been swapped during the scrypt
  writeFileDurably(path, sealed, { exclusive: true });
}

/**
 * Checks that `path` names an export file to read, before its passphrase is
 * asked: a typo, a folder or a FIFO was said only after the passphrase had
 * been typed (and "Decrypting the export..." shown). Throws
 * INVALID_ARGUMENT (nothing there, not a regular file), PROFILE_TOO_LARGE or PROFILE_SYMLINK;
 * {@link readExportFile} checks again as it opens it.
 */
export function assertExportFile(path: string): void {
  let s;
  try {
    s = lstatSync(path, { throwIfNoEntry: false });
  } catch (err) {
    // A name under a file (notes.txt/x.age) names nothing, as a missing one does; a folder one may not enter or a name
    // too long is said as such. Thrown as they were, they ended as "INTERNAL: this is a bug in cpw-vault".
    if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw ioError(err, path);
  }
  if (!s) throw new VaultError('INVALID_ARGUMENT', `There is no export file at ${path}; nothing was changed.`, 'Check the path: the file cpw-vault export --to wrote (or age -p).');
  if (s.isSymbolicLink()) throw new VaultError('PROFILE_SYMLINK', `${path} is a symbolic link; refusing to follow it.`, 'Give the path of an export file itself.');
  if (!s.isFile()) throw new VaultError('INVALID_ARGUMENT', `${path} is not a regular file.`, 'Give the path of an export file.');
  if (s.size > MAX_EXPORT_BYTES) throw new VaultError('PROFILE_TOO_LARGE', `${path} is ${s.size} bytes, over the ${MAX_EXPORT_BYTES}-byte limit.`, 'Check that this is an export file.');
}

/**
 * Reads an export file with its passphrase, for import: decrypts it and
 * checks its structure ({@link parseExport}). Binary or ASCII-armored (what
 * `age -p -a` writes: `age -d` opens both). Throws VAULT_PASSPHRASE_WRONG
 * (after a short pause), VAULT_CORRUPT (truncated, tampered, no age file),
 * EXPORT_INVALID (decrypts but is no export), IO_ERROR / PROFILE_SYMLINK.
 * The file may have any mode: it is encrypted (a copy from another machine).
 */
export async function readExportFile(path: string, passphrase: string, options: { wrongDelayMs?: number } = {}): Promise<ExportDocument> {
  const bytes = readRegularFile(path, { what: 'an export file', mustExist: true, maxBytes: MAX_EXPORT_BYTES })!;
  try {
    return parseExport(await openWithPassphrase(unarmored(bytes, path), passphrase, path, 'this export cannot be opened: make a new one from a vault that holds the keys (cpw-vault export).'));
  } catch (err) {
    if (isVaultError(err, 'VAULT_PASSPHRASE_WRONG')) await new Promise((r) => setTimeout(r, options.wrongDelayMs ?? WRONG_PASSPHRASE_DELAY_MS));
    // The vault's own fix ("restore it from a backup, or import an export") is no help for the export being imported.
    if (isVaultError(err, 'VAULT_CORRUPT')) throw new VaultError('VAULT_CORRUPT', err.message, `Check that ${path} is the file cpw-vault export (or age -p) wrote, copied whole; if it is, make the export again from the vault it came from.`, { cause: err });
    throw err;
  }
}

/** The age bytes of an export: armor (age -a) taken off, as age -d does. Throws VAULT_CORRUPT for broken armor. */
function unarmored(bytes: Buffer, path: string): Uint8Array {
  if (!bytes.subarray(0, 1024).toString('latin1').trimStart().startsWith(ARMOR_BEGIN)) return bytes;
  try {
    return armor.decode(bytes.toString('latin1'));
  } catch {
    throw corruptFile(path, 'its ASCII armor is broken (truncated or edited)');
  }
}

