import type { CredentialId } from '../../core/credential';
import { legacyValues } from '../../core/legacy-secrets';
import { indexProfile, type ProfileIndex } from '../../core/profile-index';
import { PROFILE_MAJOR } from '../../core/profile-version';
import type { JournalFile } from '../credentials/journal-file';
import type { LookupIndex } from '../profile/lookup-index';
import { ABANDONED_AFTER_MS, ownerIsGone } from '../profile/owner';
import { UNPARSED, type ProfileReader, type RawProfile } from '../profile/reader';

/** The profile as the read path sees it: its index, or the deprecated secrets.json values. */
export type ReadView =
  | { kind: 'profile'; path: string; index: ProfileIndex }
  | { kind: 'legacy'; path: string; values: ReadonlyMap<CredentialId, string> };

/** Signals, in the fast `get` bundle only, that this profile needs the full vault (upgrade, precise error, crash repair). */
export class NeedsFullVault extends Error {
  constructor() {
    super('this profile needs the full vault');
  }
}

/** What a read view is built from. */
export interface ViewDeps {
  profile: ProfileReader;
  /** The credential journal (names of credentials a writer is changing). */
  journal: Pick<JournalFile, 'read'>;
  /** The full parser for a profile the light index cannot read. Absent in the fast bundle: reads then throw NeedsFullVault. */
  fullView?: (read: RawProfile) => ReadView;
}

/**
 * How the read side sees the profile: the lookup copy of the index while it
 * matches the profile, else the profile parsed whole (each kept while its
 * file is unchanged), else (another version, anything odd, a crashed
 * writer's transaction) the full vault's parser.
 */
export class ReadViews {
  private fromLookup: { lookup: LookupIndex; index: ProfileIndex | undefined } | undefined;
  private fromProfile: { read: RawProfile; index: ProfileIndex | undefined } | undefined;

  constructor(private readonly deps: ViewDeps) {}

  /**
   * The read view, or undefined with no profile at all: from the lookup copy
   * of the index when it matches the profile (one credential found without
   * parsing the profile), else from the profile itself.
   */
  view(): ReadView | undefined {
    const lookup = this.deps.profile.lookup();
    if (lookup) {
      if (this.fromLookup?.lookup !== lookup) this.fromLookup = { lookup, index: this.lookupIndex(lookup) };
      if (this.fromLookup.index && !this.crashedWriter()) return { kind: 'profile', path: this.deps.profile.paths.profile, index: this.fromLookup.index };
    }
    return this.parsedView();
  }

  /** A crashed writer's transaction is waiting: the full vault repairs it before anything is read. */
  private crashedWriter(): boolean {
    return !this.deps.fullView && this.deps.journal.read().some((t) => ownerIsGone(t.owner, Date.parse(t.started_at), ABANDONED_AFTER_MS));
  }

  /**
   * The index over a lookup copy: the profile's fields from its head, one
   * credential per lookup (binary search). A caller that enumerates them all
   * gets the parsed profile's (which costs no more), and so does a lookup
   * that finds a damaged line.
   */
  private lookupIndex(lookup: LookupIndex): ProfileIndex | undefined {
    const head = indexProfile(lookup.head, PROFILE_MAJOR);
    if (!head) return undefined;
    let whole: ProfileIndex | undefined;
    const parsed = () => {
      if (whole) return whole;
      const view = this.parsedView();
      if (view?.kind !== 'profile') throw new NeedsFullVault();
      return (whole = view.index);
    };
    return {
      ...head,
      keychainCount: lookup.keychainCount,
      meta(id) {
        if (whole) return whole.meta(id);
        try {
          return lookup.meta(id);
        } catch {
          return parsed().meta(id);
        }
      },
      get metadata() {
        return parsed().metadata;
      },
    };
  }

  /** The read view from the profile itself (parsed whole). */
  private parsedView(): ReadView | undefined {
    const read = this.deps.profile.readIfAny();
    if (!read) return undefined;
    if (read.kind === 'legacy') {
      const doc = read.raw;
      if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) return { kind: 'legacy', path: read.path, values: legacyValues(doc as Record<string, unknown>) };
      return this.full(read);
    }
    // The reader hands back the same read while the file is unchanged: index it once (10,000 entries are not free).
    if (this.fromProfile?.read !== read) this.fromProfile = { read, index: read.raw === UNPARSED ? undefined : indexProfile(read.raw, PROFILE_MAJOR) };
    const index = this.fromProfile.index;
    // A transaction left by a crashed writer is repaired by the full vault before anything is read.
    if (!index || this.crashedWriter()) return this.full(read);
    return { kind: 'profile', path: read.path, index };
  }

  private full(read: RawProfile): ReadView {
    if (!this.deps.fullView) throw new NeedsFullVault();
    return this.deps.fullView(read);
  }
}
