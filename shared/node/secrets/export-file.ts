import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { VaultError, isVaultError } from '../../core/errors';
import { parseExport, type ExportDocument } from '../../core/vault-export';
import { ioError } from '../profile/secure-fs';
import { MAX_VAULT_FILE_BYTES, writeFileDurably } from './durable-file';
import { SCRYPT_LOG_N, openWithPassphrase, sealWithPassphrase } from './vault-crypto';
import { WRONG_PASSPHRASE_DELAY_MS } from './vault-admin';

/**
 * Writes an export document to `path` as an age file encrypted with
 * `passphrase` (scrypt, age's default work factor): 0600, durable, and never
 * over an existing file (IO_ERROR). `age -d FILE` opens it.
 */
export async function writeExportFile(path: string, doc: ExportDocument, passphrase: string, options: { logN?: number } = {}): Promise<void> {
  const sealed = await sealWithPassphrase(JSON.stringify(doc, null, 2), passphrase, options.logN ?? SCRYPT_LOG_N);
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
  const bytes = readBounded(path);
  try {
    return parseExport(await openWithPassphrase(bytes, passphrase, path));
  } catch (err) {
    if (isVaultError(err, 'VAULT_PASSPHRASE_WRONG')) await new Promise((r) => setTimeout(r, options.wrongDelayMs ?? WRONG_PASSPHRASE_DELAY_MS));
    throw err;
  }
}

function readBounded(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new VaultError('PROFILE_SYMLINK', `${path} is a symbolic link; refusing to follow it.`, 'Give the path of the file itself.');
    throw ioError(err, path);
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) throw new VaultError('INVALID_ARGUMENT', `${path} is not a regular file.`, 'Give the path of an export file.');
    if (s.size > MAX_VAULT_FILE_BYTES) throw new VaultError('PROFILE_TOO_LARGE', `${path} is ${s.size} bytes, over the ${MAX_VAULT_FILE_BYTES}-byte limit.`, 'Check that this is an export file.');
    const buf = Buffer.alloc(s.size);
    let read = 0;
    while (read < s.size) {
      const n = readSync(fd, buf, read, s.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
