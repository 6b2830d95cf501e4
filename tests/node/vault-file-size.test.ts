// The vault file is read up to MAX_VAULT_FILE_BYTES (16 MiB), but a write never checked it: values past that bound
// (an import of an export, which may hold 64 MiB) were written, and then nothing could read the vault again.
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openIdentity } from '../../shared/node/secrets/vault-admin';
import { createFileSecretStore } from '../../shared/node/secrets/file-store';
import { MAX_VAULT_FILE_BYTES } from '../../shared/node/secrets/durable-file';
import { makeFileVaultHome } from '../helpers/file-vault';

const TMDB = '0123456789abcdef0123456789abcdef';

describe('a write that would take the vault file past what its reader accepts', () => {
  it('is refused before anything is written; the vault still reads', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const { key } = await openIdentity(h.files, h.passphrase);
    const store = createFileSecretStore({ profilePath: h.profile, key });
    await store.set('tmdb.api_key', TMDB);
    const before = statSync(h.files.vault).size;
    const many = Array.from({ length: 2_200 }, (_, i) => [`big${i}.key`, `v${i}-${'x'.repeat(8_000)}`] as const);
    await expect(store.setMany(many)).rejects.toMatchObject({ code: 'PROFILE_TOO_LARGE', message: expect.stringContaining('nothing was written') });
    expect(statSync(h.files.vault).size).toBe(before);
    expect(before).toBeLessThan(MAX_VAULT_FILE_BYTES);
    // Read by a new store, as the next command would.
    expect(await createFileSecretStore({ profilePath: h.profile, key }).get('tmdb.api_key')).toBe(TMDB);
  }, 120_000);
});
