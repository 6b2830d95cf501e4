import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { KeytarSecretStore, reasonFromMessage } from '../../shared/node/secrets/keytar-store';
import { openVault } from '../../shared/node/vault';
import { makeTempHome } from '../helpers/temp';
import { filesContaining } from '../helpers/canary';

const SERVICE = 'cp-whisperx-test';

function secretToolLookup(account: string): string {
  return spawnSync('secret-tool', ['lookup', 'service', SERVICE, 'account', account], { encoding: 'utf8' }).stdout;
}

describe('keytar adapter on the real throwaway keychain', () => {
  it('set, then secret-tool finds the value; the profile and the audit log do not contain it', async () => {
    const t = makeTempHome();
    const canary = `hf_${'CaNaRy'.repeat(6)}${Date.now()}`;
    const vault = await openVault({ homeDir: t.home, cwd: t.cwd, env: process.env, caller: 'cli' });
    await vault.setCredential('huggingface', 'token', canary);
    expect(secretToolLookup('huggingface.token')).toBe(canary);
    expect(await vault.getCredential('huggingface', 'token')).toEqual({ value: canary, source: { kind: 'keychain' } });
    await vault.flush();
    expect(filesContaining(t.root, canary)).toEqual([]);
    expect(await vault.deleteCredential('huggingface', 'token')).toBe(true);
    expect(secretToolLookup('huggingface.token')).toBe('');
  });

  it('uses the test service name, never the real cp-whisperx one', () => {
    expect(new KeytarSecretStore().service).toBe(SERVICE);
    expect(new KeytarSecretStore({ env: {} }).service).toBe('cp-whisperx');
  });

  it('a missing item in an unlocked keychain is really absent, and status is ok', async () => {
    const store = new KeytarSecretStore();
    expect(await store.get(`nobody.home_${Date.now()}`)).toBeUndefined();
    expect(await store.delete(`nobody.home_${Date.now()}`)).toBe(false);
    expect(await store.status()).toMatchObject({ ok: true, backend: expect.stringContaining('Secret Service') });
  });

  it('with HF_TOKEN set, get reports source=env and the env value, over a stored one', async () => {
    const t = makeTempHome();
    const vault = await openVault({ homeDir: t.home, cwd: t.cwd, env: { ...process.env, HF_TOKEN: 'hf_from_env_value_1234567890abcdef' } });
    await vault.setCredential('huggingface', 'token', `hf_${'s'.repeat(34)}`);
    expect(await vault.getCredential('huggingface', 'token')).toEqual({ value: 'hf_from_env_value_1234567890abcdef', source: { kind: 'env', name: 'HF_TOKEN' } });
    await vault.deleteCredential('huggingface', 'token');
  });

  it('a keychain call that never answers fails with KEYCHAIN_TIMEOUT within the timeout', async () => {
    const never = new Promise<never>(() => {});
    const hung = { getPassword: () => never, setPassword: () => never, deletePassword: () => never } as unknown as typeof import('keytar');
    const store = new KeytarSecretStore({ timeoutMs: 300, loadKeytar: () => hung });
    const started = Date.now();
    await expect(store.set('a.b', 'v')).rejects.toMatchObject({ code: 'KEYCHAIN_TIMEOUT', fix: expect.stringMatching(/prompt/) });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it.each([
    ['Cannot autolaunch D-Bus without X11 $DISPLAY', 'KEYCHAIN_UNAVAILABLE'],
    ['The name org.freedesktop.secrets was not provided by any .service files', 'KEYCHAIN_NO_PROVIDER'],
    ['Cannot create an item in a locked collection', 'KEYCHAIN_LOCKED'],
    ['Prompt dismissed', 'KEYCHAIN_DENIED'],
    ['User canceled the operation.', 'KEYCHAIN_DENIED'],
    ['Something else', undefined],
  ])('maps "%s" to %s', (message, code) => {
    expect(reasonFromMessage(message)).toBe(code);
  });
});
