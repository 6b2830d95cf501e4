import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { KeytarSecretStore, reasonFromMessage } from '../../shared/node/secrets/keytar-store';
import { openSecretStore, secretNamespace } from '../../shared/node/secrets/open-secret-store';
import { createVault, openVault } from '../../shared/node/open';
import { readSource } from '../../shared/node/migration/sources';
import { makeTempHome } from '../helpers/temp';
import { filesContaining } from '../helpers/canary';

const SERVICE = 'cp-whisperx-test';
const keytar = createRequire(import.meta.url)('keytar') as typeof import('keytar');

function secretTool(args: string[], input?: string): string {
  return spawnSync('secret-tool', args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}) }).stdout;
}

const store = (service: string) => openSecretStore({ backend: 'keychain', namespace: service, env: process.env, timeoutMs: 10_000, profilePath: '/nonexistent/user.profile' });

describe('the keychain backend on the real throwaway Secret Service', () => {
  it('set, then secret-tool finds the value; the profile and the audit log do not contain it', async () => {
    const t = makeTempHome();
    const canary = `hf_${'CaNaRy'.repeat(6)}${Date.now()}`;
    const vault = await openVault({ homeDir: t.home, cwd: t.cwd, env: process.env, caller: 'cli' });
    await vault.setCredential('huggingface', 'token', canary);
    expect(secretTool(['lookup', 'service', SERVICE, 'account', 'huggingface.token'])).toBe(canary);
    expect(await vault.getCredential('huggingface', 'token')).toEqual({ value: canary, source: { kind: 'keychain' } });
        expect(filesContaining(t.root, canary)).toEqual([]);
    expect(await vault.deleteCredential('huggingface', 'token')).toBe(true);
    expect(secretTool(['lookup', 'service', SERVICE, 'account', 'huggingface.token'])).toBe('');
  });

  it('a batch the keychain answers one by one may take longer than the deadline: only silence times out', async () => {
    const service = `${SERVICE}-batch-${Date.now()}`;
    const timeoutMs = 1_000;
    const s = openSecretStore({ backend: 'keychain', namespace: service, env: process.env, timeoutMs, profilePath: '/nonexistent/user.profile' });
    await s.set('a.b', 'batch-value');
    // Grow the batch until gnome-keyring needs longer than the deadline to answer all of it (so the test proves something on any machine).
    for (let n = 4_000; ; n *= 2) {
      const accounts = Array.from({ length: n }, (_, i) => (i === n - 1 ? 'a.b' : `x.k${i}`));
      const started = Date.now();
      const got = await s.getMany!(accounts);
      const took = Date.now() - started;
      expect(got.get('a.b')).toBe('batch-value');
      expect(got.size).toBe(n);
      if (took > 2 * timeoutMs) break;
      expect(n, 'even 128,000 searches were answered within the deadline').toBeLessThan(128_000);
    }
  }, 120_000);

  it('a read and a count asked together share one collection check; one asked after asks again', async () => {
    const service = `${SERVICE}-share-${Date.now()}`;
    const s = store(service);
    await s.set('a.b', 'shared-value');
    s.close();
    const members: string[] = [];
    const call = (s as unknown as { call: (m: { member: string }) => Promise<unknown> }).call.bind(s);
    (s as unknown as { call: typeof call }).call = (m) => {
      members.push(m.member);
      return call(m);
    };
    const [values, count] = await Promise.all([s.getMany!(['a.b', 'x.y']), s.count!()]);
    expect([values.get('a.b'), values.get('x.y'), count]).toEqual(['shared-value', undefined, 1]);
    expect(members.filter((m) => m === 'ReadAlias')).toHaveLength(1);
    expect(await s.count!()).toBe(1);
    expect(members.filter((m) => m === 'ReadAlias')).toHaveLength(2);
    await s.delete('a.b');
    s.close();
  });

  it('items are keytar-compatible both ways: what keytar stored is read, what we store keytar reads', async () => {
    const service = `${SERVICE}-interop-${Date.now()}`;
    await keytar.setPassword(service, 'tmdb.api_key', 'stored-by-keytar-0123456789');
    const s = store(service);
    expect(await s.get('tmdb.api_key')).toBe('stored-by-keytar-0123456789');
    await s.set('openai.api_key', 'stored-by-cpw-vault-abcdef');
    expect(await keytar.getPassword(service, 'openai.api_key')).toBe('stored-by-cpw-vault-abcdef');
    expect(await s.list()).toEqual(['openai.api_key', 'tmdb.api_key']);
    expect(await s.count!()).toBe(2);
    expect(await s.delete('tmdb.api_key')).toBe(true);
    expect(await keytar.getPassword(service, 'tmdb.api_key')).toBeNull();
    await s.delete('openai.api_key');
    s.close();
  });

  it('a missing item in an unlocked keychain is really absent; status is ok and names the provider', async () => {
    const s = store(SERVICE);
    expect(await s.get(`nobody.home_${Date.now()}`)).toBeUndefined();
    expect(await s.delete(`nobody.home_${Date.now()}`)).toBe(false);
    expect(await s.status()).toMatchObject({ ok: true, backend: expect.stringMatching(/Secret Service .*gnome-keyring/) });
    s.close();
  });

  it('values are UTF-8 both ways, and a value of 8 KiB round-trips', async () => {
    const s = store(`${SERVICE}-utf8`);
    const value = `clé-ключ-鍵-🔑-${'x'.repeat(8000)}`;
    await s.set('custom.key', value);
    expect(await s.get('custom.key')).toBe(value);
    expect(await keytar.getPassword(`${SERVICE}-utf8`, 'custom.key')).toBe(value);
    await s.delete('custom.key');
    s.close();
  });

  it('the default profile keeps the historical name; any other profile gets its own namespace', () => {
    const env = { CPW_KEYCHAIN_SERVICE: SERVICE };
    expect(secretNamespace({ env: {}, isDefault: true, recorded: undefined, legacyValues: false, profilePath: '/h/.cp-whisperx/user.profile' })).toBe('cp-whisperx');
    expect(secretNamespace({ env, isDefault: true, recorded: undefined, legacyValues: false, profilePath: '/h/.cp-whisperx/user.profile' })).toBe(SERVICE);
    const a = secretNamespace({ env, isDefault: false, recorded: undefined, legacyValues: false, profilePath: '/p/a.profile' });
    const b = secretNamespace({ env, isDefault: false, recorded: undefined, legacyValues: false, profilePath: '/p/b.profile' });
    expect(a).toMatch(new RegExp(`^${SERVICE}:[0-9a-f]{12}$`));
    expect(a).not.toBe(b);
    // A recorded name wins (a moved profile keeps its values); a profile from before namespaces keeps the shared one.
    expect(secretNamespace({ env, isDefault: false, recorded: 'abc123abc123', legacyValues: false, profilePath: '/moved/a.profile' })).toBe(`${SERVICE}:abc123abc123`);
    expect(secretNamespace({ env, isDefault: false, recorded: undefined, legacyValues: true, profilePath: '/p/old.profile' })).toBe(SERVICE);
  });
});

describe('a profile the first versions made beside the default one (one keychain name for all)', () => {
  // Found by the upgrade and attack passes: such a profile kept the shared name (its values are there), so each profile
  // took in the other's values at start, read them, planned migrations against them, and deleted them.
  it('moves to a keychain name of its own at its first full start: neither profile reads, keeps or deletes the other\'s values', async () => {
    const t = makeTempHome();
    const service = `${SERVICE}-shared-${Date.now()}`;
    const env = { ...process.env, CPW_KEYCHAIN_SERVICE: service };
    const OPENAI = `sk-proj-${'p'.repeat(40)}`;
    const TMDB = 'a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4';
    const studio = join(t.cwd, 'studio.profile');
    const warnings: string[] = [];
    const open = (profilePath?: string) => openVault({ homeDir: t.home, cwd: t.cwd, env, caller: 'cli', warn: (m) => warnings.push(m), ...(profilePath ? { profilePath } : {}) });
    try {
      const mine = await open();
      await mine.setCredential('openai', 'api_key', OPENAI);
      mine.close();
      // The studio profile as the first versions left it: its tmdb key under the one shared name, no namespace recorded.
      await keytar.setPassword(service, 'tmdb.api_key', TMDB);
      const at = '2026-11-20T10:00:00.000Z';
      writeFileSync(studio, JSON.stringify({ version: '2.0', credentials: {}, credential_metadata: { 'tmdb.api_key': { created_at: at, updated_at: at, hint: '••••c3d4', storage: 'keychain' } } }), { mode: 0o600 });
      const other = await open(studio);
      const suffix = JSON.parse(readFileSync(studio, 'utf8')).storage.namespace as string;
      expect(suffix).toMatch(/^[0-9a-f]{12}$/);
      expect(await keytar.getPassword(`${service}:${suffix}`, 'tmdb.api_key')).toBe(TMDB);
      expect(warnings.join('\n')).toContain('now keeps its 1 value under a keychain name of its own; the first versions of cpw-vault kept it under');
      expect((await other.getCredential('tmdb', 'api_key')).value).toBe(TMDB);
      expect(await other.findCredential('openai', 'api_key')).toBeUndefined();
      expect(other.listCredentials().filter((c) => c.stored).map((c) => c.id)).toEqual(['tmdb.api_key']);
      expect(await other.repair()).toMatchObject({ added: [], shared: [] });
      expect(await other.deleteCredential('openai', 'api_key')).toBe(false);
      other.close();
      // The default profile may take in the old shared copy of tmdb; deleting it there no longer touches the studio's.
      const again = await open();
      expect((await again.getCredential('openai', 'api_key')).value).toBe(OPENAI);
      await again.deleteCredential('tmdb', 'api_key');
      again.close();
      const studioAgain = await open(studio);
      expect((await studioAgain.getCredential('tmdb', 'api_key')).value).toBe(TMDB);
      studioAgain.close();
    } finally {
      for (const [svc, account] of [[service, 'openai.api_key'], [service, 'tmdb.api_key']]) await keytar.deletePassword(svc!, account!);
      const suffix = (JSON.parse(readFileSync(studio, 'utf8')).storage?.namespace as string | undefined) ?? '';
      if (suffix) await keytar.deletePassword(`${service}:${suffix}`, 'tmdb.api_key');
    }
  });

  it('one that could not move yet (a change in progress) never reads, plans against or deletes a value it does not index', async () => {
    const t = makeTempHome();
    const service = `${SERVICE}-shared2-${Date.now()}`;
    const env = { ...process.env, CPW_KEYCHAIN_SERVICE: service };
    const OPENAI = `sk-proj-${'q'.repeat(40)}`;
    const studio = join(t.cwd, 'studio.profile');
    try {
      const mine = await openVault({ homeDir: t.home, cwd: t.cwd, env, caller: 'cli' });
      await mine.setCredential('openai', 'api_key', OPENAI);
      mine.close();
      await keytar.setPassword(service, 'tmdb.api_key', 'a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4');
      const at = '2026-11-20T10:00:00.000Z';
      writeFileSync(studio, JSON.stringify({ version: '2.0', credentials: {}, credential_metadata: { 'tmdb.api_key': { created_at: at, updated_at: at, hint: '••••c3d4', storage: 'keychain' } } }), { mode: 0o600 });
      // createVault does not run the start-up step: the profile stays on the shared name, as when its move failed.
      const other = createVault({ homeDir: t.home, cwd: t.cwd, env, caller: 'cli', profilePath: studio, warn: () => {} });
      expect(await other.findCredential('openai', 'api_key')).toBeUndefined();
      const env2 = join(t.cwd, 'o.env');
      writeFileSync(env2, `OPENAI_API_KEY=${OPENAI}\n`);
      const plan = await other.planMigration(readSource(env2));
      expect(plan.rows[0]).toMatchObject({ target: 'openai.api_key', action: 'import' });
      expect(await other.deleteCredential('openai', 'api_key')).toBe(false);
      expect(await keytar.getPassword(service, 'openai.api_key')).toBe(OPENAI);
      other.close();
    } finally {
      for (const account of ['openai.api_key', 'tmdb.api_key']) await keytar.deletePassword(service, account);
    }
  });
});

describe('the keytar adapter (macOS and Windows)', () => {
  it('a keychain call that never answers fails with KEYCHAIN_TIMEOUT within the timeout, then fails at once', async () => {
    const never = new Promise<never>(() => {});
    const hung = { getPassword: () => never, setPassword: () => never, deletePassword: () => never } as unknown as typeof import('keytar');
    const s = new KeytarSecretStore({ service: SERVICE, timeoutMs: 300, loadKeytar: () => hung });
    const started = Date.now();
    await expect(s.set('a.b', 'v')).rejects.toMatchObject({ code: 'KEYCHAIN_TIMEOUT', fix: expect.stringMatching(/prompt/) });
    expect(Date.now() - started).toBeLessThan(3000);
    const again = Date.now();
    await expect(s.get('a.b')).rejects.toMatchObject({ code: 'KEYCHAIN_TIMEOUT' });
    expect(Date.now() - again).toBeLessThan(100);
  });

  // It said "The keychain did not answer in time. (no answer to a write within 0 s)", and the fix named gnome-keyring
  // and KeePassXC, on a Mac or Windows: not what was asked, nor of which keychain, nor what to do there.
  it.each([
    ['darwin', 'macOS Keychain', /Keychain dialog .*security unlock-keychain/],
    ['win32', 'Windows Credential Manager', /Windows Security prompt .* restart the Credential Manager service/],
  ] as const)('on %s, a timeout names the keychain, what was asked and after how long, and the fix there; never the value', async (platform, name, fix) => {
    const never = new Promise<never>(() => {});
    const hung = { getPassword: () => never, setPassword: () => never, deletePassword: () => never } as unknown as typeof import('keytar');
    const s = new KeytarSecretStore({ service: SERVICE, timeoutMs: 300, loadKeytar: () => hung, platform });
    const value = 'hf_NeverInAnyMessage0123456789abcdef';
    const err = await s.set('huggingface.token', value).then(() => undefined, (e: unknown) => e as { code: string; message: string; fix: string });
    expect(err).toMatchObject({ code: 'KEYCHAIN_TIMEOUT', message: `The keychain did not answer in time. (no answer from the ${name} to a write of huggingface.token within 0.3 s)` });
    expect(err!.fix).toMatch(fix);
    expect(err!.fix).not.toMatch(/gnome-keyring|KeePassXC/);
    expect(JSON.stringify(err) + err!.message + err!.fix).not.toContain(value);
    const status = await new KeytarSecretStore({ service: SERVICE, timeoutMs: 300, loadKeytar: () => hung, platform }).status();
    expect(status).toMatchObject({ ok: false, code: 'KEYCHAIN_TIMEOUT', message: expect.stringContaining(`no answer from the ${name} to a status check within 0.3 s`) });
  });

  it('reads and writes through keytar on the real keychain', async () => {
    const service = `${SERVICE}-keytar-${Date.now()}`;
    const s = new KeytarSecretStore({ service, timeoutMs: 10_000 });
    await s.set('a.b', 'value-1');
    expect(await s.get('a.b')).toBe('value-1');
    expect(await s.list()).toEqual(['a.b']);
    expect(await s.delete('a.b')).toBe(true);
    expect(await s.get('a.b')).toBeUndefined();
  });

  it.each([
    ['Cannot create an item in a locked collection', 'KEYCHAIN_LOCKED'],
    ['Prompt dismissed', 'KEYCHAIN_DENIED'],
    ['User canceled the operation.', 'KEYCHAIN_DENIED'],
    ['Something else', undefined],
  ])('maps "%s" to %s', (message, code) => {
    expect(reasonFromMessage(message)).toBe(code);
  });
});
