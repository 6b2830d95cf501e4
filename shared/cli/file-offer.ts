import type { KeychainStatus } from '../core/secret-store';
import { isDescriptorFix } from '../node/profile/file-access';

/** Keychain states that mean "no Secret Service here" (SSH, containers, WSL, CI), not "a keychain with a problem". */
const NO_KEYCHAIN = new Set(['KEYCHAIN_UNAVAILABLE', 'KEYCHAIN_NO_PROVIDER', 'KEYCHAIN_NO_COLLECTION']);

/** The command that switches a profile to the age vault file. */
export const USE_FILE = 'cpw-vault backend use file';

/**
 * Whether to offer the age vault file: the profile uses the keychain and
 * no Secret Service can be reached. Only an offer: nothing ever switches
 * by itself, and there is no plaintext fallback.
 */
export function offersFileBackend(status: KeychainStatus): boolean {
  // KEYCHAIN_* reasons come from the keychain backend only (the vault file reports VAULT_*).
  return !status.ok && NO_KEYCHAIN.has(status.code) && !isDescriptorFix(status.fix);
}

/** The error's fix with the vault file offered too, when its code means "no keychain here" and it does not offer it yet. */
export function fixWithFileOffer(code: string, fix: string): string {
  return NO_KEYCHAIN.has(code) && !fix.includes(USE_FILE) && !isDescriptorFix(fix) ? `${fix}\nOr keep the secrets in an age-encrypted file beside the profile: ${USE_FILE}` : fix;
}

/**
 * A keychain status's fix as check, list and which print it, under their own
 * indented `fix:` line: the vault file offered too (see {@link fixWithFileOffer}),
 * its line aligned with the fix's first. A thrown error gets the offer in
 * reportError; these commands print the status themselves, and without it a
 * user on a host with no keychain was only told to start a desktop session.
 */
export function indentedStatusFix(code: string, fix: string): string {
  return fixWithFileOffer(code, fix).split('\n').join('\n         ');
}

/** The offer, as doctor and setup print it. */
export function fileOfferText(): string {
  return `No keychain on this host (SSH, container, WSL, CI)? Keep the secrets in an age-encrypted file beside the profile instead, unlocked once per session:\n    ${USE_FILE}   (asks a passphrase twice; nothing switches by itself)`;
}
