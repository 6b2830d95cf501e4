import { isSecretCredential } from '../../core/credential-index';
import { VaultError } from '../../core/errors';
import type { ProfileStore } from '../profile/store';
import type { CredentialChange } from './credential-change';

/**
 * Refuses `changes` to secrets once the profile names a backend (`now`) other than `opened`, the one the store was
 * opened for (undefined: not known, nothing checked). Another cpw-vault switched the backend after this one opened its
 * store: its values went to the old backend, and an index committed now would name values the new one does not hold
 * (or drop one it still holds).
 */
export function assertSameBackend(opened: string | undefined, now: string, changes: readonly CredentialChange[]): void {
  if (opened !== undefined && now !== opened && changes.some((c) => isSecretCredential(c.id))) {
    throw new VaultError('PROFILE_LOCKED', `The vault's backend was switched from ${opened} to ${now} while this change ran (another cpw-vault); nothing was changed.`, 'Run the command again: it will use the new backend.');
  }
}

/** The backend a profile document names: the keychain unless its storage says another. */
export function backendOf(doc: { storage?: unknown }): string {
  const backend = (doc.storage as { backend?: unknown } | undefined)?.backend;
  return typeof backend === 'string' ? backend : 'keychain';
}

/**
 * The backend the profile names now, or undefined when it cannot be read (plaintext keys a migration in place is
 * about to take out, an overlay entry the schema refuses): the commit's own read, under the lock, says why, naming
 * the right file, and checks the backend as every commit's does. Taken from the profile's lookup copy while that
 * matches the profile file exactly (its stamp), as every read takes the profile's fields: parsing the whole profile
 * for it made each `set` of a 10,000-credential vault read, hash and check 2.4 MB (+130 ms, issue 16's P4).
 */
export function storedBackend(store: ProfileStore): string | undefined {
  try {
    const head = store.reader.lookup()?.head;
    if (head) return backendOf(head);
  } catch {
    // a damaged lookup copy or overlay: the profile itself, as a read does
  }
  try {
    return backendOf(store.readOrTemplate().profile);
  } catch {
    return undefined;
  }
}
