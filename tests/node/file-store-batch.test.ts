// Many values into the age vault file: the file is rewritten whole on each write (decrypt, encrypt, durable write),
// so a backend switch or a migration writing one value at a time rewrote it once per credential (quadratic: a switch
// of 10,000 took minutes). Counted here as rewrites, not timed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { clearRegisteredSecrets } from '../../shared/core/redact';
import type { ParsedSource } from '../../shared/core/migration-sources';
import { createVault } from '../../shared/node/open';
import { createFileSecretStore, FileSecretStore } from '../../shared/node/secrets/file-store';
import { registerSecretBackend } from '../../shared/node/secrets/open-secret-store';
import { openIdentity } from '../../shared/node/secrets/vault-admin';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { makeFileVaultHome } from '../helpers/file-vault';
import { makeTempHome } from '../helpers/temp';

const N = 200;
const valueOf = (i: number) => `value-${i}-${'b'.repeat(24)}`;

afterEach(() => {
  vi.restoreAllMocks();
  clearRegisteredSecrets();
});

/** N custom credentials in a secrets.json (its file written) under `cwd`. */
function bigSource(cwd: string): ParsedSource {
  const source: ParsedSource = {
    kind: 'secrets-json', path: `${cwd}/big.json`, duplicateKeys: [],
    entries: Array.from({ length: N }, (_, i) => ({ sourceKey: `svc${i}_api_key`, target: undefined, customTarget: { id: `svc${i}.api_key`, envVar: `SVC${i}_API_KEY` }, value: valueOf(i) })),
  };
  writeFileSync(source.path, '{}');
  return source;
}

/** Counts the vault file's rewrites (FileSecretStore's read-modify-write, whichever verb calls it). */
const countRewrites = () => vi.spyOn(FileSecretStore.prototype as unknown as { modify: () => Promise<boolean> }, 'modify');

describe('many values into the age vault file', () => {
  it(`a migration of ${N} credentials rewrites the vault file once, and every value reads back`, async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const { key } = await openIdentity(h.files, h.passphrase, { wrongDelayMs: 0 });
    const secrets = createFileSecretStore({ profilePath: h.profile, env: { XDG_RUNTIME_DIR: h.runtime }, key });
    const vault = createVault({ homeDir: h.home, cwd: h.cwd, env: {}, secrets, caller: 'cli', warn: () => {} });
    const source = bigSource(h.cwd);
    const plan = await vault.planMigration(source, { includeUnknown: true });
    const rewrites = countRewrites();
    expect(await vault.applyMigration(source, plan)).toMatchObject({ ok: true, imported: N });
    expect(rewrites).toHaveBeenCalledTimes(1);
    const stored = await secrets.getMany(Array.from({ length: N }, (_, i) => `svc${i}.api_key`));
    expect([...stored.values()]).toEqual(Array.from({ length: N }, (_, i) => valueOf(i)));
    await secrets.close();
  }, 60_000);

  it(`a migration of ${N} cancelled after its write is undone in one more rewrite: each value back as it was, or gone`, async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const { key } = await openIdentity(h.files, h.passphrase, { wrongDelayMs: 0 });
    const secrets = createFileSecretStore({ profilePath: h.profile, env: { XDG_RUNTIME_DIR: h.runtime }, key });
    const vault = createVault({ homeDir: h.home, cwd: h.cwd, env: {}, secrets, caller: 'cli', warn: () => {} });
    // Half stored already with other values: the migration overwrites those and adds the rest.
    const before = (i: number) => `before-${i}-${'c'.repeat(24)}`;
    await secrets.setMany(Array.from({ length: N / 2 }, (_, i) => [`svc${i}.api_key`, before(i)] as const));
    const source = bigSource(h.cwd);
    const plan = await vault.planMigration(source, { includeUnknown: true, overwrite: 'all' });
    const rewrites = countRewrites();
    // Ctrl-C as the last value is handed to the batch: the batch is written, then the signal is honoured.
    const ac = new AbortController();
    const applied = vault.applyMigration(source, plan, { signal: ac.signal, onProgress: (done, total) => done === total - 1 && ac.abort() });
    await expect(applied).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(rewrites).toHaveBeenCalledTimes(2);
    const stored = await secrets.getMany(Array.from({ length: N }, (_, i) => `svc${i}.api_key`));
    expect([...stored.values()]).toEqual(Array.from({ length: N }, (_, i) => (i < N / 2 ? before(i) : undefined)));
    await secrets.close();
  }, 60_000);

  it(`switching ${N} credentials to the file backend rewrites the new vault file once, and every value moves`, async () => {
    // Through the factory (a vault given its store uses that one for every backend): the in-memory source by name.
    const t = makeTempHome();
    const from = new MemorySecretStore();
    const unregister = registerSecretBackend('memory-batch', () => from);
    onTestFinished(unregister);
    mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
    writeFileSync(t.profile, JSON.stringify({ version: '2.0', credentials: {}, storage: { backend: 'memory-batch', namespace: '' } }), { mode: 0o600 });
    const vault = createVault({ homeDir: t.home, cwd: t.cwd, env: { CPW_KEYCHAIN_SERVICE: t.service }, caller: 'cli', warn: () => {} });
    const source = bigSource(t.cwd);
    await vault.applyMigration(source, await vault.planMigration(source, { includeUnknown: true }));
    const rewrites = countRewrites();
    const passphrase = 'correct horse battery staple 42';
    const steps: string[] = [];
    const result = await vault.useBackend('file', { passphrase, logN: 10, step: (s) => steps.push(s) });
    expect(result.moved).toHaveLength(N);
    expect(rewrites).toHaveBeenCalledTimes(1);
    // The kill tests stop at each "wrote <id>": still one per credential, after the one write.
    expect(steps.filter((s) => s.startsWith('wrote '))).toHaveLength(N);
    expect(from.credentials.size).toBe(0);
    const { key } = await openIdentity(vaultFilesFor(t.profile), passphrase, { wrongDelayMs: 0 });
    const file = createFileSecretStore({ profilePath: t.profile, env: {}, key });
    expect((await file.list()).length).toBe(N);
    expect(await file.get(`svc${N - 1}.api_key`)).toBe(valueOf(N - 1));
    await file.close();
  }, 60_000);
});
