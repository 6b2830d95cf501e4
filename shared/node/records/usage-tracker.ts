import type { CredentialId } from '../../core/credential';
import type { IndexedMeta } from '../../core/profile-index';
import type { Profile } from '../../core/profile-schema';

/** Resolution of `last_used_at`: a read updates it only when the stored stamp is older than this. */
export const USAGE_RESOLUTION_MS = 60_000;

/**
 * Batches `last_used_at` updates. Why throttle rather than write on read: a
 * pipeline may read a key in a hot loop (or start many short `cpw-vault get`
 * processes); rewriting the profile (lock + fsync + rename) on every read
 * would dominate their cost and contend on the lock. A minute's resolution is
 * all a "last used" column needs, so a read only marks the credential when
 * the stored stamp is older than that, and marks are written together: on
 * `flush()` (the CLI calls it before exiting; the library on process exit;
 * the app every few seconds), at most one profile write per flush.
 */
export class UsageTracker {
  private readonly pending = new Set<CredentialId>();

  constructor(private readonly now: () => Date) {}

  /** Notes a read of `id`; cheap when the stamp is fresh. */
  touch(id: CredentialId, metadata: Readonly<Record<CredentialId, IndexedMeta>>): void {
    const last = metadata[id]?.last_used_at;
    if (!metadata[id]) return; // env or legacy value: nothing stored to stamp
    if (last && this.now().getTime() - Date.parse(last) < USAGE_RESOLUTION_MS) return;
    this.pending.add(id);
  }

  get size(): number {
    return this.pending.size;
  }

  /** The credentials waiting for a stamp. */
  get ids(): CredentialId[] {
    return [...this.pending];
  }

  /** Applies and clears pending marks on `profile` (pure apart from clearing). */
  apply(profile: Profile): Profile {
    if (!this.pending.size) return profile;
    const stamp = this.now().toISOString();
    const metadata = { ...profile.credential_metadata };
    for (const id of this.pending) {
      const meta = metadata[id];
      if (meta) metadata[id] = { ...meta, last_used_at: stamp };
    }
    this.pending.clear();
    return { ...profile, credential_metadata: metadata };
  }
}
