import type { KeychainStatus } from '../core/secret-store';
import { isDescriptorFix } from '../node/profile/file-access';
import { BUS_PATH_FIX } from '../node/secrets/reasons';
import { USE_FILE, fileSteps, stepsFitting, unlockStep, useFileSteps } from '../core/vault-file-steps';

export { USE_FILE, fileSteps, stepsFitting, unlockStep, useFileSteps };

/** Keychain states that mean "no Secret Service here" (SSH, containers, WSL, CI), not "a keychain with a problem". */
const NO_KEYCHAIN = new Set(['KEYCHAIN_UNAVAILABLE', 'KEYCHAIN_NO_PROVIDER', 'KEYCHAIN_NO_COLLECTION']);

/**
 * Whether `fix` is one of a keychain that runs but cannot be reached from here as things are (no file descriptor
 * left, a bus path too long for a socket's address): "keep the secrets in a file instead" would mislead.
 */
function keychainThere(fix: string): boolean {
  return isDescriptorFix(fix) || fix.startsWith(BUS_PATH_FIX);
}

/**
 * Whether to offer the age vault file: the profile uses the keychain and
 * no Secret Service can be reached. Only an offer: nothing ever switches
 * by itself, and there is no plaintext fallback.
 */
export function offersFileBackend(status: KeychainStatus): boolean {
  // KEYCHAIN_* reasons come from the keychain backend only (the vault file reports VAULT_*).
  return !status.ok && NO_KEYCHAIN.has(status.code) && !keychainThere(status.fix);
}

/**
 * The error's fix with the vault file offered too, when its code means "no keychain here" and it does not offer it
 * yet; its steps, offered or already there, as they work with a terminal or without one (see useFileSteps).
 */
export function fixWithFileOffer(code: string, fix: string, terminal: boolean): string {
  const fitting = stepsFitting(fix, terminal);
  return NO_KEYCHAIN.has(code) && !fitting.includes(USE_FILE) && !keychainThere(fitting) ? `${fitting}\nOr keep the secrets in an age-encrypted file beside the profile: ${useFileSteps(terminal)}` : fitting;
}

/**
 * A keychain status's fix as check, list and which print it, under their own
 * indented `fix:` line: the vault file offered too (see {@link fixWithFileOffer}),
 * its line aligned with the fix's first. A thrown error gets the offer in
 * reportError; these commands print the status themselves, and without it a
 * user on a host with no keychain was only told to start a desktop session.
 */
export function indentedStatusFix(code: string, fix: string, terminal: boolean): string {
  return fixWithFileOffer(code, fix, terminal).split('\n').join('\n         ');
}

/** doctor --json's offer: the lines that switch to the vault file here, in order (see fileSteps), its first as `command`. */
export function fileOfferJson(terminal: boolean): { backend: 'file'; command: string; steps: string[] } {
  const steps = fileSteps(terminal);
  return { backend: 'file', command: steps[0], steps };
}

/** The offer, as doctor and setup print it; with no terminal, the steps that give the passphrase (see useFileSteps). */
export function fileOfferText(terminal: boolean): string {
  const how = terminal ? `${USE_FILE}   (asks a passphrase twice; nothing switches by itself)` : `${useFileSteps(false)}   (PATH: a 0600 file holding the passphrase; nothing switches by itself)`;
  return `No keychain on this host (SSH, container, WSL, CI)? Keep the secrets in an age-encrypted file beside the profile instead, unlocked once per session:\n    ${how}`;
}
