import { cancelledError, isVaultError, VaultError } from '../../core/errors';
import type { CredentialId } from '../../core/credential';
import type { SecretStore } from '../../core/secret-store';
import type { CommitOptions, CredentialChange } from './credential-change';

/**
 * Writes the new values of a commit one at a time, each read back at once. One after another on purpose: the
 * keychain's own write is the cost (milliseconds, growing with its size), a read-back is a fraction of it, and a
 * signal is honoured between two writes, never with a batch still in flight. A store that writes a batch at once (the
 * vault file: each set rewrote it whole) gets each run of sets as one `setMany`, all counted in `written` first (an
 * undo puts every one back, as after any failure), except when the write ends in CANCELLED: its wait for the vault
 * file's lock was ended by the signal, nothing written, so there is nothing of it to undo (the undo waited for that
 * lock with no signal: a Ctrl-C held for 30 s more). `existed` gets whether each deleted credential had a value.
 * Throws CANCELLED once the signal fired, and what the store throws.
 */
export async function writeAll(store: SecretStore, secret: readonly CredentialChange[], written: CredentialChange[], existed: Map<CredentialId, boolean>, previous: ReadonlyMap<CredentialId, string | undefined>, options: Pick<CommitOptions, 'signal' | 'onProgress'>): Promise<void> {
  const { signal } = options;
  for (let i = 0; i < secret.length; i++) {
    const c = secret[i]!;
    options.onProgress?.(i, secret.length, c.id);
    const counted = written.length;
    written.push(c);
    if (c.kind === 'set' && store.setMany) {
      const run: Array<readonly [CredentialId, string]> = [[c.id, c.value]];
      for (let n = secret[i + 1]; n?.kind === 'set'; n = secret[i + 1]) {
        i++; // not inside `onProgress?.(...)`: skipped with it when there is none
        options.onProgress?.(i, secret.length, n.id);
        written.push(n);
        run.push([n.id, n.value]);
      }
      await unlessCancelled(written, counted, () => store.setMany!(run, { signal }));
      await readBack(store, run);
    } else if (c.kind === 'set') {
      await store.set(c.id, c.value);
      if ((await store.get(c.id)) !== c.value) throw notReadBack(store, [c.id]);
    } else {
      await unlessCancelled(written, counted, () => store.delete(c.id, { signal }));
      existed.set(c.id, previous.get(c.id) !== undefined);
    }
    if (signal?.aborted) throw cancelledError(signal.reason);
  }
}

/** Runs `write`; when it ends in CANCELLED (nothing written: see SecretStore.setMany), its values are taken off `written` (back to `counted` entries). */
async function unlessCancelled(written: CredentialChange[], counted: number, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (isVaultError(err, 'CANCELLED')) written.length = counted;
    throw err;
  }
}

/** Reads `values` back in one batch. Throws KEYCHAIN_ERROR naming those that did not read back as written. */
async function readBack(store: SecretStore, values: ReadonlyArray<readonly [CredentialId, string]>): Promise<void> {
  const back = await readMany(store, values.map(([id]) => id));
  const wrong = values.filter(([id, value]) => back.get(id) !== value).map(([id]) => id);
  if (wrong.length) throw notReadBack(store, wrong);
}

function notReadBack(store: SecretStore, ids: readonly CredentialId[]): VaultError {
  return new VaultError('KEYCHAIN_ERROR', `Reading ${ids.join(', ')} back from the ${store.description} did not return what was written.`, 'Check the keychain (Seahorse) and retry; nothing was changed.');
}

/** Several values from a store: in one batch when it can, else one after another. */
export async function readMany(store: SecretStore, accounts: readonly string[]): Promise<Map<string, string | undefined>> {
  if (!accounts.length) return new Map();
  if (store.getMany) return store.getMany(accounts);
  const out = new Map<string, string | undefined>();
  for (const a of accounts) out.set(a, await store.get(a));
  return out;
}
