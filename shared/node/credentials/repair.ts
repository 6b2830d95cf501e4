import { catalogEntry } from '../../core/catalog';
import { cancelledError } from '../../core/errors';
import { withIndexChanges } from '../../core/credential-index';
import type { CredentialId } from '../../core/credential';
import type { Profile } from '../../core/profile-schema';
import { registerSecret } from '../../core/redact';
import type { CancelSignal, SecretStore } from '../../core/secret-store';
import type { ProfileStore } from '../profile/store';
import { readMany, type CredentialStore } from './credential-store';
import type { JournalFile } from './journal-file';
import { interruptedMigrations, type InterruptedMigration } from '../migration/interrupted';

/** What a repair found and did. Names only. */
export interface RepairReport {
  /** Interrupted changes (a crashed writer's) finished. */
  recovered: number;
  /** Of those, the migrations (a `migrate` killed midway): the source still holds the keys it did not store. */
  migrations?: InterruptedMigration[];
  /** Catalog credentials found in the secret store and added to the index. */
  added: CredentialId[];
  /** Index entries whose value is not in the secret store (removed with `dropStale`). */
  stale: CredentialId[];
  dropped: CredentialId[];
  /** Accounts in the namespace that are neither catalog credentials nor indexed (left alone: their env var is unknown). */
  orphans: string[];
  /** Catalog credentials not indexed, left alone because the namespace is shared with the default profile (they may be its). */
  shared: CredentialId[];
  /** Why nothing was compared, when nothing was (a profile that cannot be read): never "the index and the store agree". */
  skipped?: string;
}

/** What a repair works with. */
export interface RepairDeps {
  secrets: SecretStore;
  credentials: CredentialStore;
  journal: JournalFile;
  profile: ProfileStore;
  now: () => Date;
  stamp: (profile: Profile) => Profile;
  /**
   * The profile is not the default one but keeps its values under the default profile's keychain name (a profile
   * the first versions made: they had one name for all): a value found there and not indexed may be the default
   * profile's, so it is never taken in, and a start does not list the namespace to look.
   */
  sharedNamespace?: boolean;
}

/**
 * Makes the index and the secret store agree. First the journal: a crashed
 * writer's transaction is rolled forward. Then, in `quick` mode (every
 * start), the namespace is counted and compared with the index; only when
 * they differ (or without `quick`: `doctor --repair`) is it listed: catalog
 * credentials the secret store holds but the index lost are indexed again
 * (from their value: a masked hint), and stale entries are reported
 * (removed with `dropStale`). Never indexes over the deprecated secrets.json
 * fallback or rewrites a profile that does not parse, and never lists a
 * locked store: the backend throws KEYCHAIN_LOCKED instead of answering
 * partially. `signal` ends a wait for the profile's lock with CANCELLED
 * (a journal entry left stays for the next start).
 */
export async function repairIndex(deps: RepairDeps, options: { quick?: boolean; dropStale?: boolean; signal?: CancelSignal | undefined } = {}): Promise<RepairReport> {
  const report: RepairReport = { recovered: 0, added: [], stale: [], dropped: [], orphans: [], shared: [] };
  // The usual start: no journal, and the lookup copy of the index (made from the profile as it is) has the count
  // to compare, so the profile is not parsed for it (2.4 MB at 10,000 credentials).
  const lookup = options.quick && deps.secrets.count && !deps.journal.read().length ? deps.profile.reader.lookup() : undefined;
  const counted = lookup ? await deps.secrets.count!() : undefined;
  if (lookup && counted === lookup.keychainCount) return report;
  const read = deps.profile.reader.readIfAny();
  // secrets.json stands in for the profile: creating one would hide it
  if (read?.kind === 'legacy') return { ...report, skipped: 'the profile is the deprecated secrets.json (see below); nothing was changed' };
  const profile = read ? currentProfile(deps.profile) : undefined;
  // A profile that does not parse (or holds plaintext) is reported by reads, never rewritten here
  if (read && !profile) return { ...report, skipped: 'the profile could not be read (see below); nothing was changed' };
  const journal = deps.journal.read();
  if (journal.length) {
    // Named before recovery deletes their backups (the journal is all that knows of them), said once it is done.
    const migrations = interruptedMigrations(journal);
    report.recovered = await deps.credentials.recover(journal, options.signal);
    if (report.recovered && migrations.length) report.migrations = migrations;
  }
  if (options.quick && deps.sharedNamespace) return report;
  // Another writer's change still runs (a migration stores its values before it commits the index): the count differs
  // because of it, and a census of the namespace (one call per item) would compete with it for the keychain. Found by
  // an outside pass: during a 10,000-key migrate, `list` and `set` sat for minutes in that census. The writer, or
  // recovery, settles its credentials; a lost entry elsewhere is indexed at the next start.
  if (options.quick && deps.journal.read().length) return report;
  const indexed = new Set(Object.entries(currentProfile(deps.profile)?.credential_metadata ?? {}).filter(([, m]) => m.storage === 'keychain').map(([id]) => id));
  if (options.quick) {
    if (!deps.secrets.count) return report;
    if ((counted ?? (await deps.secrets.count())) === indexed.size) return report;
  }
  const accounts = await deps.secrets.list();
  const present = new Set(accounts);
  // Credentials a writer is still changing (its transaction is in the journal, not finished above: it runs, or runs where
  // it cannot be seen, in a container) are its own: indexing its new value now would outlive its rollback (a stale
  // entry), and dropping an entry would race its commit. Its transaction is finished by the writer, or by recovery.
  const changing = new Set(deps.journal.read().flatMap((tx) => tx.ops.map((op) => op.id)));
  const unindexed = accounts.filter((a) => catalogEntry(a)?.secret && !indexed.has(a) && !changing.has(a));
  const missing = deps.sharedNamespace ? [] : unindexed;
  if (deps.sharedNamespace) report.shared = unindexed as CredentialId[];
  report.orphans = accounts.filter((a) => !catalogEntry(a) && !indexed.has(a) && !changing.has(a));
  report.stale = [...indexed].filter((id) => !present.has(id) && !changing.has(id));
  const found = new Map([...(await readMany(deps.secrets, missing))].filter((e): e is [string, string] => e[1] !== undefined));
  for (const value of found.values()) registerSecret(value);
  if (!found.size && !(options.dropStale && report.stale.length)) return report;
  // A Ctrl-C during the census (the lock free then, so never checked by its wait) writes nothing either.
  if (options.signal?.aborted) throw cancelledError(options.signal.reason);
  await deps.profile.update((p) => withIndexChanges(deps.stamp(p), [
    ...[...found].map(([id, value]) => ({ kind: 'set' as const, id, value })),
    ...(options.dropStale ? report.stale.map((id) => ({ kind: 'delete' as const, id })) : []),
  ], deps.now()), { signal: options.signal });
  report.added = [...found.keys()];
  if (options.dropStale) report.dropped = [...report.stale];
  return report;
}

function currentProfile(store: ProfileStore): Profile | undefined {
  try {
    const loaded = store.read();
    return loaded.kind === 'profile' ? loaded.profile : undefined;
  } catch {
    return undefined; // unreadable or a seed profile: nothing to index against; reads report it
  }
}
