import { isVaultError, VaultError } from '../../core/errors';
import { MAX_VAULT_FILE_BYTES } from './durable-file';
import { keyMismatch } from './vault-errors';

/** A way to decrypt the vault and the recipient to encrypt it to: the agent, or a key unlocked in this process. */
export interface Unlocked {
  decrypt(bytes: Uint8Array): Promise<string>;
  recipient: string;
  viaAgent: boolean;
}

/**
 * `text` sealed to the key's recipient, once the key has opened it again, for the vault file at `vaultPath`. The
 * recipient is the agent's word (its hello): one that is not its key's (an agent of another version, a bug) would
 * replace the vault with a file no key opens, every value lost. Checked before anything is written; costs one decrypt.
 */
export async function sealOpenable(key: Unlocked, text: string, vaultPath: string): Promise<Uint8Array> {
  const { sealToRecipient } = await import('./vault-crypto');
  const sealed = await sealToRecipient(key.recipient, text);
  // Its reader refuses a file past this bound: written, every value in it (old ones too) could no longer be read, nor
  // the write undone (an import of a large export, which may hold 64 MiB, did that).
  if (sealed.length > MAX_VAULT_FILE_BYTES) {
    throw new VaultError('PROFILE_TOO_LARGE', `The vault file would be ${sealed.length} bytes, over the ${MAX_VAULT_FILE_BYTES} it can be read back at; nothing was written.`, 'Delete the credentials you no longer use (cpw-vault delete), or store fewer or shorter values at once.');
  }
  const opened = await key.decrypt(sealed).catch((err: unknown) => {
    if (isVaultError(err, 'VAULT_CORRUPT')) return undefined;
    throw err;
  });
  if (opened !== text) throw keyMismatch(key.recipient, vaultPath, key.viaAgent);
  return sealed;
}
