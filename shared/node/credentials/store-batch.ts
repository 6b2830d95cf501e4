import { VaultError } from '../../core/errors';
import type { CredentialId } from '../../core/credential';
import type { SecretStore } from '../../core/secret-store';

/**
 * Writes `values` in one `setMany` where the store has it (the vault file: one rewrite for all, where a set each
 * rewrote it n times), then reads them back in one batch. Throws KEYCHAIN_ERROR naming those that did not read
 * back as written.
 */
export async function setAndReadBack(store: SecretStore, values: ReadonlyArray<readonly [CredentialId, string]>): Promise<void> {
  if (store.setMany) await store.setMany(values);
  else for (const [id, value] of values) await store.set(id, value);
  const back = await readMany(store, values.map(([id]) => id));
  const wrong = values.filter(([id, value]) => back.get(id) !== value).map(([id]) => id);
  if (wrong.length) {
    throw new VaultError('KEYCHAIN_ERROR', `Reading ${wrong.join(', ')} back from the ${store.description} did not return what was written.`, 'Check the keychain (Seahorse) and retry; nothing was changed.');
  }
}

/** Several values from a store: in one batch when it can, else one after another. */
export async function readMany(store: SecretStore, accounts: readonly string[]): Promise<Map<string, string | undefined>> {
  if (!accounts.length) return new Map();
  if (store.getMany) return store.getMany(accounts);
  const out = new Map<string, string | undefined>();
  for (const a of accounts) out.set(a, await store.get(a));
  return out;
}
