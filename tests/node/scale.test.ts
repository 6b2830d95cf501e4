// Scale and size limits: 10,000 credentials work end to end, and the profile
// can never be pushed past what its reader accepts.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { ParsedSource } from '../../shared/core/migration-sources';
import { createVault } from '../../shared/node/open';
import { PROFILE_READ_LIMIT, PROFILE_WRITE_LIMIT } from '../../shared/node/profile/secure-fs';
import type { ProfileStore } from '../../shared/node/profile/store';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { rejected } from '../helpers/errors';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Scale1'.repeat(6)}`;

function setup() {
  const t = makeTempHome();
  const secrets = new MemorySecretStore();
  const vault = createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli', warn: () => {} });
  return { t, secrets, vault };
}

describe('10,000 credentials', () => {
  it('can be stored (one migration), listed, read, added to and deleted from', async () => {
    const { t, secrets, vault } = setup();
    const source: ParsedSource = {
      kind: 'secrets-json', path: `${t.cwd}/big.json`, duplicateKeys: [],
      entries: Array.from({ length: 10_000 }, (_, i) => ({ sourceKey: `svc${i}_api_key`, target: undefined, customTarget: { id: `svc${i}.api_key`, envVar: `SVC${i}_API_KEY` }, value: `value-${i}-${'x'.repeat(24)}` })),
    };
    writeFileSync(source.path, '{}');
    const result = await vault.applyMigration(source, await vault.planMigration(source, { includeUnknown: true }));
    expect(result).toMatchObject({ ok: true, imported: 10_000 });
    expect(secrets.credentials.size).toBe(10_000);
    const size = readFileSync(t.profile).length;
    console.log(`profile with 10,000 credentials: ${(size / 2 ** 20).toFixed(2)} MiB`);
    expect(size).toBeLessThan(PROFILE_WRITE_LIMIT);
    expect(vault.listCredentials().filter((c) => c.stored)).toHaveLength(10_000);
    expect((await vault.getCredential('svc9999', 'api_key')).value).toBe(`value-9999-${'x'.repeat(24)}`);
    await vault.setCredential('huggingface', 'token', HF);
    expect(await vault.deleteCredential('svc0', 'api_key')).toBe(true);
    expect(vault.listCredentials().filter((c) => c.stored)).toHaveLength(10_000);
  });
});

describe('a set in a large vault', () => {
  it('never reads the profile itself: the backend it checks (a switch by another cpw-vault) comes from the lookup copy', async () => {
    // The real keychain, so the vault knows its backend and checks it as the CLI's does; 1,500 custom credentials
    // indexed (values elsewhere: only the token is written). Parsing the profile for the backend made each `set` of a
    // 10,000-credential vault read, hash and check 2.4 MB: +130 ms (issue 16's P4 at 1.69x).
    const t = makeTempHome();
    mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
    const now = '2026-01-01T00:00:00.000Z';
    const metadata = Object.fromEntries(Array.from({ length: 1_500 }, (_, i) => [`svc${i}.api_key`, { created_at: now, updated_at: now, hint: '••••abcd', storage: 'keychain', custom: true, env_var: `SVC${i}_API_KEY` }]));
    writeFileSync(t.profile, `${JSON.stringify({ version: '2.0', credentials: {}, credential_metadata: metadata, storage: { backend: 'keychain', namespace: '' } }, null, 2)}\n`, { mode: 0o600 });
    const vault = createVault({ homeDir: t.home, cwd: t.cwd, env: { CPW_KEYCHAIN_SERVICE: t.service, DBUS_SESSION_BUS_ADDRESS: process.env['DBUS_SESSION_BUS_ADDRESS'] }, caller: 'cli', warn: () => {} });
    try {
      await vault.open(); // the lookup copy, as every vault has it after its first start
      const reads = vi.spyOn((vault as unknown as { profile: ProfileStore }).profile.reader, 'read');
      await vault.setCredential('huggingface', 'token', HF);
      expect(reads).not.toHaveBeenCalled();
      expect((await vault.getCredential('huggingface', 'token')).value).toBe(HF);
    } finally {
      vault.close();
    }
  });
});

describe('the profile size limit', () => {
  /** A profile just under the write limit (an unknown field of padding, which survives round trips). */
  function nearLimit(t: ReturnType<typeof makeTempHome>, bytes: number, indent?: number) {
    mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
    const doc = { version: '2.0', credentials: {}, credential_metadata: { 'tmdb.api_key': { created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', hint: '••••', storage: 'keychain' } }, padding: '' };
    // Padded to exactly `bytes`, as the app writes it (pretty-printed) when `indent` is given.
    const text = (pad: number) => `${JSON.stringify({ ...doc, padding: 'p'.repeat(pad) }, null, indent)}${indent ? '\n' : ''}`;
    writeFileSync(t.profile, text(bytes - Buffer.byteLength(text(0))), { mode: 0o600 });
  }

  it('a set that would take it past the limit is refused before anything is stored; the vault can still read and delete its way out', async () => {
    const { t, secrets, vault } = setup();
    nearLimit(t, PROFILE_WRITE_LIMIT - 200);
    await secrets.set('tmdb.api_key', '0123456789abcdef0123456789abcdef');
    const digest = () => createHash('sha256').update(readFileSync(t.profile)).digest('hex'); // no 16 MiB diffs in a failure report
    const before = digest();
    const e = await rejected(vault.setCredential('huggingface', 'token', HF));
    expect(e.code).toBe('PROFILE_TOO_LARGE');
    expect(e.message).toMatch(/nothing was stored/);
    expect(e.fix).toMatch(/cpw-vault delete/);
    expect(secrets.items.has('huggingface.token')).toBe(false);
    expect(digest()).toBe(before);
    expect((await vault.getCredential('tmdb', 'api_key')).value).toBe('0123456789abcdef0123456789abcdef');
    expect(await vault.deleteCredential('tmdb', 'api_key')).toBe(true);
  });

  it('a replacement is charged what it adds (nothing), so a vault at or over the limit can still rotate its keys; a new credential is still refused', async () => {
    const { t, secrets, vault } = setup();
    for (const over of [-300, 1024]) {
      nearLimit(t, PROFILE_WRITE_LIMIT + over, 2);
      await secrets.set('tmdb.api_key', '0123456789abcdef0123456789abcdef');
      await vault.setCredential('tmdb', 'api_key', 'fedcba9876543210fedcba9876543210');
      expect(secrets.credentials.get('tmdb.api_key')).toBe('fedcba9876543210fedcba9876543210');
      expect(readFileSync(t.profile, 'utf8').includes('"hint": "••••3210"')).toBe(true); // the index committed (no 16 MiB diff on failure)
      const e = await rejected(vault.setCredential('huggingface', 'token', HF));
      expect(e.code).toBe('PROFILE_TOO_LARGE');
      // In bytes (the rewrite above filled in a hand-made profile's defaults: it may be just over by now).
      expect(e.message).toMatch(/would grow to 1677\d{4}, over its 16777216-byte \(16 MiB\) limit; nothing was stored/);
      expect(secrets.items.has('huggingface.token')).toBe(false);
    }
  });

  it('a profile over the write limit (edited by hand) still reads and shrinks; over the read limit it is a clear error', async () => {
    const { t, vault } = setup();
    nearLimit(t, PROFILE_WRITE_LIMIT + 1024);
    expect(vault.listCredentials().find((c) => c.id === 'tmdb.api_key')!.stored).toBe(true);
    expect(await vault.deleteCredential('tmdb', 'api_key')).toBe(true);
    nearLimit(t, PROFILE_READ_LIMIT + 1);
    const e = await rejected(vault.getCredential('tmdb', 'api_key'));
    expect(e.code).toBe('PROFILE_TOO_LARGE');
  });
});
