import { catalogEntry } from '../../core/catalog';
import { withCredential, withoutCredential } from '../../core/credential-index';
import type { CredentialId } from '../../core/credential';
import { isStashAccount, journalOf, stashAccount } from '../../core/journal';
import type { Profile } from '../../core/profile-schema';
import { registerSecret } from '../../core/redact';
import type { SecretStore } from '../../core/secret-store';
import type { ProfileStore } from '../profile/store';
import type { CredentialStore, RecoveryReport } from './credential-store';

/** What a repair found and did. Names only. */
export interface RepairReport {
  recovered: RecoveryReport;
  /** Catalog credentials found in the secret store and added to the index. */
  added: CredentialId[];
  /** Index entries whose value is not in the secret store (removed with `dropStale`). */
  stale: CredentialId[];
  dropped: CredentialId[];
  /** Accounts in the namespace that are neither catalog credentials nor indexed (left alone: their env var is unknown). */
  orphans: string[];
  /** Stashes of transactions that no longer exist, deleted. */
  stashesRemoved: number;
}

/** What a repair works with. */
export interface RepairDeps {
  secrets: SecretStore;
  credentials: CredentialStore;
  profile: ProfileStore;
  now: () => Date;
  stamp: (profile: Profile) => Profile;
}

/**
 * Makes the index and the secret store agree. First the journal: a crashed
 * writer's transaction is rolled back (or its cleanup finished). Then, in
 * `quick` mode (every start), the namespace is counted and compared with the
 * index; only when they differ (or without `quick`: `doctor --repair`) is it
 * listed: catalog credentials the secret store holds but the index lost are
 * indexed again (from their value: a masked hint), stashes of vanished
 * transactions are deleted, and stale entries are reported (removed with
 * `dropStale`). Never indexes over the deprecated secrets.json fallback, and
 * never calls a "find all" on a locked store: the backend throws
 * KEYCHAIN_LOCKED instead of answering partially.
 */
export async function repairIndex(deps: RepairDeps, options: { quick?: boolean; dropStale?: boolean } = {}): Promise<RepairReport> {
  const report: RepairReport = { recovered: { rolledBack: 0, finished: 0 }, added: [], stale: [], dropped: [], orphans: [], stashesRemoved: 0 };
  const read = deps.profile.reader.readIfAny();
  if (read?.kind === 'legacy') return report; // secrets.json stands in for the profile: creating one would hide it
  const journal = read ? journalOf(read.raw) : [];
  if (journal.length) report.recovered = await deps.credentials.recover(journal);
  const profile = read ? currentProfile(deps.profile) : undefined;
  if (read && !profile) return report; // a profile that does not parse (or holds plaintext) is reported by reads, never rewritten here
  const indexed = new Set(Object.entries(profile?.credential_metadata ?? {}).filter(([, m]) => m.storage === 'keychain').map(([id]) => id));
  const live = journalOf(deps.profile.reader.readIfAny()?.raw);
  const liveStashes = new Set(live.flatMap((t) => t.ops.filter((o) => o.previous === 'stashed').map((o) => stashAccount(t, o.id))));
  if (options.quick) {
    if (!deps.secrets.count) return report;
    if ((await deps.secrets.count()) === indexed.size + liveStashes.size) return report;
  }
  const accounts = await deps.secrets.list();
  const present = new Set(accounts);
  const found = new Map<CredentialId, string>();
  for (const account of accounts) {
    if (isStashAccount(account)) {
      if (!liveStashes.has(account) && (await deps.secrets.delete(account))) report.stashesRemoved++;
    } else if (catalogEntry(account)?.secret && !indexed.has(account)) {
      const value = await deps.secrets.get(account);
      if (value !== undefined) {
        registerSecret(value);
        found.set(account, value);
      }
    } else if (!catalogEntry(account) && !indexed.has(account)) report.orphans.push(account);
  }
  report.stale = [...indexed].filter((id) => !present.has(id));
  if (!found.size && !(options.dropStale && report.stale.length)) return report;
  await deps.profile.update((p) => {
    let next = deps.stamp(p);
    for (const [id, value] of found) next = withCredential(next, id, value, deps.now());
    if (options.dropStale) for (const id of report.stale) next = withoutCredential(next, id);
    return next;
  });
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
