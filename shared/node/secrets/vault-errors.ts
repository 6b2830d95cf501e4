import { VaultError } from '../../core/errors';
import { shellWord } from '../../core/control-chars';

/**
 * The errors of the age vault file backend, worded once. None of them ever
 * carries text from a file or from age-encryption (its messages can quote
 * the first line of whatever file it was handed).
 */

/**
 * Who asks for the passphrase, said after every locked vault: the error reaches a command with no terminal and the Node
 * library alike, and the library never asks, on a terminal too ("there is no terminal to ask" was untrue there).
 */
const NOBODY_ASKS = 'Only a cpw-vault command run from a terminal asks for the passphrase; the Node library and commands with no terminal (a stage, cron, CI) never do.';

/** No agent runs and nobody can be asked: exit 4, fix `cpw-vault unlock`. */
export function vaultLocked(detail?: string): VaultError {
  // With a detail, an agent was there but failed (it did not answer, went away): "no agent is running" would be untrue.
  if (detail) {
    return new VaultError('VAULT_LOCKED', `The vault file cannot be read: ${detail}. ${NOBODY_ASKS}`, 'Start the unlock again (in scripts, unlock with --passphrase-file PATH): cpw-vault lock; cpw-vault unlock');
  }
  return new VaultError(
    'VAULT_LOCKED',
    `The vault file is locked: no unlock agent is running. ${NOBODY_ASKS}`,
    'Unlock it once for this session (add --ttl 8h to choose how long; in scripts: --passphrase-file PATH): cpw-vault unlock',
  );
}

/**
 * No agent where this shell looks, but one of this vault listens in `where` (started under another XDG_RUNTIME_DIR or
 * TMPDIR: an ssh session, then cron, nohup or a CI step): exit 4 like a lock, saying where the agent is.
 */
export function vaultAgentElsewhere(where: string, here: string): VaultError {
  return new VaultError(
    'VAULT_LOCKED',
    `The vault file is locked for this shell: an unlock agent of this vault runs, but it listens in ${where}, not in ${here} (this shell's XDG_RUNTIME_DIR or TMPDIR differs). ${NOBODY_ASKS}`,
    `Run it with the same XDG_RUNTIME_DIR and TMPDIR as the shell that unlocked it (its agent listens in ${shellWord(where)}), or unlock here too: cpw-vault unlock`,
  );
}

/** The key at hand does not open what was sealed to the recipient it was given: nothing written (exit 4, like a lock). */
export function keyMismatch(recipient: string, file: string, viaAgent: boolean): VaultError {
  return new VaultError(
    'VAULT_LOCKED',
    `${viaAgent ? "The unlock agent's key does not open a file sealed to the recipient it reported" : 'The unlocked key does not open a file sealed to its own recipient'} (${recipient}): ${file} was not written, and nothing was changed.`,
    'Start the unlock again: cpw-vault lock; cpw-vault unlock',
  );
}

/** The identity or the vault file is missing. */
export function vaultNotFound(missing: string, other: string | undefined): VaultError {
  return new VaultError(
    'VAULT_NOT_FOUND',
    other ? `${missing} is missing, while ${other} is there: the vault cannot be opened without both.` : `There is no vault file at ${missing}.`,
    other ? `Restore ${missing} from a backup (both files are needed), or import an export into a new vault.` : 'Create the vault and move your secrets into it: cpw-vault backend use file',
  );
}

/** The passphrase does not open `file` (the identity file; an export says what losing it means with `ifLost`). */
export function wrongPassphrase(file: string, ifLost = 'the vault cannot be opened: import an export instead.'): VaultError {
  return new VaultError('VAULT_PASSPHRASE_WRONG', `That passphrase does not open ${file}. Nothing was changed.`, `Type the passphrase again (it is case-sensitive). If it is lost, ${ifLost}`);
}

/** A file is not a well-formed age file, or fails its authentication. */
export function corruptFile(file: string, why: string): VaultError {
  return new VaultError('VAULT_CORRUPT', `${file} cannot be read: ${why}. Nothing was changed.`, `Restore ${file} from a backup (or import an export). cpw-vault never writes over a file it cannot read.`);
}

/** The agent's socket folder is not a private folder of this user. */
export function unsafeSocketDir(dir: string, why: string, fix?: string): VaultError {
  return new VaultError('VAULT_AGENT_UNSAFE', `Refusing the unlock agent folder ${dir}: ${why}.`, fix ?? `Another user may be trying to intercept your vault. Check it (ls -ld ${shellWord(dir)}); remove it if it is not yours, or set XDG_RUNTIME_DIR to a private folder.`);
}
