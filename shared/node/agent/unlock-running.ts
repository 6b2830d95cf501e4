import { openIdentity, type PassphraseOptions } from '../secrets/vault-admin';
import type { VaultFiles } from '../secrets/vault-files';
import type { AgentClient } from './client';
import type { AgentHello } from './protocol';

/**
 * An unlock given a passphrase while an agent already serves the vault file (`running`): the passphrase is checked all
 * the same, one scrypt as on a locked vault, and the agent is kept as it is (its time to live too). Answered
 * "unlocked" unchecked, a wrong passphrase typed into the app's Unlock form, sent by a page, or given to
 * `cpw-vault unlock --passphrase-file` was taken for the right one. Returns the agent's hello. Throws what
 * {@link openIdentity} throws (VAULT_PASSPHRASE_WRONG after its pause): the agent keeps running, a wrong try locks
 * nothing. Used by the CLI's unlock and Electron main alike.
 */
export async function unlockRunning(running: AgentClient, files: VaultFiles, passphrase: string, options: PassphraseOptions = {}): Promise<AgentHello> {
  // Not held through the seconds of scrypt: the agent serves its other clients meanwhile.
  running.close();
  await openIdentity(files, passphrase, options);
  return running.hello;
}
