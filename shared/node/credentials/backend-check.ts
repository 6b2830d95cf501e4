import { isSecretCredential } from '../../core/credential-index';
import { VaultError } from '../../core/errors';
import type { Profile } from '../../core/profile-schema';
import type { ProfileStore } from '../profile/store';
import type { CredentialChange } from './credential-change';

/**
 * Refuses `changes` to secrets once `profile` names a backend other than `opened`, the one the store was opened for
 * (undefined: not known, nothing checked). Another cpw-vault switched the backend after this one opened its store:
 * its values went to the old backend, and an index committed now would name values the new one does not hold (or
 * drop one it still holds).
 */
export function assertSameBackend(opened: string | undefined, profile: Profile, changes: readonly CredentialChange[]): void {
  const now = profile.storage?.backend ?? 'keychain';
  if (opened !== undefined && now !== opened && changes.some((c) => isSecretCredential(c.id))) {
    throw new VaultError('PROFILE_LOCKED', `The vault's backend was switched from ${opened} to ${now} while this change ran (another cpw-vault); nothing was changed.`, 'Run the command again: it will use the new backend.');
  }
}

/**
 * The profile as a plain read takes it, or undefined when it cannot (plaintext keys a migration in place is about to
 * take out, an overlay entry the schema refuses): the commit's own read, under the lock, says why, naming the right
 * file (this read named the profile for an overlay's bad entry), and checks the backend as every commit's does.
 */
export function profileIfReadable(store: ProfileStore): Profile | undefined {
  try {
    return store.readOrTemplate().profile;
  } catch {
    return undefined;
  }
}
