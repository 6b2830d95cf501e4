import type { CredentialId } from '../../core/credential';
import type { EnvVarOwners } from '../../core/env-var-names';
import type { IndexedMeta } from '../../core/profile-index';
import { parseProfileChange } from '../../core/profile-parse';
import type { Profile } from '../../core/profile-schema';
import type { HeldLock } from './file-lock';
import { onlyEntriesOf, overlayText, type OverlayEntries, type OverlayLimits } from './index-overlay';
import { DamagedLookup } from './lookup-index';
import { lookupWithOverlay, type ProfileReader } from './reader';
import { stampOf } from './secure-fs';

/** What a change of some credentials' index entries may ask about the others, when it sees only its own (see ProfileStore.updateIndex). */
export interface IndexFacts {
  envVarOwners: EnvVarOwners;
}

/** What the overlay path of ProfileStore.updateIndex uses of the store. */
export interface OverlayTarget {
  reader: ProfileReader;
  /** The profile file. */
  path: string;
  limits: OverlayLimits;
  /** Throws PROFILE_INVALID when an overlay entry is not valid metadata (ProfileStore.checkOverlay). */
  checkOverlay: (entries: OverlayEntries) => void;
  /** Drops what the store cached of the profile, once the overlay is replaced. */
  forget: () => void;
}

/**
 * The overlay path of ProfileStore.updateIndex, run under the profile's lock:
 * the entries of `ids` go to the overlay beside the profile. Returns the
 * profile `mutate` made (only the entries of `ids`), or undefined when the
 * change needs a full update (no matching lookup copy, a damaged one, a
 * change to anything else, an overlay that would pass its limit).
 */
export async function updateThroughOverlay(target: OverlayTarget, ids: readonly CredentialId[], mutate: (profile: Profile, facts?: IndexFacts) => Profile, lock: HeldLock): Promise<Profile | undefined> {
  const { reader, limits: { fromBytes, maxBytes } } = target;
  // The copy made from the profile as it is now (our writer's validated output), else no shortcut.
  const lookup = reader.lookupBase();
  if (!lookup || (stampOf(target.path)?.size ?? 0) < fromBytes) return undefined;
  const overlay = reader.overlayFile.read(reader.warn);
  // Its entries pass the schema, as they would at the next full write: a bad one is reported now, not carried on.
  if (overlay) target.checkOverlay(overlay.entries);
  const entries = new Map(overlay?.entries);
  const view = lookupWithOverlay(lookup, entries);
  if (!view) return undefined;
  const partial: Record<string, unknown> = { ...lookup.head, credential_metadata: {} };
  const metadata = partial['credential_metadata'] as Record<string, unknown>;
  const before = partial as unknown as Profile;
  let after: Profile;
  try {
    for (const id of ids) {
      const meta = view.meta(id);
      if (meta) metadata[id] = meta;
    }
    // The env var names are read from the copy only when asked (a custom credential's set).
    after = mutate(before, { envVarOwners: { get: (name) => view.envVarOwner(name) } });
  } catch (err) {
    if (err instanceof DamagedLookup) return undefined; // a damaged line in the copy: the full write reads the profile
    throw err;
  }
  if (!onlyEntriesOf(before, after, ids)) return undefined;
  const next = parseProfileChange(before, after, target.path);
  for (const id of ids) entries.set(id, (next.credential_metadata[id] as IndexedMeta | undefined) ?? null);
  if (Buffer.byteLength(overlayText(entries)) > maxBytes) return undefined;
  lock.assertHeld();
  await reader.overlayFile.replace(entries);
  target.forget();
  return next;
}
