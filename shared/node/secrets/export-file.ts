import { isVaultError } from '../../core/errors';
import { parseExport, type ExportDocument } from '../../core/vault-export';
import { assertWritableTarget, readRegularFile, writeFileDurably } from './durable-file';
import { SCRYPT_LOG_N, openWithPassphrase, sealWithPassphrase } from './vault-crypto';
import { WRONG_PASSPHRASE_DELAY_MS } from './vault-admin';

/**
 * Writes an export document to `path` as an age file encrypted with
 * `passphrase` (scrypt, age's default work factor): 0600, durable, and never
 * over an existing file (IO_ERROR). `age -d FILE` opens it. `whileSealing`
 * wraps the seconds of scrypt (the CLI holds a Ctrl-C then, and cancels
 * before anything is written).
 */
export async function writeExportFile(path: string, doc: ExportDocument, passphrase: string, options: { logN?: number; whileSealing?: <T>(seal: () => Promise<T>) => Promise<T> } = {}): Promise<void> {
  assertWritableTarget(path, { exclusive: true }); // refused before the seconds of scrypt, not after
  const seal = () => sealWithPassphrase(JSON.stringify(doc, null, 2), passphrase, options.logN ?? SCRYPT_LOG_N);
  const sealed = await (options.whileSealing ? options.whileSealing(seal) : seal());
  writeFileDurably(path, sealed, { exclusive: true });
}

/**
 * Reads an export file with its passphrase, for import: decrypts it and
 * checks its structure ({@link parseExport}). Throws VAULT_PASSPHRASE_WRONG
 * (after a short pause), VAULT_CORRUPT (truncated, tampered, no age file),
 * EXPORT_INVALID (decrypts but is no export), IO_ERROR / PROFILE_SYMLINK.
 * The file may have any mode: it is encrypted (a copy from another machine).
 */
export async function readExportFile(path: string, passphrase: string, options: { wrongDelayMs?: number } = {}): Promise<ExportDocument> {
  const bytes = readRegularFile(path, { what: 'an export file', mustExist: true })!;
  try {
    return parseExport(await openWithPassphrase(bytes, passphrase, path, 'this export cannot be opened: make a new one from a vault that holds the keys (cpw-vault export).'));
  } catch (err) {
    if (isVaultError(err, 'VAULT_PASSPHRASE_WRONG')) await new Promise((r) => setTimeout(r, options.wrongDelayMs ?? WRONG_PASSPHRASE_DELAY_MS));
    throw err;
  }
}

