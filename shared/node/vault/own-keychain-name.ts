import { isVaultError } from '../../core/errors';
import type { Profile } from '../../core/profile-schema';
import { agreeing, counted } from '../../core/plural';
import { readMany } from '../credentials/credential-store';
import type { JournalFile } from '../credentials/journal-file';
import type { ProfileStore } from '../profile/store';
import type { VaultReader } from './reader';

/** What the move works with: the Vault's parts. */
export interface OwnNameDeps {
  reader: VaultReader;
  profile: ProfileStore;
  journal: Pick<JournalFile, 'read'>;
  warn: (message: string) => void;
  current: () => Profile | undefined;
  /** Ends a wait for the profile's lock (it stays on the shared name: the next start). */
  signal?: AbortSignal | undefined;
}

/**
 * A named profile the first versions made keeps its values under the
 * default profile's keychain name, with the default profile's: a value one
 * wrote replaced the other's, and each took in the other's. At its first
 * full start here it moves to a name of its own: each value it indexes is
 * copied there and read back, then the profile records the name. Nothing
 * is deleted under the shared name (the default profile may hold the same
 * credentials there). A keychain that cannot answer, a change made
 * meanwhile, a crash: it stays on the shared name (its reads never take a
 * value it does not index) and the next start tries again.
 */
export async function moveToOwnKeychainName(deps: OwnNameDeps): Promise<void> {
  if (deps.reader.backend() !== 'keychain' || !deps.reader.sharesDefaultNamespace() || deps.journal.read().length) return;
  const before = deps.current();
  const metas = Object.entries(before?.credential_metadata ?? {}).filter(([, m]) => m.storage === 'keychain');
  const seen = JSON.stringify(metas);
  const { store, suffix } = deps.reader.openOwnKeychain();
  try {
    const values = await readMany(deps.reader.secretStore(), metas.map(([id]) => id));
    let copied = 0;
    for (const [id, value] of values) {
      if (value === undefined) continue;
      copied++;
      await store.set(id, value);
      if ((await store.get(id)) !== value) return; // not read back: stays shared, tried again next start
    }
    let moved = false;
    await deps.profile.update((p) => {
      const now = JSON.stringify(Object.entries(p.credential_metadata).filter(([, m]) => m.storage === 'keychain'));
      // Changed meanwhile, or a change in flight (its value written under the shared name, its index entry not yet):
      // the next start.
      if (now !== seen || (p.storage?.namespace ?? '') !== '' || deps.journal.read().length) return p;
      moved = true;
      return { ...p, storage: { backend: 'keychain', ...p.storage, namespace: suffix } };
    }, { signal: deps.signal });
    if (moved) deps.warn(`${deps.reader.profilePath} now keeps its ${counted(copied, 'value')} under a keychain name of its own; the first versions of cpw-vault kept ${agreeing(copied, 'it', 'them')} under the default profile's, with its values.`);
  } catch (err) {
    if (!isVaultError(err)) throw err; // a keychain or profile that cannot answer now: the next start
  } finally {
    store.close();
  }
}
