// Whether a backend switch may start: not while another process switches this profile, nor over a killed one's
// record (backend-move.ts checks it before asking anything and again under the profile's lock).
import { VaultError } from '../../core/errors';
import { ABANDONED_AFTER_MS, isCurrentProcess, ownerIsGone, ownerName } from '../profile/owner';
import type { ProfileStore } from '../profile/store';
import { readMoveRecord } from './move-record';

/**
 * Refuses a switch from `from` while another process switches this profile (its record is there) or once one has.
 * Checked again under the lock before the record is written: two at once overwrote each other's record, and the second
 * called the vault files the first had just made "already there", to be moved away (the only copy of every secret).
 */
export function refuseConcurrentMove(deps: { recordPath: string; profile: Pick<ProfileStore, 'readOrTemplate'> }, from: string): void {
  const other = readMoveRecord(deps.recordPath);
  if (other && !isCurrentProcess(other.owner)) {
    // A killed switch whose finishing failed at start-up (a backend that did not answer): no one is switching.
    if (ownerIsGone(other.owner, Date.parse(other.started_at), ABANDONED_AFTER_MS)) {
      throw new VaultError('PROFILE_LOCKED', `A switch of this profile's backend from ${other.from} to ${other.to} was interrupted (${ownerName(other.owner)} is gone) and could not be finished yet; nothing changed.`, 'Once both backends answer, finish it with: cpw-vault doctor --repair; then see where the secrets are: cpw-vault backend');
    }
    throw new VaultError('PROFILE_LOCKED', `Another cpw-vault (${ownerName(other.owner)}) is switching this profile's backend from ${other.from} to ${other.to}; nothing changed.`, 'Let it finish, then see where the secrets are: cpw-vault backend');
  }
  const loaded = deps.profile.readOrTemplate();
  const now = loaded.kind === 'profile' ? (loaded.profile.storage?.backend ?? 'keychain') : 'keychain';
  if (now !== from) throw new VaultError('INVALID_ARGUMENT', `This profile already keeps its secrets in the ${now === 'file' ? 'age vault file' : 'OS keychain'} (switched meanwhile); nothing changed.`, 'See where they are with: cpw-vault backend');
}
