import { isSecretCredential, slotValue, withIndexChanges } from '../../core/credential-index';
import type { CredentialMeta, Profile } from '../../core/profile-schema';
import type { CredentialChange } from './credential-change';

/** About what one new credential's index entry takes in the profile file (an upper bound, with the label and env var). */
export const METADATA_BYTES = 400;

/**
 * What a replaced entry may grow by uncharged: a hint of another shape, a
 * storage field filled in (tens of bytes, well within what a profile write
 * lets a settling write add past the limit). A label or env var set with it
 * is charged.
 */
const ENTRY_SLACK = 64;

/** What `changes` may add to the profile at most, without reading it: every set charged as a new entry. */
export function growthBound(changes: readonly CredentialChange[]): number {
  return changes.reduce((n, c) => n + (c.kind === 'set' ? METADATA_BYTES + c.id.length + (isSecretCredential(c.id) ? 0 : slotBytes(c.value)) : 0), 0);
}

/**
 * What `changes` add to `profile`'s file: a new credential its bound, one
 * already indexed only the difference its new entry makes (~0 for a value
 * replaced: the same fields, a hint of the same shape). Deletes are not
 * counted against it (a batch is never refused for what it frees).
 */
export function indexGrowth(profile: Profile, changes: readonly CredentialChange[], now: Date): number {
  let growth = 0;
  for (const c of changes) {
    if (c.kind !== 'set') continue;
    const old = profile.credential_metadata[c.id];
    if (!old) {
      growth += growthBound([c]);
      continue;
    }
    // The entry alone, not the whole index (48,000 entries copied per change).
    const next = withIndexChanges({ ...profile, credential_metadata: { [c.id]: old } }, [c], now);
    growth += Math.max(0, entryBytes(next.credential_metadata[c.id]!) - entryBytes(old) - ENTRY_SLACK);
    if (!isSecretCredential(c.id)) growth += slotBytes(c.value) - slotBytes(slotValue(profile, c.id));
  }
  return growth;
}

/** An entry's bytes as the profile file holds it: pretty-printed, each line four spaces deeper than on its own. */
function entryBytes(meta: CredentialMeta): number {
  return Buffer.byteLength(JSON.stringify(meta, null, 2)) + 4 * Object.keys(meta).length;
}

function slotBytes(value: string): number {
  return Buffer.byteLength(JSON.stringify(value));
}
